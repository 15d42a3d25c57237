/** The flags of `backup --all` (definitions only; the handler is backup-all-run.ts). */
import type { Options } from 'yargs';
import { UsageError } from '../../core/errors.ts';

export const fleetOptions = {
  all: {
    type: 'boolean',
    describe: 'Back up every HostedCluster (of -n, or of every namespace), online unless --quiesce; exit 6 if some failed',
  },
  selector: { alias: 'l', type: 'string', describe: 'With --all: only HostedClusters matching this label selector (e.g. env=prod)' },
  concurrency: { type: 'string', describe: 'With --all: backups running at the same time, 1 to 32 (default 4)' },
} satisfies Record<string, Options>;

export interface FleetArgs {
  all?: boolean;
  selector?: string;
  concurrency?: string;
}

export const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;

/**
 * --concurrency of `backup --all`, of the fleet CronJob `schedule --all` writes (checked there before it is
 * written), and of `etcd status -A` (with its own default and hint).
 */
export function concurrencyOf(
  text: string | undefined,
  fallback = DEFAULT_CONCURRENCY,
  hint = `the default is ${DEFAULT_CONCURRENCY}; each backup streams one snapshot, so more rarely goes faster`,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new UsageError(`invalid --concurrency "${text}": it must be a whole number from 1 to ${MAX_CONCURRENCY}`, {
      hint,
    });
  }
  return n;
}
