/**
 * Retention policies for backups, as restic's `forget` defines its --keep-* policy (pure: no I/O).
 *
 *  - keep-last n: the n most recent backups.
 *  - keep-hourly/daily/weekly/monthly/yearly n: for the last n hours (days, ISO weeks Monday to
 *    Sunday, months, years) that hold at least one backup, the most recent backup of each.
 *    Periods are natural calendar boundaries in UTC (backup ids are UTC), counted only where a
 *    backup exists, never relative to now. `unlimited` keeps one per period forever.
 *  - When a calendar rule finds fewer periods than n, the oldest backup is kept as well
 *    ("oldest daily" ...), so the history reaches as far back as the rule allows.
 *  - keep-within <d>: every backup strictly newer than the newest backup minus d, where d is
 *    years, months, days and hours (`1y6m`, `7d12h`; `m` is months, as in restic).
 *  - A backup kept by any rule is kept (the rules are ORed). Rules apply per group (one hosted
 *    cluster), never across groups.
 *  - The newest backup of a group is always kept ("newest"), whatever the rules say.
 *  - A backup dated after now (a clock ahead) is kept ("future") and takes no part in the rules,
 *    as restic ignores snapshots from the future.
 * parseRetentionPolicy turns flag values into a policy (UsageError on a bad value or an empty
 * policy); retentionArgv turns a policy back into flags, e.g. for a CronJob's command line.
 * applyRetention (retention-apply.ts) decides what a policy keeps.
 */
import { UsageError } from '../errors.ts';

/** The calendar rules, finest first. */
export const CALENDAR_RULES = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type CalendarRule = (typeof CALENDAR_RULES)[number];

/** The flags, as `backup prune` and `schedule` take them. */
export const RETENTION_FLAGS = [
  'keep-last',
  'keep-hourly',
  'keep-daily',
  'keep-weekly',
  'keep-monthly',
  'keep-yearly',
  'keep-within',
] as const;
export type RetentionFlag = (typeof RETENTION_FLAGS)[number];
/** Raw flag values (strings or numbers as a parser hands them over; absent = rule off). */
export type RetentionFlags = Partial<Record<RetentionFlag, string | number>>;

/** A span of calendar time: subtracted as restic does (years, months, days on the calendar, then hours). */
export interface CalendarSpan {
  years: number;
  months: number;
  days: number;
  hours: number;
}

export interface RetentionPolicy {
  /** Counts; Infinity for `unlimited`; absent or 0 = rule off. */
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: CalendarSpan;
}

const COUNT_HINT = 'a count is a whole number (0 turns the rule off) or "unlimited"';
const WITHIN_HINT = 'years, months, days and hours as restic takes them, e.g. 7d, 2m (months), 1y6m, 36h';

/** The policy the flags describe; UsageError for a bad value or when no rule is on. */
export function parseRetentionPolicy(flags: RetentionFlags): RetentionPolicy {
  const policy: RetentionPolicy = {};
  const last = parseCount(flags['keep-last'], '--keep-last');
  if (last) policy.last = last;
  for (const rule of CALENDAR_RULES) {
    const n = parseCount(flags[`keep-${rule}`], `--keep-${rule}`);
    if (n) policy[rule] = n;
  }
  if (flags['keep-within'] !== undefined) {
    const span = parseCalendarSpan(String(flags['keep-within']), '--keep-within');
    if (span.years || span.months || span.days || span.hours) policy.within = span;
  }
  if (Object.keys(policy).length === 0) {
    throw new UsageError(
      'no retention rule: pass at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly (above 0) or --keep-within',
      { hint: 'e.g. --keep-last 7 --keep-daily 14 --keep-weekly 8; the newest backup of each cluster is always kept' },
    );
  }
  return policy;
}

function parseCount(value: string | number | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (text === 'unlimited') return Infinity;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    const why = text.startsWith('-') ? 'a count cannot be negative' : 'not a count';
    throw new UsageError(`invalid ${flag} "${String(value)}": ${why}`, { hint: COUNT_HINT });
  }
  return Number(text);
}

/** `1y2m3d4h` (each unit at most once, in any order; m = months). */
export function parseCalendarSpan(text: string, flag: string): CalendarSpan {
  const span: CalendarSpan = { years: 0, months: 0, days: 0, hours: 0 };
  const fields = { y: 'years', m: 'months', d: 'days', h: 'hours' } as const;
  const parts = [...text.matchAll(/(\d+)([ymdh])/g)];
  const seen = new Set<string>();
  const ok =
    parts.length > 0 && parts.map((p) => p[0]).join('') === text && parts.every((p) => !seen.has(p[2] ?? '') && seen.add(p[2] ?? ''));
  if (!ok || parts.some((p) => !Number.isSafeInteger(Number(p[1])))) {
    const why = text.startsWith('-') ? 'a span cannot be negative' : 'not a duration of years, months, days and hours';
    throw new UsageError(`invalid ${flag} "${text}": ${why}`, { hint: WITHIN_HINT });
  }
  for (const p of parts) span[fields[p[2] as keyof typeof fields]] = Number(p[1]);
  return span;
}

/** The span as the flag takes it (`1y6m`, `36h`). */
export function formatCalendarSpan(span: CalendarSpan): string {
  const text = `${span.years ? `${span.years}y` : ''}${span.months ? `${span.months}m` : ''}${span.days ? `${span.days}d` : ''}${span.hours ? `${span.hours}h` : ''}`;
  return text || '0h';
}

/** The policy as command-line flags (the rules that are on, in a fixed order): what `schedule` puts into a CronJob. */
export function retentionArgv(policy: RetentionPolicy): string[] {
  const count = (n: number) => (Number.isFinite(n) ? String(n) : 'unlimited');
  const argv: string[] = [];
  if (policy.last) argv.push('--keep-last', count(policy.last));
  for (const rule of CALENDAR_RULES) {
    const n = policy[rule];
    if (n) argv.push(`--keep-${rule}`, count(n));
  }
  if (policy.within) argv.push('--keep-within', formatCalendarSpan(policy.within));
  return argv;
}

/** One line for people: "keep-last 3, keep-daily 7, keep-within 1m". */
export function describeRetention(policy: RetentionPolicy): string {
  const argv = retentionArgv(policy);
  const pairs: string[] = [];
  for (let i = 0; i < argv.length; i += 2) pairs.push(`${(argv[i] ?? '').replace(/^--/, '')} ${argv[i + 1] ?? ''}`);
  return pairs.join(', ');
}
