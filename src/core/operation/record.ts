/**
 * The operation record: what hcp-dr writes on a HostedCluster BEFORE its first change, so that
 * any machine can finish or undo a run that died (`resume`), from the cluster alone. It is also
 * the lock: one operation per HostedCluster at a time, whatever its type.
 *
 *   hcp-dr.openshift.io/operation             JSON OperationInfo: {"id","type","startedAt","phase","toolVersion",...}
 *   hcp-dr.openshift.io/previous-paused-until JSON: the previous spec.pausedUntil, or null when absent
 *   hcp-dr.openshift.io/previous-replicas     JSON: {"kube-apiserver": 3, ...}
 *
 * Contract (the record's shape, each type's phases and fields: record-types.ts):
 *  - The two `previous-*` annotations are the undo data of a pause and a scale-down, shared by
 *    every type that quiesces.
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
import type { MoveOperation, OperationInfo, OperationRecord, QuiesceUndo } from './record-types.ts';

// The record's shape, for the many callers that read it from here.
export { OPERATION_TYPES, OperationPhases, isKnownOperationType } from './record-types.ts';
export type {
  BackupOperation,
  DrillOperation,
  EtcdRestoreOperation,
  MoveEndpoint,
  MoveOperation,
  OperationInfo,
  OperationRecord,
  OperationType,
  PhaseOf,
  QuiesceUndo,
  RecoverMemberOperation,
  RestoreOperation,
} from './record-types.ts';

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

/**
 * The phase as a person reads it: an online backup never quiesces, yet one written by an earlier
 * hcp-dr recorded "quiesced" at its snapshot (now it records "snapshotted" with the file).
 */
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
