/**
 * The schedule of a CronJob, checked as Kubernetes' CronJob controller parses it (robfig/cron's
 * standard parser): five fields (minute hour day-of-month month day-of-week), each `*`, `?` (the
 * two day fields), a value, a range `a-b`, a step `*\/n` or `a-b/n` or `a/n`, or a comma list of
 * those; month and weekday names (JAN, MON); weekday 7 is Sunday. Or one of the macros.
 * A time zone prefix (CRON_TZ=, TZ=) is refused as Kubernetes refuses it: use --time-zone.
 */
import { UsageError } from '../errors.ts';

export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  question?: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS, question: true },
];

const HINT = `five fields "minute hour day-of-month month day-of-week", e.g. --every '0 2 * * *' (02:00 daily) or '*/30 * * * *', or one of ${CRON_MACROS.join(' ')}`;

/** The schedule, normalized (single spaces, macro lower-cased); UsageError naming the bad field otherwise. */
export function parseCronSchedule(text: string, flag = '--every'): string {
  const trimmed = text.trim();
  const refuse = (why: string) => new UsageError(`invalid ${flag} "${text}": ${why}`, { hint: HINT });
  if (trimmed === '') throw refuse('empty');
  if (/^(CRON_)?TZ=/i.test(trimmed)) throw refuse('a time zone in the schedule is not supported by Kubernetes; pass --time-zone');
  if (trimmed.startsWith('@')) {
    const macro = trimmed.toLowerCase();
    if ((CRON_MACROS as readonly string[]).includes(macro)) return macro;
    throw refuse(`unknown macro "${trimmed}"`);
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) throw refuse(`${parts.length} fields, a schedule has 5`);
  parts.forEach((part, i) => checkField(part, FIELDS[i] as Field, refuse));
  return parts.join(' ');
}

function checkField(text: string, field: Field, refuse: (why: string) => UsageError): void {
  if (text === '?' && field.question) return;
  for (const item of text.split(',')) {
    const bad = (why: string) => refuse(`${field.name} "${text}": ${why}`);
    const [range = '', step, extra] = item.split('/');
    if (extra !== undefined) throw bad('more than one "/"');
    if (step !== undefined && !/^\d+$/.test(step)) throw bad(`step "${step}" is not a number`);
    if (step !== undefined && Number(step) === 0) throw bad('a step of 0');
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2 || bounds.some((b) => b === '')) throw bad(`"${range}" is not a value or a range`);
    const values = bounds.map((b) => valueOf(b, field, bad));
    if (values.length === 2 && (values[0] as number) > (values[1] as number)) throw bad(`range "${range}" runs backwards`);
  }
}

function valueOf(text: string, field: Field, bad: (why: string) => UsageError): number {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.names === MONTHS ? named + 1 : named;
  if (!/^\d+$/.test(text)) throw bad(`"${text}" is not a number${field.names ? ' or a name' : ''}`);
  const n = Number(text);
  if (n < field.min || n > field.max) throw bad(`${n} is outside ${field.min}-${field.max}`);
  return n;
}

/** A time zone the CronJob's spec.timeZone accepts: an IANA name this runtime knows. */
export function parseTimeZone(text: string): string {
  const zone = text.trim();
  let known: boolean;
  try {
    known = zone !== '' && new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone !== '';
  } catch {
    known = false;
  }
  if (!known || /^(local)$/i.test(zone))
    throw new UsageError(`invalid --time-zone "${text}": not an IANA time zone name`, {
      hint: "e.g. --time-zone Etc/UTC or Europe/Berlin (the default is the kube-controller-manager's zone)",
    });
  return zone;
}
