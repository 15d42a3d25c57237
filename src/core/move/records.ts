/**
 * A move's records on both management clusters, and reaching both from them.
 *  - Source: the operation record (annotation hcp-dr.openshift.io/operation, type move) with the
 *    freeze's undo data; it is the lock, and it goes with the source HostedCluster at teardown.
 *  - Destination: annotation hcp-dr.openshift.io/move on the HostedCluster the restore creates
 *    (written in the same request that creates it), removed when the move is done.
 * Both carry the whole MoveOperation; the further phase of the two is the move's phase.
 */
import { PreconditionError, UsageError } from '../errors.ts';
import { Annotations, Resources, type KubeObject } from '../model.ts';
import { OperationPhases, readMoveAnnotation, readOperation, type MoveOperation } from '../operation/record.ts';

export { readMoveAnnotation };
import type { Cluster, KubeApi, KubeSession, S3Target } from '../ports.ts';
import type { MovePhase, MoveWorld } from './types.ts';

const PHASES: readonly MovePhase[] = OperationPhases.move;

export const phaseIndex = (phase: MovePhase): number => PHASES.indexOf(phase);

/** Phases up to here roll back on failure or `resume`; from the DNS hand-off on, a move only goes forward. */
export const isBeforeHandOff = (phase: MovePhase): boolean => phaseIndex(phase) < phaseIndex('dns-handoff');

/** The move record of operation `id` on the source HostedCluster, if it still carries it. */
export function sourceRecordOf(hc: KubeObject | undefined, id: string): MoveOperation | undefined {
  const op = hc ? readOperation(hc)?.operation : undefined;
  return op?.type === 'move' && op.id === id ? op : undefined;
}

export interface MoveContext {
  namespace: string;
  name: string;
  source: Cluster;
  destination: Cluster;
}

export async function writeDestinationRecord(api: KubeApi, namespace: string, name: string, op: MoveOperation | null): Promise<void> {
  await api.mergePatch(Resources.hostedCluster, namespace, name, {
    metadata: { annotations: { [Annotations.move]: op === null ? null : JSON.stringify(op) } },
  });
}

/** The backup store as the record names it (--via and the backup URL); credentials from the environment. */
export function viaTarget(op: MoveOperation, url: string): S3Target {
  const via = op.via;
  if (!via) throw new PreconditionError(`move ${op.id}: the record does not name the object store`, { hint: 'inspect the record' });
  return {
    url,
    ...(via.region ? { region: via.region } : {}),
    ...(via.endpoint ? { endpoint: via.endpoint } : {}),
    ...(via.pathStyle ? { pathStyle: true } : {}),
    ...(via.caBundle ? { caBundle: via.caBundle } : {}),
  };
}

/** Connects to the other side of a move from the context (and file) the record names. */
export async function connectRecorded(world: MoveWorld, endpoint: MoveOperation['source'], side: string): Promise<KubeSession> {
  if (!endpoint?.context)
    throw new UsageError(`the move record does not name the ${side} management cluster`, { hint: 'inspect the record' });
  try {
    return await world.connectKube({ context: endpoint.context, ...(endpoint.kubeconfig ? { kubeconfig: endpoint.kubeconfig } : {}) });
  } catch (err) {
    throw new UsageError(
      `failed to reach the ${side} management cluster of the move, context "${endpoint.context}"${endpoint.kubeconfig ? ` in ${endpoint.kubeconfig}` : ''}: ${(err as Error).message}`,
      { hint: `resume needs both clusters: give this machine a kubeconfig context named "${endpoint.context}"`, cause: err },
    );
  }
}
