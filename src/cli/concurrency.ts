/** --concurrency as the fleet commands take it: a whole number from 1 to 32, or the command's own default. */
import { UsageError } from '../core/errors.ts';

const MAX_CONCURRENCY = 32;

/** `hint` says the command's default and why it is that. */
export function concurrencyOf(text: string | undefined, fallback: number, hint: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new UsageError(`invalid --concurrency "${text}": it must be a whole number from 1 to ${MAX_CONCURRENCY}`, { hint });
  }
  return n;
}

export const DEFAULT_CONCURRENCY = 4;

/** --concurrency of `backup --all`, and of the fleet CronJob `schedule --all` writes (checked there before it is written). */
export function backupConcurrencyOf(text: string | undefined): number {
  return concurrencyOf(
    text,
    DEFAULT_CONCURRENCY,
    `the default is ${DEFAULT_CONCURRENCY}; each backup streams one snapshot, so more rarely goes faster`,
  );
}
