/**
 * The runner's phase timings (`phases` in -o json|yaml of backup, etcd restore, etcd recover-member
 * and move) as the human output shows them: a PHASE/SECONDS table, at -v for the first three.
 */
import type { PhaseTiming } from '../core/operation/runner.ts';
import { renderTable } from './output.ts';

export function renderPhaseTimings(phases: readonly PhaseTiming[]): string {
  return renderTable(
    ['PHASE', 'SECONDS'],
    phases.map((p) => [p.phase, p.seconds.toFixed(1)]),
  );
}
