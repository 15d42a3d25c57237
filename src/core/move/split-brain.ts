/**
 * A move's `--no-repair` (hypershift-domain.md §3.1, OCPBUGS-99534): released HyperShift's etcd-init
 * restores every destination member as its own one-member cluster. By default the restore inside the
 * move repairs that in place from the same backup before the destination counts as verified; with
 * --no-repair the move stops there instead, past the point of no return, at phase `restoring`.
 *
 * Contract: the stop is written into the move's records on both sides (`splitBrain`, the reason), so
 * that the `resume` the report names repairs in place and finishes the move; a `resume` before any
 * run reported the split brain honours the recorded --no-repair and stops at it as the run would.
 * The destination's API name is left alone: it is not waited for while the members disagree.
 */
import type { RestoreResult } from '../contracts/restore.ts';
import type { MoveContext } from './records.ts';
import type { MoveOperation } from '../operation/record.ts';
import { writeMoveRecord } from './store.ts';
import type { MoveRecord } from './types.ts';

export interface SplitBrainStop {
  reason: string;
  /** What is left to do, runnable as printed ({cmd} is the plugin's name). */
  hint: string;
}

/** The next step after the stop: the same words as restore's --no-repair hint, with the move's continuation. */
export function splitBrainHint(ctx: Pick<MoveContext, 'namespace' | 'name'>, resumeCommand: string): string {
  return `each etcd pod on the destination restored the snapshot as its own cluster (OCPBUGS-99534): do not use ${ctx.namespace}/${ctx.name} there; repair it in place from the same backup and finish the move with "${resumeCommand}"`;
}

/**
 * Records the stop on both sides (the phase stays `restoring`) and says what is left to do;
 * `record` writes the record (the runner's, inside a run: the move's store, records on both sides).
 */
export async function stopAtSplitBrain(
  ctx: MoveContext,
  op: MoveOperation,
  restore: RestoreResult,
  resumeCommand: string,
  record: (next: MoveRecord) => Promise<void> = (next) => writeMoveRecord(ctx, next),
): Promise<{ op: MoveOperation; stop: SplitBrainStop }> {
  const reason = restore.verdict.reason;
  const next: MoveRecord = { ...op, phase: 'restoring', splitBrain: reason };
  await record(next);
  return { op: next, stop: { reason, hint: splitBrainHint(ctx, resumeCommand) } };
}
