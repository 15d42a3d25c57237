/**
 * What a retention policy (retention.ts, where the rules are defined) keeps of a list of backups,
 * per group, with the reasons for each kept backup (pure: no I/O).
 */
import { CALENDAR_RULES, type CalendarRule, type CalendarSpan, type RetentionPolicy } from './retention.ts';

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
