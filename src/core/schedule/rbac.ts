/**
 * The RBAC objects of a schedule, derived from src/core/permissions.ts (never listed twice).
 *  - named hosted clusters: two ClusterRoles, one per namespace kind (the HostedCluster's
 *    namespace, its control-plane namespace), each bound by RoleBindings in exactly those
 *    namespaces: the ServiceAccount can read Secrets there and nowhere else; and one for the named
 *    cluster-scoped objects it reads (resourceNames), bound by a ClusterRoleBinding;
 *  - a fleet (`backup --all`): one ClusterRole bound by a ClusterRoleBinding, because the
 *    control-plane namespaces of the clusters a fleet run finds are not known in advance.
 */
import { controlPlaneNamespace, type KubeObject } from '../model.ts';
import { permissionsOf, type PermissionScope, type Workflow } from '../permissions.ts';
import { policyRules } from '../policy-rules.ts';
import type { ScheduleRequest } from './types.ts';

const RBAC_API = 'rbac.authorization.k8s.io/v1';
export const SERVICE_ACCOUNT = 'hcp-dr-backup';

export interface RbacObjects {
  clusterRoles: KubeObject[];
  clusterRoleBindings: KubeObject[];
  roleBindings: KubeObject[];
}

/** The workflow whose permissions the CronJobs need (prune needs none: it talks to S3 only). */
export function workflowOf(request: ScheduleRequest): Workflow {
  const fleet = request.clusters.type === 'fleet';
  if (request.mode === 'online') return fleet ? 'backup-all-online' : 'backup-online';
  return fleet ? 'backup-all-quiesce' : 'backup-quiesce';
}

export function rbacObjects(request: ScheduleRequest, labels: Record<string, string>): RbacObjects {
  const permissions = permissionsOf(workflowOf(request));
  const subject = { kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: request.jobNamespace };
  const roleName = (part: string) => `hcp-dr.${request.jobNamespace}.${part}`; // a DNS subdomain: jobNamespace is a label
  const clusterRole = (name: string, scopes: PermissionScope[]): KubeObject => ({
    apiVersion: RBAC_API,
    kind: 'ClusterRole',
    metadata: { name, labels },
    rules: policyRules(permissions.filter((p) => scopes.includes(p.where))),
  });
  const roleRef = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });

  if (request.clusters.type === 'fleet') {
    const name = roleName('fleet');
    return {
      clusterRoles: [clusterRole(name, ['all-namespaces', 'hosted-cluster-namespace', 'control-plane-namespace', 'cluster'])],
      clusterRoleBindings: [
        { apiVersion: RBAC_API, kind: 'ClusterRoleBinding', metadata: { name, labels }, roleRef: roleRef(name), subjects: [subject] },
      ],
      roleBindings: [],
    };
  }
  const hcRole = roleName('hosted-cluster');
  const cpRole = roleName('control-plane');
  const { namespace, names } = request.clusters;
  const binding = (ns: string, role: string): KubeObject => ({
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: { name: role, namespace: ns, labels },
    roleRef: roleRef(role),
    subjects: [subject],
  });
  const cpNamespaces = [...new Set(names.map((n) => controlPlaneNamespace(namespace, n)))].sort();
  // Named cluster-scoped reads (the management cluster's identity) need a ClusterRoleBinding; their
  // rules carry resourceNames, so the ServiceAccount reads those objects and no others.
  const clusterRule = roleName('cluster');
  const clusterWide = permissions.some((p) => p.where === 'cluster');
  return {
    clusterRoles: [
      clusterRole(hcRole, ['hosted-cluster-namespace']),
      clusterRole(cpRole, ['control-plane-namespace']),
      ...(clusterWide ? [clusterRole(clusterRule, ['cluster'])] : []),
    ],
    clusterRoleBindings: clusterWide
      ? [
          {
            apiVersion: RBAC_API,
            kind: 'ClusterRoleBinding',
            metadata: { name: clusterRule, labels },
            roleRef: roleRef(clusterRule),
            subjects: [subject],
          },
        ]
      : [],
    roleBindings: [binding(namespace, hcRole), ...cpNamespaces.map((ns) => binding(ns, cpRole))],
  };
}
