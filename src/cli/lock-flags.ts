/** --lock-days and --lock-mode of `backup` (and of `schedule`, which passes them on): parsed before any connection. */
import { UsageError } from '../core/errors.ts';
import type { BackupRequest } from '../core/capture/request.ts';

export interface LockArgs {
  'lock-days'?: number;
  'lock-mode'?: string;
}

/** The longest --lock-days: 100 years, as S3 allows. */
const MAX_LOCK_DAYS = 36_500;

/** --lock-days and --lock-mode: an Object Lock retention for every object, or none. */
export function lockOf(args: LockArgs): BackupRequest['lock'] {
  const days = args['lock-days'];
  const mode = args['lock-mode'];
  if (days === undefined) {
    if (mode !== undefined) throw new UsageError('--lock-mode needs --lock-days', { hint: `pass --lock-days <n> --lock-mode ${mode}` });
    return undefined;
  }
  if (!Number.isInteger(days) || days < 1 || days > MAX_LOCK_DAYS) {
    throw new UsageError(`invalid --lock-days ${String(days)}: a whole number of days from 1 to ${MAX_LOCK_DAYS}`, {
      hint: 'e.g. --lock-days 30',
    });
  }
  if (mode !== undefined && mode !== 'governance' && mode !== 'compliance') {
    throw new UsageError(`invalid --lock-mode "${mode}"`, { hint: 'pass --lock-mode governance or --lock-mode compliance' });
  }
  return { days, mode: mode ?? 'governance' };
}
