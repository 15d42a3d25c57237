/**
 * The interval of a cron schedule (already checked by parseCronSchedule), for alerts: the LONGEST
 * time between two consecutive runs, so a schedule that skips weekends or runs on the 1st is not
 * reported late on a Monday or in a 31-day month. Computed on UTC days over 28 years (the cycle
 * in which weekdays and leap days repeat, 1901-2099) plus the wrap to the next cycle; a time zone
 * with daylight saving shifts runs by an hour twice a year, which the alerts' factor absorbs.
 * Day-of-month and day-of-week combine as robfig/cron does: both restricted, either matches.
 */
import { UsageError } from '../errors.ts';

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const BOUNDS: Array<[number, number, string[] | undefined]> = [
  [0, 59, undefined],
  [0, 23, undefined],
  [1, 31, undefined],
  [1, 12, MONTHS],
  [0, 7, DAYS],
];
const CYCLE_DAYS = 28 * 365 + 7; // 1 Jan 2001 to 1 Jan 2029: 7 leap days
const DAY_MS = 86_400_000;

/** The longest gap between two runs of `schedule`, in seconds; UsageError for a schedule that never runs. */
export function cronIntervalSeconds(schedule: string): number {
  const fields = (MACROS[schedule] ?? schedule).split(/\s+/);
  const [minutes, hours, dom, months, dow] = fields.map((f, i) => expand(f, BOUNDS[i] as [number, number, string[] | undefined]));
  const domStar = /^[*?]/.test(fields[2] ?? '');
  const dowStar = /^[*?]/.test(fields[4] ?? '');
  const times = [...(hours as Set<number>)].flatMap((h) => [...(minutes as Set<number>)].map((m) => h * 60 + m)).sort((a, b) => a - b);
  const start = Date.UTC(2001, 0, 1);
  const days: number[] = [];
  for (let d = 0; d < CYCLE_DAYS; d++) {
    const date = new Date(start + d * DAY_MS);
    if (!(months as Set<number>).has(date.getUTCMonth() + 1)) continue;
    const inDom = (dom as Set<number>).has(date.getUTCDate());
    const inDow = (dow as Set<number>).has(date.getUTCDay());
    if (domStar || dowStar ? inDom && inDow : inDom || inDow) days.push(d);
  }
  const first = days[0];
  if (first === undefined || times.length === 0)
    throw new UsageError(`the schedule "${schedule}" never runs`, { hint: "e.g. --every '0 2 * * *'" });
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, (times[i] as number) - (times[i - 1] as number));
  const dayGap = (a: number, b: number) => (b - a) * 1440 - (times[times.length - 1] as number) + (times[0] as number);
  for (let i = 1; i < days.length; i++) longest = Math.max(longest, dayGap(days[i - 1] as number, days[i] as number));
  longest = Math.max(longest, dayGap(days[days.length - 1] as number, first + CYCLE_DAYS));
  return longest * 60;
}

function expand(text: string, [min, max, names]: [number, number, string[] | undefined]): Set<number> {
  const out = new Set<number>();
  const value = (t: string) => {
    const named = names?.indexOf(t.toUpperCase()) ?? -1;
    if (named >= 0) return names === MONTHS ? named + 1 : named;
    return Number(t);
  };
  for (const item of text.split(',')) {
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') [lo, hi] = [min, max];
    else {
      const [a = '', b] = range.split('-');
      lo = value(a);
      // `a/n` runs from a to the field's end, as robfig/cron reads it.
      hi = b !== undefined ? value(b) : stepText !== undefined ? max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(names === DAYS && v === 7 ? 0 : v);
  }
  return out;
}
