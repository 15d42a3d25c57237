/**
 * Retention rules for backups, as restic's `forget` defines its --keep-* policy (pure: no I/O).
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

export type KeepReason = 'newest' | 'future' | 'last' | CalendarRule | `oldest ${CalendarRule}` | 'within';

export interface RetentionCandidate {
  /** Backups are grouped by this (`<namespace>/<name>`); rules never cross groups. */
  group: string;
  /** Milliseconds since the epoch (backup.json createdAt). */
  time: number;
  /** Orders backups of the same time: the greater id counts as the more recent (as `backup list` sorts). */
  id: string;
}

export interface RetentionDecision<T> {
  item: T;
  keep: boolean;
  /** Every rule that keeps it, in a fixed order; empty when it is to be deleted. */
  reasons: KeepReason[];
}

const HOUR_MS = 3_600_000;

/** Decides, per group, what the policy keeps. Output order: groups by name, newest first within a group. */
export function applyRetention<T extends RetentionCandidate>(
  items: readonly T[],
  policy: RetentionPolicy,
  now: Date,
): RetentionDecision<T>[] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.group, [...(groups.get(item.group) ?? []), item]);
  const out: RetentionDecision<T>[] = [];
  for (const group of [...groups.keys()].sort()) {
    const sorted = [...(groups.get(group) ?? [])].sort(newestFirst);
    const reasons = new Map<T, Set<KeepReason>>(sorted.map((i) => [i, new Set<KeepReason>()]));
    const add = (i: T, r: KeepReason) => reasons.get(i)?.add(r);
    const future = sorted.filter((i) => i.time > now.getTime());
    const present = sorted.filter((i) => i.time <= now.getTime());
    for (const i of future) add(i, 'future');
    if (sorted[0]) add(sorted[0], 'newest');
    present.slice(0, Math.min(present.length, policy.last ?? 0)).forEach((i) => add(i, 'last'));
    for (const rule of CALENDAR_RULES) {
      let left = policy[rule] ?? 0;
      if (left <= 0) continue;
      let lastPeriod: string | undefined;
      for (const i of present) {
        if (left <= 0) break;
        const period = periodOf(rule, i.time);
        if (period === lastPeriod) continue;
        add(i, rule);
        lastPeriod = period;
        left--;
      }
      const oldest = present[present.length - 1];
      if (left > 0 && Number.isFinite(left) && oldest) add(oldest, `oldest ${rule}`);
    }
    if (policy.within && present[0]) {
      const cutoff = subtractSpan(present[0].time, policy.within);
      for (const i of present) if (i.time > cutoff) add(i, 'within');
    }
    for (const item of sorted) {
      const set = reasons.get(item) ?? new Set<KeepReason>();
      const ordered = REASON_ORDER.filter((r) => set.has(r));
      out.push({ item, keep: ordered.length > 0, reasons: ordered });
    }
  }
  return out;
}

const REASON_ORDER: KeepReason[] = [
  'newest',
  'future',
  'last',
  ...CALENDAR_RULES,
  'within',
  ...CALENDAR_RULES.map((r): KeepReason => `oldest ${r}`),
];

function newestFirst(a: RetentionCandidate, b: RetentionCandidate): number {
  return b.time - a.time || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The calendar period (UTC) a time falls in, as a comparable string. */
export function periodOf(rule: CalendarRule, time: number): string {
  const d = new Date(time);
  const iso = d.toISOString();
  switch (rule) {
    case 'hourly':
      return iso.slice(0, 13);
    case 'daily':
      return iso.slice(0, 10);
    case 'weekly': {
      const { year, week } = isoWeek(d);
      return `${year}-W${String(week).padStart(2, '0')}`;
    }
    case 'monthly':
      return iso.slice(0, 7);
    case 'yearly':
      return iso.slice(0, 4);
  }
}

/** ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday), in UTC. */
export function isoWeek(d: Date): { year: number; week: number } {
  const weekday = d.getUTCDay() || 7; // Monday 1 ... Sunday 7
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 4 - weekday));
  const year = thursday.getUTCFullYear();
  const dayOfYear = (thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000;
  return { year, week: Math.floor(dayOfYear / 7) + 1 };
}

/** `time` minus the span: years, months and days on the UTC calendar (overflow normalised), then hours. */
export function subtractSpan(time: number, span: CalendarSpan): number {
  const d = new Date(time);
  const moved = Date.UTC(
    d.getUTCFullYear() - span.years,
    d.getUTCMonth() - span.months,
    d.getUTCDate() - span.days,
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
  return moved - span.hours * HOUR_MS;
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
