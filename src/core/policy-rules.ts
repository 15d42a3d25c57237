/**
 * The RBAC rules that grant a set of declared permissions (permissions.ts): what `schedule` puts
 * into its Roles and ClusterRoles, so RBAC is always derived from the one declaration.
 */
import type { ApiPermission, Verb } from './permissions.ts';

/** A Kubernetes RBAC PolicyRule as it appears in a Role or ClusterRole. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

const VERB_ORDER: readonly Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * The rules granting `permissions` (already filtered to one scope): one rule per resource, its
 * verbs merged (compatibility verbs included), sorted by group then resource, so the same input
 * always gives the same rules and removing one rule removes exactly one resource.
 */
export function policyRules(permissions: readonly ApiPermission[]): PolicyRule[] {
  const byResource = new Map<string, { group: string; resource: string; names: readonly string[]; verbs: Set<Verb> }>();
  for (const p of permissions) {
    const names = [...(p.resourceNames ?? [])].sort();
    const key = `${p.group}\u0000${p.resource}\u0000${names.join(',')}`;
    const entry = byResource.get(key) ?? { group: p.group, resource: p.resource, names, verbs: new Set<Verb>() };
    for (const v of [...p.verbs, ...(p.compatVerbs ?? [])]) entry.verbs.add(v);
    byResource.set(key, entry);
  }
  return [...byResource.values()]
    .sort((a, b) => cmp(a.group, b.group) || cmp(a.resource, b.resource) || cmp(a.names.join(','), b.names.join(',')))
    .map((e) => ({
      apiGroups: [e.group],
      resources: [e.resource],
      ...(e.names.length > 0 ? { resourceNames: [...e.names] } : {}),
      verbs: VERB_ORDER.filter((v) => e.verbs.has(v)),
    }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
