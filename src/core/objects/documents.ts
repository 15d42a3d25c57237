/**
 * Multi-document manifests in and out. Input is YAML (or JSON) as `hypershift create cluster
 * --render` writes it: objects separated by `---`, a trailing empty document, comments.
 * js-yaml drops comments, so comments are NOT preserved; every object is kept, in order,
 * with its content unchanged unless a render step edits it.
 *
 * Output is formatted as kubectl writes YAML (sigs.k8s.io/yaml): keys sorted, two-space
 * indent, sequences not indented under their key, no line folding, and strings that need
 * quotes in DOUBLE quotes (`"true"`, `""`) as Go's encoder does. Documents are separated the
 * way kubectl's YAML printer separates several objects: a `---` line between them.
 * With these rules every file in shared/hypershift/render-fixtures round-trips byte for byte.
 */
import { dumpKubeYaml, loadAllYaml } from '../yaml.ts';
import { UsageError } from '../errors.ts';
import type { KubeObject } from '../model.ts';

export type ManifestFormat = 'yaml' | 'json';

/** Documents that have metadata but neither apiVersion nor kind, with their 1-based position in the input. */
const headless = new WeakMap<KubeObject, number>();

/**
 * Parses every non-empty document; each must be a Kubernetes object (a mapping with
 * apiVersion and kind). Errors are one line and name `source:line:column` or the document.
 * One exception: a mapping with `metadata` and neither apiVersion nor kind (some platforms'
 * `create cluster --render` output has them) is returned as it is; headlessDocument() tells
 * callers which, so they keep it in place unchanged and say so.
 */
export function parseManifests(text: string, source: string): KubeObject[] {
  const docs = loadAllYaml(text, source, 'pass the output of "hypershift create cluster <platform> --render" (YAML or JSON)');
  return docs.map((doc, i) => {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new UsageError(
        `failed to read ${source}: document ${i + 1} is not a Kubernetes object (it is a ${Array.isArray(doc) ? 'list' : typeof doc})`,
        {
          hint: 'pass the output of "hypershift create cluster <platform> --render"',
        },
      );
    }
    const obj = doc as Record<string, unknown>;
    const isMapping = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (obj['apiVersion'] === undefined && obj['kind'] === undefined && isMapping(obj['metadata'])) {
      headless.set(obj as KubeObject, i + 1);
      return obj as KubeObject;
    }
    if (typeof obj['apiVersion'] !== 'string' || typeof obj['kind'] !== 'string') {
      throw new UsageError(`failed to read ${source}: document ${i + 1} has no apiVersion or kind`, {
        hint: 'every document must be a Kubernetes object',
      });
    }
    if (typeof obj['metadata'] !== 'object' || obj['metadata'] === null) obj['metadata'] = {};
    return obj as KubeObject;
  });
}

/**
 * YAML: documents separated by `---` lines. JSON: one v1 List (what `kubectl get -o json`
 * prints for several objects; `kubectl apply -f` accepts it), keys sorted, 4-space indent
 * like kubectl's JSON printer.
 */
export function formatManifests(objects: readonly KubeObject[], format: ManifestFormat): string {
  if (format === 'json') {
    return JSON.stringify(sortKeys({ apiVersion: 'v1', items: objects, kind: 'List', metadata: {} }), null, 4) + '\n';
  }
  return objects.map(dumpKubeYaml).join('---\n');
}

/** A copy with every mapping's keys sorted (stable JSON for output and comparisons). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/** For a document parsed without apiVersion and kind: its 1-based position in the input. */
export function headlessDocument(obj: KubeObject): number | undefined {
  return headless.get(obj);
}

/** `Kind namespace/name` (or `Kind name`) for messages; `document N (no apiVersion or kind) name` for a headless one. */
export function describeObject(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  const name = obj.metadata.name ?? '(unnamed)';
  const position = headless.get(obj);
  if (position !== undefined) return `document ${position} (no apiVersion or kind) ${ns ? `${ns}/` : ''}${name}`;
  return `${obj.kind ?? 'object'} ${ns ? `${ns}/` : ''}${name}`;
}
