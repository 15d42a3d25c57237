/**
 * The operation record: what hcp-dr writes on a HostedCluster BEFORE its first change, so that
 * any machine can finish or undo a run that died (`resume`), from the cluster alone. It is also
 * the lock: one operation per HostedCluster at a time, whatever its type.
 *
 *   hcp-dr.openshift.io/operation             JSON OperationInfo: {"id","type","startedAt","phase","toolVersion",...}
 *   hcp-dr.openshift.io/previous-paused-until JSON: the previous spec.pausedUntil, or null when absent
 *   hcp-dr.openshift.io/previous-replicas     JSON: {"kube-apiserver": 3, ...}
 *
 * Contract:
 *  - OperationInfo is a union discriminated by `type`; each type has its own phases and its
 *    own fields (the undo data only that type needs). The two `previous-*` annotations are the
 *    undo data of a pause and a scale-down, shared by every type that quiesces.
 *  - A record written by a newer hcp-dr may carry a type this version does not know: it still
 *    locks (acquireOperation refuses), and `resume` names the type and the writer's version.
 *  - The lock is taken with optimistic concurrency (resourceVersion), so two runs cannot both
 *    win. A workflow that CREATES the HostedCluster (restore) puts operationAnnotations() in
 *    the object it creates instead.
 *  - The record is removed (releaseOperation) only after what it describes is done or undone.
 */
