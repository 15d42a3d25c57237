/**
 * A move's record as the runner's OperationStore, on two clusters (records.ts says where):
 *  - the lock is the operation record on the source HostedCluster, taken with the freeze's undo
 *    data (spec.pausedUntil, the replicas) in one conditional write;
 *  - each phase is written on every side that carries this move's record: the source until its
 *    HostedCluster is torn down (or released with --keep-source), the destination from the restore
 *    on (the restore creates its HostedCluster with the record on it);
 *  - the release removes the record from every side that still carries it.
 * The destination is not read before the restore: a rollback needs only the source.
 */
import { InternalError } from '../errors.ts';
import { Resources, type KubeObject } from '../model.ts';
import { acquireOperation, releaseOperation, updateOperation, type MoveOperation } from '../operation/record.ts';
import type { OperationStore } from '../operation/runner.ts';
import { phaseIndex, readMoveAnnotation, sourceRecordOf, writeDestinationRecord, type MoveContext } from './records.ts';

export interface MoveStore extends OperationStore<'move'> {
  /** The record as last written (undefined before the lock). */
  current(): MoveOperation | undefined;
}

const onDestination = (op: MoveOperation) => phaseIndex(op.phase) >= phaseIndex('restoring');

/** Writes `op` on each side that carries the record of its move. */
export async function writeMoveRecord(ctx: MoveContext, op: MoveOperation): Promise<void> {
  const [srcHc, dstHc] = await Promise.all([
    ctx.source.api.get(Resources.hostedCluster, ctx.namespace, ctx.name),
    onDestination(op) ? ctx.destination.api.get(Resources.hostedCluster, ctx.namespace, ctx.name) : undefined,
  ]);
  if (srcHc && sourceRecordOf(srcHc, op.id)) await updateOperation(ctx.source.api, srcHc, op);
  if (dstHc && readMoveAnnotation(dstHc)?.id === op.id) await writeDestinationRecord(ctx.destination.api, ctx.namespace, ctx.name, op);
}

/**
 * `lockWith` gives the HostedCluster the checks read and the replicas to record; a store for
 * `resume` has none (the record it goes on from is the lock) and starts from `recorded`.
 */
export function moveStore(
  ctx: MoveContext,
  lockWith?: () => { hc: KubeObject; previousReplicas: Record<string, number> },
  recorded?: MoveOperation,
): MoveStore {
  let current = recorded;
  return {
    current: () => current,
    async acquire(operation) {
      if (!lockWith) throw new InternalError(`the move record of ${ctx.namespace}/${ctx.name} is already held: resume cannot lock again`);
      const { hc, previousReplicas } = lockWith();
      await acquireOperation(ctx.source.api, hc, operation, previousReplicas);
      current = operation;
    },
    async write(operation) {
      await writeMoveRecord(ctx, operation);
      current = operation;
    },
    async release() {
      const op = current;
      if (!op) return;
      const [srcHc, dstHc] = await Promise.all([
        ctx.source.api.get(Resources.hostedCluster, ctx.namespace, ctx.name),
        onDestination(op) ? ctx.destination.api.get(Resources.hostedCluster, ctx.namespace, ctx.name) : undefined,
      ]);
      if (srcHc && sourceRecordOf(srcHc, op.id)) await releaseOperation(ctx.source.api, ctx.namespace, ctx.name);
      if (dstHc && readMoveAnnotation(dstHc)?.id === op.id)
        await writeDestinationRecord(ctx.destination.api, ctx.namespace, ctx.name, null);
    },
  };
}
