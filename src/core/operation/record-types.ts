/**
 * The operation record's shape: every operation type, its phases in the order a run passes them
 * (the table workflow definitions must match, workflow.ts), and the fields each type records.
 * How a record is kept on a HostedCluster (annotations, lock, release) is record.ts.
 *
 * Contract: OperationInfo is a union discriminated by `type`; each type has its own phases and its
 * own fields (the undo data only that type needs). Records written by an earlier hcp-dr name
 * its phases: a phase that leaves a table must still be understood (mapped) by `resume`.
 */

/** Every operation type and its phases, in the order a run passes them. */
export const OperationPhases = {
  // `resumed` and `uploaded` are not written by a run (nor `quiesced` online: backup/phases.ts); earlier versions' records name them.
  backup: ['started', 'quiesced', 'snapshotted', 'resumed', 'uploaded'],
  // The record rides on the HostedCluster it creates: phases before hosted-cluster stay in memory (restore/store.ts).
  // `staged`: a compressed/encrypted backup's snapshot decoded under a short-lived key for etcd-init (bundle/staging.ts).
  restore: [
    'started',
    'staged',
    'replaced',
    'namespaces',
    'cluster-data',
    'control-plane',
    'hosted-cluster',
    'node-pools',
    'waiting',
    'verifying',
  ],
  'etcd-restore': ['started', 'paused', 'scaled-down', 'helpers', 'copied', 'restoring', 'restored', 'etcd-started', 'verified'],
  'recover-member': ['started', 'member-added', 'storage-replaced', 'rejoined'],
  move: ['started', 'frozen', 'backed-up', 'dns-handoff', 'restoring', 'verified', 'tearing-down', 'source-removed'],
  // The record rides on the drill's scratch namespace (drill/store.ts), never on a HostedCluster.
  drill: ['started', 'pod', 'restored', 'etcd-started', 'checked'],
} as const;

export type OperationType = keyof typeof OperationPhases;
export type PhaseOf<T extends OperationType> = (typeof OperationPhases)[T][number];

export const OPERATION_TYPES = Object.keys(OperationPhases) as OperationType[];

interface OperationBase<T extends OperationType> {
  id: string;
  type: T;
  startedAt: string;
  phase: PhaseOf<T>;
  /** The hcp-dr version that wrote the record (absent in records of 0.1.0). */
  toolVersion?: string;
}

export interface BackupOperation extends OperationBase<'backup'> {
  /** Pod holding the snapshot file, once one was written. */
  member?: string;
  snapshotPath?: string;
}

export interface RestoreOperation extends OperationBase<'restore'> {
  /** The backup's prefix URL (s3://bucket/.../<id>/): never a pre-signed URL. */
  backup?: string;
  backupId?: string;
  /** Objects the run created so far ("<kind> <namespace>/<name>"), so none is left unnamed. */
  created?: string[];
}

export interface EtcdRestoreOperation extends OperationBase<'etcd-restore'> {
  backup?: string;
  backupId?: string;
  /** Where the snapshot came from, for messages ("backup s3://...", "member etcd-0", "file x.db"); never a pre-signed URL. */
  source?: string;
  /** The snapshot: SHA-256 (checked in every helper pod), revision and key count (checked after the restore). */
  sha256?: string;
  revision?: number;
  totalKeys?: number;
  /** spec.replicas of the etcd StatefulSet before the run (restored on rollback, used on success). */
  etcdReplicas?: number;
  /** The etcd image, for the helper pods a rollback may need. */
  image?: string;
  /** A snapshot file written on a member's volume for --from-member: removed afterwards. */
  sourceMember?: string;
  /** --keep-old-data: the moved-aside data stays after success. */
  keepOldData?: boolean;
  /** The restore ran with --bump-revision/--mark-compacted: verification expects the revision bumped. */
  bumpRevision?: boolean;
}

export interface RecoverMemberOperation extends OperationBase<'recover-member'> {
  /** The member (pod) being replaced, e.g. etcd-1. */
  member?: string;
  /** Its member ID before the run; absent when it was missing from the member list. */
  memberId?: string;
  /** UIDs of its PVC and pod before the run: new ones prove the storage was replaced. */
  pvcUid?: string;
  podUid?: string;
  /** The ID `member add` gave it, when the run added it (removed again on rollback). */
  addedMemberId?: string;
}

/** A management cluster as a record names it: kubeconfig context (and file), never credentials. */
export interface MoveEndpoint {
  context: string;
  kubeconfig?: string;
}

/**
 * A move's record: on the source HostedCluster (the lock, with the freeze's undo data) and, from
 * the restore on, as annotation `hcp-dr.openshift.io/move` on the destination HostedCluster.
 * Both hold the same fields; the phase of the side that is further along wins.
 */
export interface MoveOperation extends OperationBase<'move'> {
  source?: MoveEndpoint;
  destination?: MoveEndpoint;
  /** Where the backup goes: the --via URL and how to reach the store (no credentials). */
  via?: { url: string; region?: string; endpoint?: string; pathStyle?: boolean; caBundle?: string };
  /** The backup's prefix URL (s3://bucket/.../<id>/), once uploaded. */
  backup?: string;
  apiHostname?: string;
  /** What the API hostname resolved to on the source before the hand-off. */
  sourceAddresses?: string[];
  /** --dns-server (host[:port]); the system resolver when absent. */
  dnsServer?: string;
  dnsTimeoutMs?: number;
  waitTimeoutMs?: number;
  keepSource?: boolean;
  /** --with-nodes: the CAPI and platform objects go to the destination too. */
  withNodes?: boolean;
  /** What happens to the hosted cluster's nodes (move/nodes.ts): adopt (withNodes) or keep (no NodePool re-created). */
  nodeMode?: 'adopt' | 'keep';
  /** Ready nodes the move waits for at the end: the source's NodePool replicas before the freeze. */
  expectedNodes?: number;
  /** spec.pausedUntil of each NodePool before the freeze (null: absent). */
  nodePoolsPausedUntil?: Record<string, string | null>;
  /** When the API servers went down, for the downtime. */
  frozenAt?: string;
  /** The snapshot file the backup writes on a source member: recorded before it exists, removed by every rollback and resume. */
  snapshot?: { member: string; path: string };
}

/** A restore drill's record, on its scratch namespace: what `resume` (or a re-run) needs to remove it. */
export interface DrillOperation extends OperationBase<'drill'> {
  /** The backup's prefix URL (s3://bucket/.../<id>/): never a pre-signed URL. */
  backup?: string;
  /** The hosted cluster the backup is of ("namespace/name"). */
  hostedCluster?: string;
  /** The scratch namespace the drill created (and removes). */
  scratchNamespace?: string;
  keep?: boolean;
}

export type OperationInfo =
  BackupOperation | RestoreOperation | EtcdRestoreOperation | RecoverMemberOperation | MoveOperation | DrillOperation;

export interface OperationRecord {
  /** Its `type` may be one this version does not know (see isKnownOperationType). */
  operation: OperationInfo;
  /** undefined: not recorded (nothing to restore); null: the field was absent. */
  previousPausedUntil: string | null | undefined;
  previousReplicas: Record<string, number> | undefined;
}

export function isKnownOperationType(type: unknown): type is OperationType {
  return typeof type === 'string' && Object.hasOwn(OperationPhases, type);
}

/** The undo data of a pause and a scale-down, recorded before either happens. */
export interface QuiesceUndo {
  /** spec.pausedUntil before the run; null when it was absent. */
  previousPausedUntil: string | null;
  /** spec.replicas of each deployment the run will scale. */
  previousReplicas: Record<string, number>;
}
