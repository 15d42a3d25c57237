/**
 * Confirmation for commands that cause downtime: `--yes`, or an answer on a terminal.
 * Without a terminal and without --yes the command refuses (exit 2), as velero does.
 */
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../core/errors.ts';
import type { CliDeps } from './deps.ts';

export async function confirmOrRefuse(deps: CliDeps, question: string, yes: boolean | undefined, flagHint: string): Promise<void> {
  if (yes) return;
  if (!deps.interactive) {
    throw new UsageError(`refusing to continue without confirmation: ${question}`, { hint: `pass --yes to confirm (${flagHint})` });
  }
  const rl = createInterface({ input: deps.stdin, output: deps.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('aborted: not confirmed', { hint: flagHint });
  } finally {
    rl.close();
  }
}