import { ConflictError, OperationInProgressError, PreconditionError } from '../errors.ts';
import { Annotations, Resources, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';

/** Every operation type and its phases, in the order a run passes them. */
export const OperationPhases = {
  backup: ['started', 'quiesced', 'snapshotted', 'resumed', 'uploaded'],
  // The record rides on the HostedCluster it creates: phases before hosted-cluster stay in memory (restore/store.ts).
  // `staged`: a compressed/encrypted backup's snapshot decoded under a short-lived key for etcd-init (restore/staging.ts).
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

export function readOperation(hc: KubeObject): OperationRecord | undefined {
  const annotations = hc.metadata.annotations ?? {};
  const raw = annotations[Annotations.operation];
  if (raw === undefined) return undefined;
  const operation = parseJson(raw, Annotations.operation);
  if (typeof operation !== 'object' || operation === null || typeof (operation as { id?: unknown }).id !== 'string') {
    throw new PreconditionError(`failed to read annotation ${Annotations.operation}: it is not an operation record (${raw.slice(0, 80)})`, {
      hint: 'inspect it with "kubectl get hostedcluster -o yaml"; remove it by hand only if no hcp-dr run is active',
    });
  }
  return {
    operation: operation as OperationInfo,
    previousPausedUntil:
      annotations[Annotations.previousPausedUntil] === undefined
        ? undefined
        : (parseJson(annotations[Annotations.previousPausedUntil] as string, Annotations.previousPausedUntil) as string | null),
    previousReplicas:
      annotations[Annotations.previousReplicas] === undefined
        ? undefined
        : (parseJson(annotations[Annotations.previousReplicas] as string, Annotations.previousReplicas) as Record<string, number>),
  };
}

function parseJson(value: string, key: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new PreconditionError(`failed to read annotation ${key}: it is not valid JSON (${value.slice(0, 80)})`, {
      hint: `inspect it with "kubectl get hostedcluster -o yaml"; remove it by hand only if no hcp-dr run is active`,
    });
  }
}

/** The undo data of a pause and a scale-down, recorded before either happens. */
export interface QuiesceUndo {
  /** spec.pausedUntil before the run; null when it was absent. */
  previousPausedUntil: string | null;
  /** spec.replicas of each deployment the run will scale. */
  previousReplicas: Record<string, number>;
}

/**
 * The annotations of a record, for a workflow that creates the HostedCluster with its record
 * already on it (restore), or for a merge patch.
 */
export function operationAnnotations(operation: OperationInfo, undo?: QuiesceUndo): Record<string, string> {
  return {
    [Annotations.operation]: JSON.stringify(operation),
    ...(undo
      ? {
          [Annotations.previousPausedUntil]: JSON.stringify(undo.previousPausedUntil),
          [Annotations.previousReplicas]: JSON.stringify(undo.previousReplicas),
        }
      : {}),
  };
}

/**
 * Takes the lock and records the undo data in one write, conditional on the resourceVersion
 * read: a concurrent writer makes it fail rather than overwrite. With `previousReplicas` the
 * quiesce undo data (that and the HostedCluster's current spec.pausedUntil) is recorded too.
 */
export async function acquireOperation(
  api: KubeApi,
  hc: KubeObject,
  operation: OperationInfo,
  previousReplicas?: Record<string, number>,
): Promise<KubeObject> {
  const { namespace = '', name = '' } = hc.metadata;
  // A controller's status write between the read and the lock is no competing run: read again and
  // retry (a few times); only another record refuses.
  let current = hc;
  for (let attempt = 0; ; attempt++) {
    // A move's destination carries its record as the move annotation: it locks as well.
    const existing = readOperation(current)?.operation ?? readMoveAnnotation(current);
    if (existing) throw inProgress(current, existing);
    const pausedUntil = (current['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil;
    const undo = previousReplicas ? { previousPausedUntil: pausedUntil ?? null, previousReplicas } : undefined;
    const patch = { metadata: { resourceVersion: current.metadata.resourceVersion, annotations: operationAnnotations(operation, undo) } };
    try {
      return await api.mergePatch(Resources.hostedCluster, namespace, name, patch);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const fresh = await api.get(Resources.hostedCluster, namespace, name);
      if (fresh && (readOperation(fresh) || readMoveAnnotation(fresh)))
        throw inProgress(fresh, (readOperation(fresh)?.operation ?? readMoveAnnotation(fresh))!);
      if (!fresh || attempt >= 4)
        throw new ConflictError(`failed to lock HostedCluster "${namespace}/${name}": it changed while hcp-dr read it`, {
          hint: 'run the command again',
          cause: err,
        });
      current = fresh;
    }
  }
}

/** Records progress (phase and the type's own fields) so `resume` knows what to finish or clean. */
export async function updateOperation(api: KubeApi, hc: KubeObject, operation: OperationInfo): Promise<void> {
  await api.mergePatch(Resources.hostedCluster, hc.metadata.namespace ?? '', hc.metadata.name ?? '', {
    metadata: { annotations: { [Annotations.operation]: JSON.stringify(operation) } },
  });
}

/** Drops the quiesce undo data once the pause and scale-down are undone; the lock stays. */
export async function releaseQuiesceUndo(api: KubeApi, namespace: string, name: string): Promise<void> {
  await api.mergePatch(Resources.hostedCluster, namespace, name, {
    metadata: { annotations: { [Annotations.previousPausedUntil]: null, [Annotations.previousReplicas]: null } },
  });
}

/** Removes the record. Only after everything it describes has been undone or completed. */
export async function releaseOperation(api: KubeApi, namespace: string, name: string): Promise<void> {
  await api.mergePatch(Resources.hostedCluster, namespace, name, {
    metadata: {
      annotations: { [Annotations.operation]: null, [Annotations.previousPausedUntil]: null, [Annotations.previousReplicas]: null },
    },
  });
}

/** A move's record on its destination HostedCluster (annotation hcp-dr.openshift.io/move), if any. */
export function readMoveAnnotation(hc: KubeObject | undefined): MoveOperation | undefined {
  const raw = hc?.metadata.annotations?.[Annotations.move];
  if (raw === undefined) return undefined;
  try {
    const op = JSON.parse(raw) as MoveOperation;
    if (op && op.type === 'move' && typeof op.id === 'string') return op;
  } catch {
    // fall through
  }
  throw new PreconditionError(`failed to read annotation ${Annotations.move}: it is not a move record (${raw.slice(0, 80)})`, {
    hint: 'inspect it with "kubectl get hostedcluster -o yaml"; remove it by hand only if no move is active',
  });
}

/** The phase as a person reads it: an online backup records "quiesced" at its snapshot but never quiesces. */
export function phaseText(hc: KubeObject, op: OperationInfo): string {
  const replicas = hc.metadata.annotations?.[Annotations.previousReplicas];
  const online = op.type === 'backup' && (replicas === undefined || replicas === '{}');
  return online && op.phase === 'quiesced' ? 'snapshotting, online' : op.phase;
}

function inProgress(hc: KubeObject, op: OperationInfo): OperationInProgressError {
  const { namespace, name } = hc.metadata;
  return new OperationInProgressError(
    `failed to start: HostedCluster "${namespace}/${name}" has hcp-dr operation ${op.id} (${op.type}, ${phaseText(hc, op)}) in progress since ${op.startedAt}`,
    {
      hint: `that run may still be active (on this or another machine): check first; once it is not, finish or undo what it left with: {cmd} resume ${name} -n ${namespace}`,
    },
  );
}
