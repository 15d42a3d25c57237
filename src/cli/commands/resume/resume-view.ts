/** The table form of a resume report. */
import type { ResumeResult } from '../../../core/operation/resume.ts';
import { renderPhaseTimings } from '../../phase-timings.ts';

/** `verbose` (-v) adds the timings of the phases it ran (or undid), as the commands that ran them show theirs. */
export function renderResume(result: ResumeResult, verbose = false): string {
  if (result.operation === null) return `nothing to resume on ${result.namespace}/${result.name}: no hcp-dr operation is recorded\n`;
  const text =
    [`resumed ${result.namespace}/${result.name} (operation ${result.operation}):`, ...result.actions.map((a) => `  - ${a}`)].join('\n') +
    '\n';
  return verbose && result.phases?.length ? `${text}${renderPhaseTimings(result.phases)}` : text;
}
