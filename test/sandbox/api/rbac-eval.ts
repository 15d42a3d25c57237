/**
 * RBAC authorization as kube-apiserver's RBAC authorizer evaluates it (plugin/pkg/auth/authorizer/rbac),
 * over the rbac.authorization.k8s.io/v1 objects in the simulator's store:
 *  - ClusterRoleBindings grant their ClusterRole's rules everywhere (namespaced and cluster-scoped);
 *  - RoleBindings in namespace N grant their Role (in N) or ClusterRole's rules in N only;
 *  - a binding applies when a subject is the ServiceAccount (kind ServiceAccount, name, namespace
 *    defaulting to the binding's), the user by name (kind User), or one of its groups (kind Group);
 *  - a rule matches on verbs (`*` all), apiGroups (`*` all), resources (`*` all, `pods/exec` exactly,
 *    `*\/scale` any resource's scale; kube has no `pods/*`) and resourceNames (only for requests that
 *    name an object: a rule with resourceNames never allows list, watch or create).
 * Aggregated ClusterRoles (aggregationRule) and nonResourceURLs are not modelled: discovery is open.
 */
import type { SimObject, SimStore } from './types.ts';

const RBAC = 'rbac.authorization.k8s.io';
export const ROLES = { group: RBAC, version: 'v1', plural: 'roles' };
export const CLUSTER_ROLES = { group: RBAC, version: 'v1', plural: 'clusterroles' };
export const ROLE_BINDINGS = { group: RBAC, version: 'v1', plural: 'rolebindings' };
export const CLUSTER_ROLE_BINDINGS = { group: RBAC, version: 'v1', plural: 'clusterrolebindings' };

export interface Subject {
  name: string;
  groups: string[];
  /** Set for service accounts: matched by kind ServiceAccount subjects. */
  serviceAccount?: { namespace: string; name: string };
}

export interface Attributes {
  verb: string;
  apiGroup: string;
  /** Plural resource, without the subresource. */
  resource: string;
  subresource?: string;
  /** Undefined for cluster-scoped resources and requests across all namespaces. */
  namespace?: string;
  name?: string;
}

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface Decision {
  allowed: boolean;
  /** For allowed requests, which binding allowed it (kube's SelfSubjectAccessReview reason). */
  reason?: string;
}

function bindingApplies(binding: SimObject, subject: Subject): boolean {
  const subjects = (binding['subjects'] ?? []) as Array<{ kind?: string; name?: string; namespace?: string }>;
  return subjects.some((s) => {
    if (s.kind === 'User') return s.name === subject.name;
    if (s.kind === 'Group') return s.name !== undefined && subject.groups.includes(s.name);
    if (s.kind === 'ServiceAccount' && subject.serviceAccount) {
      const ns = s.namespace ?? binding.metadata.namespace ?? '';
      return s.name === subject.serviceAccount.name && ns === subject.serviceAccount.namespace;
    }
    return false;
  });
}

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);
  if (!has(rule.verbs, a.verb)) return false;
  if (!has(rule.apiGroups, a.apiGroup)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceOk = (rule.resources ?? []).some(
    (r) => r === '*' || r === combined || (a.subresource !== undefined && r === `*/${a.subresource}`),
  );
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  return a.name !== undefined && a.name !== '' && names.includes(a.name);
}

function rulesOf(store: SimStore, roleRef: unknown, bindingNamespace: string | undefined): PolicyRule[] {
  const ref = (roleRef ?? {}) as { kind?: string; name?: string };
  if (!ref.name) return [];
  const role =
    ref.kind === 'ClusterRole'
      ? store.get(CLUSTER_ROLES, undefined, ref.name)
      : ref.kind === 'Role' && bindingNamespace
        ? store.get(ROLES, bindingNamespace, ref.name)
        : undefined;
  return (role?.['rules'] ?? []) as PolicyRule[];
}

/** The RBAC decision for `subject` doing `a`. */
export function authorize(store: SimStore, subject: Subject, a: Attributes): Decision {
  const who = subject.serviceAccount
    ? `ServiceAccount "${subject.serviceAccount.name}/${subject.serviceAccount.namespace}"`
    : `User "${subject.name}"`;
  for (const b of store.list(CLUSTER_ROLE_BINDINGS)) {
    if (!bindingApplies(b, subject)) continue;
    if (rulesOf(store, b['roleRef'], undefined).some((r) => ruleAllows(r, a))) {
      return {
        allowed: true,
        reason: `RBAC: allowed by ClusterRoleBinding "${b.metadata.name}" of ClusterRole "${roleName(b)}" to ${who}`,
      };
    }
  }
  if (a.namespace !== undefined && a.namespace !== '') {
    for (const b of store.list(ROLE_BINDINGS, a.namespace)) {
      if (!bindingApplies(b, subject)) continue;
      if (rulesOf(store, b['roleRef'], a.namespace).some((r) => ruleAllows(r, a))) {
        const kind = (b['roleRef'] as { kind?: string } | undefined)?.kind ?? 'Role';
        return {
          allowed: true,
          reason: `RBAC: allowed by RoleBinding "${b.metadata.name}/${a.namespace}" of ${kind} "${roleName(b)}" to ${who}`,
        };
      }
    }
  }
  return { allowed: false };
}

const roleName = (b: SimObject) => (b['roleRef'] as { name?: string } | undefined)?.name ?? '';
