/**
 * The cleaning rules, as data. Each rule names the kinds it applies to ('*' = every kind,
 * else fully qualified `Kind.group`, "Secret" for the core group), what it removes and why.
 * cleanObject() in clean.ts is the one function that applies them; the README table is
 * generated from this list (renderRuleTable) so the two cannot disagree.
 */

export type RuleAction =
  /** Remove fields by dotted path (metadata.uid, spec.etcd.managed.storage.restoreSnapshotURL). */
  | { type: 'removePaths'; paths: readonly string[] }
  /** Remove annotations by exact key or key prefix. */
  | { type: 'removeAnnotations'; keys: readonly string[]; prefixes?: readonly string[] }
  | { type: 'removeLabels'; keys: readonly string[]; prefixes?: readonly string[] }
  /** Remove `path` only when `whenPresent` is set (NodePool replicas under autoscaling). */
  | { type: 'removeIfPresent'; path: string; whenPresent: string }
  /** Remove ownerReferences whose owner is (or is not) among the exported objects. */
  | { type: 'ownerReferences'; owners: 'notExported' | 'exported' };

export interface CleanRule {
  id: string;
  kinds: '*' | readonly string[];
  action: RuleAction;
  /** Human summary of what goes, for the README table. */
  removes: string;
  why: string;
  /** A rule the user can switch off with this option (e.g. --keep-restore-url). */
  unlessOption?: 'keepRestoreUrl';
}

const HC = 'HostedCluster.hypershift.openshift.io';
const NP = 'NodePool.hypershift.openshift.io';
const HCP = 'HostedControlPlane.hypershift.openshift.io';

