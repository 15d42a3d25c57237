/**
 * The one declaration of the Kubernetes API permissions each hcp-dr workflow needs. `schedule`
 * derives its RBAC from it (policy-rules.ts; never a second hand-written list), and
 * test/integration/permissions.test.ts proves it against what the code really calls: every request
 * a run makes is covered, and every declared verb is used by some run.
 *
 * `where` says in which namespace a permission is exercised, so a schedule of named hosted
 * clusters can bind it there only (RoleBindings), while a fleet schedule, whose control-plane
 * namespaces are not known in advance, binds it cluster-wide.
 */

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export type PermissionScope =
  /** The HostedCluster's own namespace (`-n`). */
  | 'hosted-cluster-namespace'
  /** The control-plane namespace `<namespace>-<name>` HyperShift runs the control plane in. */
  | 'control-plane-namespace'
  /** Across all namespaces (a list of every HostedCluster). */
  | 'all-namespaces'
  /** Named cluster-scoped objects (`resourceNames`), granted by a ClusterRole bound cluster-wide. */
  | 'cluster'
  /**
   * The namespace a drill creates and removes, and what it holds: it does not exist before the run,
   * so no RoleBinding can be placed in it; granted cluster-wide, narrowed by resourceNames where
   * RBAC can name the object (never for create: the name of what a create makes is not authorized).
   */
  | 'scratch-namespace';

export interface ApiPermission {
  /** API group, '' for the core group. */
  group: string;
  /** Resource plural, with the subresource when there is one: 'pods/exec', 'deployments/scale'. */
  resource: string;
  /** Verbs the code issues. */
  verbs: readonly Verb[];
  /**
   * Verbs some API server versions check for the very same request, granted too but never
   * expected to be seen: exec over WebSocket is a GET, authorized as `get` on pods/exec before
   * Kubernetes 1.35 and as `create` from then on (AuthorizePodWebsocketUpgradeCreatePermission).
   */
  compatVerbs?: readonly Verb[];
  where: PermissionScope;
  /** Only these objects (RBAC resourceNames); every object of the resource when absent. */
  resourceNames?: readonly string[];
  /**
   * The run goes on without it, saying what it could not record (never silently): such a rule
   * is granted for what it adds, and its absence is a warning, not a failure.
   */
  optional?: boolean;
  /** The objects are the drill's scratch namespaces, whose names only the caller knows (resourceNames filled in by it). */
  namedScratchNamespace?: boolean;
  why: string;
}

export type Workflow = 'backup-online' | 'backup-quiesce' | 'backup-all-online' | 'backup-all-quiesce' | 'backup-prune' | 'drill';

/** The workflows of a schedule's backup CronJobs (a drill runs under a ServiceAccount of its own). */
export const WORKFLOWS: readonly Workflow[] = [
  'backup-online',
  'backup-quiesce',
  'backup-all-online',
  'backup-all-quiesce',
  'backup-prune',
];

const HYPERSHIFT = 'hypershift.openshift.io';

/** What one backup of one hosted cluster reads and writes, whatever its mode. */
const BACKUP_COMMON: readonly ApiPermission[] = [
  {
    group: HYPERSHIFT,
    resource: 'hostedclusters',
    verbs: ['get', 'patch'],
    where: 'hosted-cluster-namespace',
    why: 'resolve the HostedCluster; the operation record and lock are annotations on it',
  },
  {
    group: HYPERSHIFT,
    resource: 'nodepools',
    verbs: ['list'],
    where: 'hosted-cluster-namespace',
    why: 'the NodePools and the Secrets/ConfigMaps they reference go into the backup',
  },
  {
    group: '',
    resource: 'secrets',
    verbs: ['get'],
    where: 'hosted-cluster-namespace',
    why: 'the etcd encryption key and the referenced Secrets (pull secret, SSH key, ...) are carried',
  },
  {
    group: '',
    resource: 'configmaps',
    verbs: ['get'],
    where: 'hosted-cluster-namespace',
    why: 'the referenced ConfigMaps (trust bundles, NodePool config) are carried',
  },
  { group: '', resource: 'pods', verbs: ['list'], where: 'control-plane-namespace', why: 'find the etcd members' },
  {
    group: '',
    resource: 'pods/exec',
    verbs: ['create'],
    compatVerbs: ['get'],
    where: 'control-plane-namespace',
    why: 'etcdctl health checks, the snapshot, streaming it out and removing it',
  },
  { group: 'apps', resource: 'statefulsets', verbs: ['get'], where: 'control-plane-namespace', why: 'the etcd StatefulSet (replicas)' },
  {
    group: '',
    resource: 'secrets',
    verbs: ['list'],
    where: 'control-plane-namespace',
    why: "the control plane's identity a restore needs (every CA, the service-account signing key; tokens left out), in one list",
  },
  {
    group: '',
    resource: 'namespaces',
    verbs: ['get'],
    resourceNames: ['kube-system'],
    where: 'cluster',
    optional: true,
    why: "the management cluster's identity (kube-system's UID) in backup.json, so a restore knows whether it runs elsewhere",
  },
  {
    group: 'config.openshift.io',
    resource: 'infrastructures',
    verbs: ['get'],
    resourceNames: ['cluster'],
    where: 'cluster',
    optional: true,
    why: "OpenShift's infrastructure name, recorded with the management cluster's identity",
  },
];

