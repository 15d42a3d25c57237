/**
 * CRD indexing: every served version of every CRD becomes one entry keyed by
 * `group/version` + kind, carrying that version's openAPIV3Schema.
 */
import { isObject } from './types.ts';
import type { CrdRegistry, CrdVersionEntry } from './types.ts';

function key(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/**
 * Index CRDs (parsed apiextensions.k8s.io/v1 CustomResourceDefinition objects).
 * Non-CRD objects and versions without a schema are ignored; a later CRD for the same
 * group/version/kind replaces an earlier one.
 */
export function compileCrds(crds: object[]): CrdRegistry {
  const entries = new Map<string, CrdVersionEntry>();
  for (const crd of crds) {
    if (!isObject(crd) || crd['kind'] !== 'CustomResourceDefinition') continue;
    const spec = crd['spec'];
    const meta = crd['metadata'];
    if (!isObject(spec)) continue;
    const group = typeof spec['group'] === 'string' ? spec['group'] : '';
    const names = isObject(spec['names']) ? spec['names'] : {};
    const kind = typeof names['kind'] === 'string' ? names['kind'] : '';
    const plural = typeof names['plural'] === 'string' ? names['plural'] : '';
    const crdName = isObject(meta) && typeof meta['name'] === 'string' ? meta['name'] : `${plural}.${group}`;
    const scope = typeof spec['scope'] === 'string' ? spec['scope'] : 'Namespaced';
    const versions = Array.isArray(spec['versions']) ? spec['versions'] : [];
    for (const v of versions) {
      if (!isObject(v) || typeof v['name'] !== 'string') continue;
      const validation = v['schema'];
      const schema = isObject(validation) ? validation['openAPIV3Schema'] : undefined;
      if (!isObject(schema)) continue;
      const apiVersion = group === '' ? v['name'] : `${group}/${v['name']}`;
      entries.set(key(apiVersion, kind), {
        group,
        version: v['name'],
        kind,
        plural,
        crdName,
        scope,
        schema: schema,
      });
    }
  }
  return { entries };
}

export function lookupCrd(registry: CrdRegistry, apiVersion: unknown, kind: unknown): CrdVersionEntry | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  return registry.entries.get(key(apiVersion, kind));
}

/** kube's qualified kind for error messages: `HostedCluster.hypershift.openshift.io`. */
export function qualifiedKind(entry: Pick<CrdVersionEntry, 'kind' | 'group'>): string {
  return entry.group === '' ? entry.kind : `${entry.kind}.${entry.group}`;
}
