/**
 * `move` as a workflow (operation/workflow.ts): the checks, then the phases the record names
 * (OperationPhases.move), each written on both sides before it runs (store.ts).
 *
 *   preflight, confirm   read only, both sides and the bucket; the downtime confirmed
 *   frozen               pause and scale the API servers to 0      → undone by the rollback
 *   backed-up            snapshot and bundle from the frozen source → undone by the rollback
 *   ---------- point of no return: the DNS hand-off, recorded before any Route is deleted ----------
 *   dns-handoff, restoring, verified, tearing-down, source-removed (forward.ts)
 *
 * The rollback (and `resume` before the hand-off) is one undo, on `frozen`: it ends the freeze
 * first and then cleans up what the backup may have left (before-handoff.ts undoBeforeHandOff).
 */
import { defineWorkflow } from '../operation/workflow.ts';
import { backUpSource, checkMove, confirmMove, freezeSource, undoBeforeHandOff } from './before-handoff.ts';
import { forwardOnly, handOffDns, keepOrLeaveSource, restoreDestination, settleDestination, tearDown } from './forward.ts';
import type { MoveState } from './state.ts';
import { BACKED_UP } from './types.ts';

export const moveWorkflow = defineWorkflow<'move', MoveState>({
  type: 'move',
  what: (s) => `move of "${s.namespace}/${s.name}"`,
  failedTo: (s) => `failed to move "${s.namespace}/${s.name}"`,
  // A failure before the hand-off is reported as it happened; the rollback shows in the "rollback:" lines.
  rollbackNote: 'interrupt-only',
  afterPointOfNoReturn: 'the source stays paused for good',
  phases: [
    { kind: 'check', name: 'preflight', run: (s) => checkMove(s) },
    { kind: 'check', name: 'confirm', run: (s) => confirmMove(s) },
    {
      kind: 'change',
      name: 'frozen',
      run: (s, r) => freezeSource(s, r),
      undo: (s, r) => undoBeforeHandOff(s, r),
      undoes: 'unfreeze the source',
    },
    // Its undo is the one on `frozen`, which must unfreeze before it cleans the bucket.
    { kind: 'change', name: BACKED_UP, run: (s) => backUpSource(s) },
    { kind: 'change', name: 'dns-handoff', run: forwardOnly(handOffDns), pointOfNoReturn: true },
    { kind: 'change', name: 'restoring', run: forwardOnly(restoreDestination) },
    { kind: 'change', name: 'verified', run: forwardOnly(keepOrLeaveSource) },
    { kind: 'change', name: 'tearing-down', run: forwardOnly(tearDown) },
    { kind: 'change', name: 'source-removed', run: forwardOnly(settleDestination) },
  ],
  onEnd: (s) => s.pause?.stop(),
});

/**
 * The runner's test hook as the move names its boundaries: the runner marks the lock and the end
 * of each phase; before the hand-off those are the move's step names, from the hand-off on each
 * phase marks its own start instead (after its record: forward.ts), so the runner's marks are dropped.
 */
export function moveStep(step: ((name: string) => void) | undefined): ((name: string) => void) | undefined {
  if (!step) return undefined;
  return (name) => {
    if (name === 'locked' || name === 'frozen' || name === BACKED_UP) step(name);
  };
}
