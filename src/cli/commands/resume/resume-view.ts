/** The table form of a resume report. */
import type { ResumeResult } from '../../../core/operation/resume.ts';

export function renderResume(result: ResumeResult): string {
  if (result.operation === null) return `nothing to resume on ${result.namespace}/${result.name}: no hcp-dr operation is recorded\n`;
  return (
    [`resumed ${result.namespace}/${result.name} (operation ${result.operation}):`, ...result.actions.map((a) => `  - ${a}`)].join('\n') +
    '\n'
  );
}
