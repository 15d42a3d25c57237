/**
 * A move's failures in the move's own words (the runner's are generic): what a run or `resume`
 * that failed or was interrupted says, and which command goes on. Past the point of no return the
 * phases word their own failures (forward.ts forwardOnly); this words the interrupts and the
 * rollbacks that could not finish.
 */
import { HcpDrError, InterruptedError, PartialFailureError, causeText } from '../errors.ts';
import type { MoveOperation } from '../operation/record.ts';
import { resumeAt } from './forward.ts';
import { isBeforeHandOff } from './records.ts';
import type { MoveState } from './state.ts';

const causeOf = (err: unknown): unknown => (err instanceof HcpDrError && err.cause !== undefined ? err.cause : err);

/** A failed run: `op` is the record as last written (undefined when the lock was not taken). */
export function moveRunFailure(err: unknown, state: MoveState, op: MoveOperation | undefined): unknown {
  const subject = `move of "${state.namespace}/${state.name}"`;
  if (!op) return err;
  if (isBeforeHandOff(op.phase)) {
    if (state.rollbackFailures.length > 0 && err instanceof PartialFailureError)
      return new PartialFailureError(
        `failed to move "${state.namespace}/${state.name}": ${causeText(causeOf(err))}; and the rollback failed: ${state.rollbackFailures.join('; ')}`,
        { cause: causeOf(err), ...(err.hint ? { hint: err.hint } : {}) },
      );
    if (state.deps.signal?.aborted && err instanceof InterruptedError)
      return new InterruptedError(`${subject} interrupted before the DNS hand-off; the source was unfrozen`, { cause: causeOf(err) });
    return err;
  }
  return forwardFailure(err, state, op);
}

/** Past the point of no return: an interrupt names the resume that finishes the move. */
export function forwardFailure(err: unknown, state: MoveState, op: MoveOperation): unknown {
  if (!state.deps.signal?.aborted) return err;
  return new InterruptedError(
    `move of "${state.namespace}/${state.name}" interrupted after the DNS hand-off: the source stays paused for good`,
    {
      cause: causeOf(err),
      hint: `finish it with: ${resumeAt(state, op)}`,
    },
  );
}

/** A `resume` that could not undo a move before its hand-off. */
export function undoFailure(err: unknown, state: MoveState, op: MoveOperation, resumeCommand: string): unknown {
  if (state.rollbackFailures.length === 0) return err;
  return new PartialFailureError(
    `failed to undo move ${op.id} of "${state.namespace}/${state.name}": ${state.rollbackFailures.join('; ')}`,
    {
      cause: err,
      hint: `fix the cause and run "${resumeCommand}" again (it is safe to repeat)`,
    },
  );
}
