/**
 * The runner's phase timings (`phases` in -o json|yaml of backup, etcd restore, etcd recover-member
 * and move, and of `resume`) as the human output shows them: a PHASE/SECONDS table, at -v for all
 * but a move's run. An undo's row (a resume that rolled back) reads "undo <phase>".
 */
import type { PhaseTiming } from '../core/operation/runner.ts';
import { renderTable } from './output.ts';

export function renderPhaseTimings(phases: readonly PhaseTiming[]): string {
  return renderTable(
    ['PHASE', 'SECONDS'],
    phases.map((p) => [p.undo ? `undo ${p.phase}` : p.phase, p.seconds.toFixed(1)]),
  );
}