export const CLEAN_RULES: readonly CleanRule[] = [
  {
    id: 'status',
    kinds: '*',
    action: { type: 'removePaths', paths: ['status'] },
    removes: '`status`',
    why: 'Written by controllers; never desired state, and a source of endless Argo CD drift.',
  },
  {
    id: 'server-metadata',
    kinds: '*',
    action: {
      type: 'removePaths',
      paths: ['metadata.uid', 'metadata.resourceVersion', 'metadata.generation', 'metadata.creationTimestamp', 'metadata.selfLink'],
    },
    removes: '`metadata.uid`, `resourceVersion`, `generation`, `creationTimestamp`, `selfLink`',
    why: 'Set by the API server for one object instance; a stale resourceVersion makes an apply fail with a conflict.',
  },
  {
    id: 'managed-fields',
    kinds: '*',
    action: { type: 'removePaths', paths: ['metadata.managedFields'] },
    removes: '`metadata.managedFields`',
    why: 'Server-side apply bookkeeping of the source cluster.',
  },
  {
    id: 'deletion',
    kinds: '*',
    action: { type: 'removePaths', paths: ['metadata.deletionTimestamp', 'metadata.deletionGracePeriodSeconds'] },
    removes: '`metadata.deletionTimestamp`, `deletionGracePeriodSeconds`',
    why: 'A deletion in progress at export time is not desired state.',
  },
  {
    id: 'finalizers',
    kinds: '*',
    action: { type: 'removePaths', paths: ['metadata.finalizers'] },
    removes: '`metadata.finalizers`',
    why: 'Added by the controllers that own the object (hypershift.openshift.io/finalizer, CAPI); they add them again.',
  },
  {
    id: 'generate-name',
    kinds: '*',
    action: { type: 'removePaths', paths: ['metadata.generateName'] },
    removes: '`metadata.generateName`',
    why: 'The object has its name already; generateName only applies to creates without one.',
  },
  {
    id: 'owner-references-not-exported',
    kinds: '*',
    action: { type: 'ownerReferences', owners: 'notExported' },
    removes: '`ownerReferences` to objects outside the export',
    why: 'The owner will not exist where the tree is applied: the garbage collector would delete the object.',
  },
  {
    id: 'owner-references-exported',
    kinds: '*',
    action: { type: 'ownerReferences', owners: 'exported' },
    removes: '`ownerReferences` to exported objects',
    why: "They carry the owner's old uid, which changes when the owner is re-created: the garbage collector would delete the object. Controllers (CAPI, HyperShift) adopt again.",
  },
  {
    id: 'last-applied',
    kinds: '*',
    action: { type: 'removeAnnotations', keys: ['kubectl.kubernetes.io/last-applied-configuration'] },
    removes: 'annotation `kubectl.kubernetes.io/last-applied-configuration`',
    why: 'A copy of an earlier apply (it may even hold Secret data); kubectl writes it again.',
  },
  {
    id: 'argocd-tracking',
    kinds: '*',
    action: { type: 'removeAnnotations', keys: ['argocd.argoproj.io/tracking-id', 'argocd.argoproj.io/installation-id'] },
    removes: 'annotations `argocd.argoproj.io/tracking-id`, `installation-id`',
    why: 'Tracking of the Argo CD application that managed the source; another application would see an ownership conflict.',
  },
  {
    id: 'argocd-tracking-label',
    kinds: '*',
    action: { type: 'removeLabels', keys: ['app.kubernetes.io/instance'] },
    removes: 'label `app.kubernetes.io/instance`',
    why: "Argo CD's label tracking key; with label tracking Argo CD writes it itself.",
  },
  {
    id: 'controller-annotations',
    kinds: '*',
    action: {
      type: 'removeAnnotations',
      keys: [
        'kubectl.kubernetes.io/restartedAt',
        'deployment.kubernetes.io/revision',
        'hypershift.openshift.io/etcd-snapshot-url',
        'hypershift.openshift.io/restored-from-backup',
        'hypershift.openshift.io/nodePoolCurrentConfig',
        'hypershift.openshift.io/nodePoolCurrentConfigVersion',
        'hypershift.openshift.io/nodePoolCurrentProviderConfig',
        'hypershift.openshift.io/nodePoolTargetConfigVersion',
        'hypershift.openshift.io/nodePoolUpgradeInProgressTrue',
        'hypershift.openshift.io/nodePoolUpgradeInProgressFalse',
        'hypershift.openshift.io/nodePoolPlatformMachineTemplate',
      ],
      prefixes: ['machinedeployment.clusters.x-k8s.io/', 'hcp-dr.openshift.io/'],
    },
    removes:
      "annotations set by controllers: restartedAt, deployment revision, `hypershift.openshift.io/etcd-snapshot-url`, `restored-from-backup`, NodePool config hashes, `machinedeployment.clusters.x-k8s.io/*`, hcp-dr's own undo records `hcp-dr.openshift.io/*`",
    why: 'Runtime state of the source: a stale snapshot URL or restored-from-backup marker re-triggers a restore; hcp-dr undo records would make `resume` act on the copy.',
  },
  {
    id: 'velero-metadata',
    kinds: '*',
    action: { type: 'removeLabels', keys: ['velero.io/backup-name', 'velero.io/restore-name'] },
    removes: 'labels `velero.io/backup-name`, `velero.io/restore-name`',
    why: 'Left by an OADP/Velero restore of the source; meaningless elsewhere.',
  },
  {
    id: 'namespace-server-fields',
    kinds: ['Namespace'],
    action: { type: 'removePaths', paths: ['spec'] },
    removes: 'Namespace `spec` (only `finalizers: [kubernetes]`)',
    why: 'Set by the API server on every namespace.',
  },
  {
    id: 'namespace-labels',
    kinds: ['Namespace'],
    action: { type: 'removeLabels', keys: ['kubernetes.io/metadata.name'] },
    removes: 'label `kubernetes.io/metadata.name`',
    why: 'Set by the API server from the name.',
  },
  {
    id: 'namespace-scc-annotations',
    kinds: ['Namespace'],
    action: { type: 'removeAnnotations', keys: [], prefixes: ['openshift.io/sa.scc.'] },
    removes: 'annotations `openshift.io/sa.scc.*`',
    why: 'UID/MCS ranges allocated by the source OpenShift cluster; the destination allocates its own.',
  },
  {
    id: 'paused-until',
    kinds: [HC, NP, HCP],
    action: { type: 'removePaths', paths: ['spec.pausedUntil'] },
    removes: '`spec.pausedUntil`',
    why: 'Operational: set while a backup or move runs; applied from git it would keep the cluster paused.',
  },
  {
    id: 'restore-snapshot-url',
    kinds: [HC, HCP],
    action: { type: 'removePaths', paths: ['spec.etcd.managed.storage.restoreSnapshotURL'] },
    removes: '`spec.etcd.managed.storage.restoreSnapshotURL` (kept with `--keep-restore-url`)',
    why: 'Immutable, expiring and signed (a credential); it belongs in a one-shot restore, never in git.',
    unlessOption: 'keepRestoreUrl',
  },
  {
    id: 'nodepool-autoscaling-replicas',
    kinds: [NP],
    action: { type: 'removeIfPresent', path: 'spec.replicas', whenPresent: 'spec.autoScaling' },
    removes: 'NodePool `spec.replicas` when `spec.autoScaling` is set',
    why: 'The autoscaler owns the count; a fixed value in git fights it (and the API rejects both set).',
  },
];

/** The rule table as Markdown, for the README. */
export function renderRuleTable(rules: readonly CleanRule[] = CLEAN_RULES): string {
  const rows = rules.map((r) => `| \`${r.id}\` | ${r.kinds === '*' ? 'all' : r.kinds.join(', ')} | ${r.removes} | ${r.why} |`);
  return ['| Rule | Kinds | Removes | Why |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}
