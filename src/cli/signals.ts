/**
 * SIGINT and SIGTERM as one interruption, handled from the first moment: src/main.ts imports
 * this module before any other, so a signal while the rest loads is an interruption like any
 * later one (exit 130), not Node's default death. The first signal aborts `interrupt` with an
 * InterruptedError, which the adapters and workflows watch; a second one exits at once (the
 * rollback unfinished: the annotations left on the cluster allow `resume`).
 */
import { InterruptedError } from '../core/errors.ts';

export const interrupt = new AbortController();

let onSecondSignal: (signal: NodeJS.Signals) => void = () => undefined;
/** What a second signal does; main.ts, the one place that exits, makes it exit 130. */
export function whenSignalledAgain(handler: (signal: NodeJS.Signals) => void): void {
  onSecondSignal = handler;
}

function onSignal(signal: NodeJS.Signals): void {
  if (interrupt.signal.aborted) return onSecondSignal(signal);
  process.stderr.write(`warning: ${signal} received: stopping and rolling back\n`);
  interrupt.abort(new InterruptedError(`interrupted by ${signal}`));
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
