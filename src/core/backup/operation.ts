/**
 * The operation record: what hcp-dr writes on the HostedCluster BEFORE its first change, so
 * that any machine can undo a run that died (`resume`), from the cluster alone.
 *
 *   hcp-dr.openshift.io/operation             {"id","type","startedAt","phase","member","snapshotPath"}
 *   hcp-dr.openshift.io/previous-paused-until JSON: the previous spec.pausedUntil, or null when absent
 *   hcp-dr.openshift.io/previous-replicas     JSON: {"kube-apiserver": 3, ...}
 *
 * The lock is taken with optimistic concurrency (resourceVersion), so two runs cannot both win.
 */
import { ConflictError, isHcpDrError, OperationInProgressError, PreconditionError } from '../errors.ts';
import { Annotations, Resources, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';

export type OperationPhase = 'started' | 'quiesced' | 'snapshotted' | 'resumed' | 'uploaded';

export interface OperationInfo {
  id: string;
  type: 'backup';
  startedAt: string;
  phase: OperationPhase;
  /** Pod holding the snapshot file, once one was written. */
  member?: string;
  snapshotPath?: string;
}

export interface OperationRecord {
  operation: OperationInfo;
  /** undefined: not recorded (nothing to restore); null: the field was absent. */
  previousPausedUntil: string | null | undefined;
  previousReplicas: Record<string, number> | undefined;
}

export function readOperation(hc: KubeObject): OperationRecord | undefined {
  const annotations = hc.metadata.annotations ?? {};
  const raw = annotations[Annotations.operation];
  if (raw === undefined) return undefined;
  return {
    operation: parseJson(raw, Annotations.operation) as OperationInfo,
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
 * Takes the lock and records the undo data in one write, conditional on the resourceVersion
 * read: a concurrent writer makes it fail rather than overwrite.
 */
export async function acquireOperation(
  api: KubeApi,
  hc: KubeObject,
  operation: OperationInfo,
  previousReplicas: Record<string, number>,
): Promise<KubeObject> {
  const existing = readOperation(hc);
  if (existing) throw inProgress(hc, existing.operation);
  const pausedUntil = (hc['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil;
  const patch = {
    metadata: {
      resourceVersion: hc.metadata.resourceVersion,
      annotations: {
        [Annotations.operation]: JSON.stringify(operation),
        [Annotations.previousPausedUntil]: JSON.stringify(pausedUntil ?? null),
        [Annotations.previousReplicas]: JSON.stringify(previousReplicas),
      },
    },
  };
  const { namespace = '', name = '' } = hc.metadata;
  try {
    return await api.mergePatch(Resources.hostedCluster, namespace, name, patch);
  } catch (err) {
    if (err instanceof ConflictError) {
      const current = await api.get(Resources.hostedCluster, namespace, name);
      const other = current && readOperation(current);
      if (other) throw inProgress(hc, other.operation);
      throw new ConflictError(`failed to lock HostedCluster "${namespace}/${name}": it changed while hcp-dr read it`, {
        hint: 'run the command again',
        cause: err,
      });
    }
    throw err;
  }
}

/** Records progress (phase, where the snapshot file is) so `resume` knows what to clean. */
export async function updateOperation(api: KubeApi, hc: KubeObject, operation: OperationInfo): Promise<void> {
  await api.mergePatch(Resources.hostedCluster, hc.metadata.namespace ?? '', hc.metadata.name ?? '', {
    metadata: { annotations: { [Annotations.operation]: JSON.stringify(operation) } },
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

function inProgress(hc: KubeObject, op: OperationInfo): OperationInProgressError {
  const { namespace, name } = hc.metadata;
  return new OperationInProgressError(
    `failed to start: HostedCluster "${namespace}/${name}" has hcp-dr operation ${op.id} (${op.type}, ${op.phase}) in progress since ${op.startedAt}`,
    { hint: `if that run is no longer active, undo what it left with: {cmd} resume ${name} -n ${namespace}` },
  );
}

export function isConflict(err: unknown): boolean {
  return isHcpDrError(err) && err instanceof ConflictError;
}