/** What quiescing adds: the pause and the API servers scaled to 0 and back. */
const QUIESCE: readonly ApiPermission[] = [
  {
    group: HYPERSHIFT,
    resource: 'hostedcontrolplanes',
    verbs: ['get'],
    where: 'control-plane-namespace',
    why: 'wait until the pause has reached the HostedControlPlane',
  },
  {
    group: 'apps',
    resource: 'deployments',
    verbs: ['get'],
    where: 'control-plane-namespace',
    why: 'the API server deployments: their replicas are recorded, then waited on',
  },
  {
    group: 'apps',
    resource: 'deployments/scale',
    verbs: ['patch'],
    where: 'control-plane-namespace',
    why: 'scale kube-apiserver, openshift-apiserver and openshift-oauth-apiserver to 0 and back',
  },
];

/** What a fleet run adds: finding the HostedClusters. */
const FLEET: readonly ApiPermission[] = [
  {
    group: HYPERSHIFT,
    resource: 'hostedclusters',
    verbs: ['list'],
    where: 'all-namespaces',
    why: 'backup --all lists the HostedClusters (of -n, or of every namespace)',
  },
];

/** The drill's etcd pod (src/core/drill/pod.ts DRILL_POD; test/unit/schedule-drill.test.ts holds them equal). */
export const DRILL_POD_NAME = 'hcp-dr-drill-etcd';

/**
 * What `drill` (one backup, or `drill --all` one after another) does on the management cluster:
 * nothing of the hosted cluster (the keys and PKI come from the backup), only its scratch namespace
 * and one pod in it. The etcd image comes from backup.json; the StatefulSet fallback is not granted.
 */
const DRILL: readonly ApiPermission[] = [
  {
    group: '',
    resource: 'namespaces',
    verbs: ['create'],
    where: 'scratch-namespace',
    why: 'the drill creates its scratch namespace, which carries its record',
  },
  {
    group: '',
    resource: 'namespaces',
    verbs: ['get', 'patch', 'delete'],
    where: 'scratch-namespace',
    namedScratchNamespace: true,
    why: "find a dead drill's namespace, record each phase on it, remove it and wait until it is gone",
  },
  { group: '', resource: 'pods', verbs: ['create'], where: 'scratch-namespace', why: 'the throwaway etcd pod' },
  {
    group: '',
    resource: 'pods',
    verbs: ['get'],
    where: 'scratch-namespace',
    resourceNames: [DRILL_POD_NAME],
    why: 'wait until the etcd pod runs',
  },
  {
    group: '',
    resource: 'pods/exec',
    verbs: ['create'],
    compatVerbs: ['get'],
    where: 'scratch-namespace',
    resourceNames: [DRILL_POD_NAME],
    why: 'stream the snapshot in, restore it, run etcdctl against the restored member',
  },
];

/** The permissions of one workflow. `backup prune` talks to S3 only: it needs none. */
export function permissionsOf(workflow: Workflow): ApiPermission[] {
  switch (workflow) {
    case 'backup-online':
      return [...BACKUP_COMMON];
    case 'backup-quiesce':
      return [...BACKUP_COMMON, ...QUIESCE];
    case 'backup-all-online':
      return [...FLEET, ...BACKUP_COMMON];
    case 'backup-all-quiesce':
      return [...FLEET, ...BACKUP_COMMON, ...QUIESCE];
    case 'backup-prune':
      return [];
    case 'drill':
      return [...DRILL];
  }
}
