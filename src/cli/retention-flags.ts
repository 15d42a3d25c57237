/**
 * The retention flags (--keep-last, --keep-hourly, ... --keep-within), shared by `backup prune`
 * and by any command that writes a prune run (schedule). Definitions only: the values are
 * checked by parseRetentionPolicy (core/bundle/retention.ts) when a command runs, and
 * retentionArgv turns a parsed policy back into these flags.
 */
import type { Argv, Options } from 'yargs';
import type { RetentionFlag } from '../core/bundle/retention.ts';

/** The yargs options of the retention rules (values as strings: a count, "unlimited", or a span for --keep-within). */
export const retentionOptions = {
  'keep-last': { type: 'string', describe: 'Keep the N most recent backups' },
  'keep-hourly': { type: 'string', describe: 'For the last N hours that have a backup, keep the most recent of each' },
  'keep-daily': { type: 'string', describe: 'For the last N days that have a backup, keep the most recent of each' },
  'keep-weekly': {
    type: 'string',
    describe: 'For the last N ISO weeks (Monday to Sunday) that have a backup, keep the most recent of each',
  },
  'keep-monthly': { type: 'string', describe: 'For the last N months that have a backup, keep the most recent of each' },
  'keep-yearly': { type: 'string', describe: 'For the last N years that have a backup, keep the most recent of each' },
  'keep-within': {
    type: 'string',
    describe: 'Keep every backup newer than this span before the newest backup: years, months, days, hours (1y6m, 7d, 36h; m = months)',
  },
} satisfies Record<RetentionFlag, Options>;

/** Raw values of the retention flags as yargs hands them over. */
export type RetentionArgs = Partial<Record<RetentionFlag, string>>;

/** Adds the retention flags to a command builder (`schedule` and `backup prune` take the same ones). */
export function registerRetentionOptions<T>(y: Argv<T>): Argv<T & RetentionArgs> {
  return y
    .options(retentionOptions)
    .group(
      Object.keys(retentionOptions),
      'Retention, per cluster, as restic forget (at least one rule; N is a count or "unlimited"; periods in UTC):',
    ) as Argv<T & RetentionArgs>;
}
