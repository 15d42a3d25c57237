/**
 * The `validate` workflow: manifests + CRDs (+ the stored objects for an update) → report.
 * Stored objects come from --old texts or, with --against-cluster, from a lookup the caller
 * provides (the live object, read through the Kubernetes API).
 */
import { PreconditionError, UsageError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { ResourceType } from '../ports.ts';
import { lookupCrd } from '../validate/index.ts';
import { buildRegistry, customKinds, oldLookupFrom, validateManifests, type CrdSource, type ValidationReport } from './check.ts';
import { parseManifests } from '../objects/documents.ts';

export interface ValidateRequest {
  input: { text: string; source: string };
  crds: CrdSource;
  old?: { text: string; source: string };
  /** Reads the live object (undefined when it does not exist: validated as a create). */
  live?: (type: ResourceType, namespace: string | undefined, name: string) => Promise<KubeObject | undefined>;
}

/** Validates the input; PreconditionError when no CRDs can be loaded (validation is the job). */
export async function runValidate(req: ValidateRequest): Promise<ValidationReport> {
  const objects = parseManifests(req.input.text, req.input.source);
  if (objects.length === 0) {
    throw new UsageError(
      `failed to read ${req.input.source}: it holds no objects (${req.input.text.trim() === '' ? 'it is empty' : 'only empty documents'})`,
      {
        hint:
          req.input.source === 'stdin'
            ? 'pipe the manifests into it, or pass -f <file>'
            : 'pass a file with the manifests to check (YAML or JSON)',
      },
    );
  }
  const olds: KubeObject[] = req.old ? parseManifests(req.old.text, req.old.source) : [];
  const source = await req.crds(customKinds(objects));
  if ('skipped' in source) {
    throw new PreconditionError(`failed to load CRDs: ${source.skipped}`, {
      hint: 'pass --crd <file|dir> with the HyperShift CRDs (e.g. saved "oc get crd -o yaml" output)',
    });
  }
  const registry = buildRegistry(source.crds);
  if (req.live) {
    for (const obj of objects) {
      const entry = lookupCrd(registry, obj.apiVersion, obj.kind);
      if (!entry || !obj.metadata.name) continue;
      const type: ResourceType = {
        group: entry.group,
        version: entry.version,
        plural: entry.plural,
        kind: entry.kind,
        clusterScoped: entry.scope === 'Cluster',
      };
      const live = await req.live(type, obj.metadata.namespace, obj.metadata.name);
      if (live)
        olds.push({
          ...live,
          apiVersion: obj.apiVersion ?? '',
          kind: obj.kind ?? '',
          metadata: { ...live.metadata, namespace: obj.metadata.namespace },
        });
    }
  }
  return validateManifests(objects, registry, olds.length > 0 ? oldLookupFrom(olds) : undefined);
}
