/**
 * The retention rules (core/bundle/retention.ts, retention-apply.ts) against restic's definitions
 * of `forget`'s --keep-* options, case by case, on hand-built timestamps; and the layout helpers
 * prune uses.
 */
import { describe, expect, it } from 'vitest';
import {
  describeRetention,
  parseCalendarSpan,
  parseRetentionPolicy,
  retentionArgv,
  type RetentionPolicy,
} from '../../src/core/bundle/retention.ts';
import { applyRetention, isoWeek, periodOf, subtractSpan } from '../../src/core/bundle/retention-apply.ts';
import { ExitCode, UsageError } from '../../src/core/errors.ts';
import { backupIdTime, isKeysObjectOf, newBackupId, parseBackupObjectKey } from '../../src/core/bundle/layout.ts';

interface B {
  group: string;
  time: number;
  id: string;
}

let n = 0;
/** A backup of `group` taken at `iso` (UTC); ids as the backup makes them. */
function b(iso: string, group = 'clusters/demo'): B {
  const time = Date.parse(iso);
  return { group, time, id: newBackupId(new Date(time), () => (n++ % 4096) / 4096) };
}

const NOW = new Date('2027-06-01T00:00:00Z');

/** The times of the kept backups (ISO, newest first) and their reasons. */
function kept(items: B[], policy: RetentionPolicy, now = NOW): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of applyRetention(items, policy, now)) if (d.keep) out[new Date(d.item.time).toISOString()] = d.reasons.join(',');
  return out;
}
const keptTimes = (items: B[], policy: RetentionPolicy, now = NOW) => Object.keys(kept(items, policy, now));

describe('retention rules (restic forget)', () => {
  it('keep-last n keeps the n most recent, whatever their ages', () => {
    const items = [
      '2026-01-01T00:00:00Z',
      '2026-05-01T00:00:00Z',
      '2026-05-02T00:00:00Z',
      '2026-05-02T00:00:01Z',
      '2025-01-01T00:00:00Z',
    ].map((t) => b(t));
    expect(kept(items, { last: 3 })).toEqual({
      '2026-05-02T00:00:01.000Z': 'newest,last',
      '2026-05-02T00:00:00.000Z': 'last',
      '2026-05-01T00:00:00.000Z': 'last',
    });
    expect(keptTimes(items, { last: 10 })).toHaveLength(5);
  });

  it('keep-hourly n: the most recent backup of each of the last n hours that have one (hours :00 to :59)', () => {
    const items = [
      '2026-11-29T10:05:00Z',
      '2026-11-29T10:50:00Z',
      '2026-11-29T11:10:00Z',
      '2026-11-29T12:30:00Z',
      '2026-11-29T12:59:59Z',
      '2026-11-29T14:00:00Z',
    ].map((t) => b(t));
    // 13:00 holds no backup and does not count; 12:30 is not the most recent of its hour.
    expect(kept(items, { hourly: 3 })).toEqual({
      '2026-11-29T14:00:00.000Z': 'newest,hourly',
      '2026-11-29T12:59:59.000Z': 'hourly',
      '2026-11-29T11:10:00.000Z': 'hourly',
    });
  });

  it('a calendar rule with fewer periods than n also keeps the oldest backup ("oldest hourly")', () => {
    const items = ['2026-11-29T10:05:00Z', '2026-11-29T10:50:00Z', '2026-11-29T11:10:00Z', '2026-11-29T12:30:00Z'].map((t) => b(t));
    expect(kept(items, { hourly: 10 })).toEqual({
      '2026-11-29T12:30:00.000Z': 'newest,hourly',
      '2026-11-29T11:10:00.000Z': 'hourly',
      '2026-11-29T10:50:00.000Z': 'hourly',
      '2026-11-29T10:05:00.000Z': 'oldest hourly',
    });
    // Exactly as many periods as n: no oldest.
    expect(keptTimes(items, { hourly: 3 })).not.toContain('2026-11-29T10:05:00.000Z');
    // unlimited keeps one per period and never adds the oldest.
    expect(kept(items, { hourly: Infinity })['2026-11-29T10:05:00.000Z']).toBeUndefined();
  });

  it('keep-daily n: days are 00:00 to 23:59 UTC, counted only where a backup exists', () => {
    const items = [
      '2026-11-27T23:59:59Z',
      '2026-11-28T00:00:00Z',
      '2026-11-28T12:00:00Z',
      '2026-11-25T08:00:00Z',
      '2026-11-20T08:00:00Z',
    ].map((t) => b(t));
    expect(kept(items, { daily: 3 })).toEqual({
      '2026-11-28T12:00:00.000Z': 'newest,daily',
      '2026-11-27T23:59:59.000Z': 'daily',
      '2026-11-25T08:00:00.000Z': 'daily',
    });
  });

  it("restic's example: one backup every Sunday for 12 weeks, keep-daily 4 keeps the last four", () => {
    const sundays = Array.from({ length: 12 }, (_, i) => b(new Date(Date.UTC(2019, 8, 1 + 7 * i, 11)).toISOString()));
    expect(keptTimes(sundays, { daily: 4 })).toEqual([
      '2019-11-17T11:00:00.000Z',
      '2019-11-10T11:00:00.000Z',
      '2019-11-03T11:00:00.000Z',
      '2019-10-27T11:00:00.000Z',
    ]);
  });

  it('keep-weekly n: ISO weeks, Monday 00:00 to Sunday 23:59, across a year boundary', () => {
    expect(periodOf('weekly', Date.parse('2026-11-29T23:59:59Z'))).toBe('2026-W48'); // a Sunday
    expect(periodOf('weekly', Date.parse('2026-11-30T00:00:00Z'))).toBe('2026-W49'); // the Monday after
    expect(periodOf('weekly', Date.parse('2027-01-03T12:00:00Z'))).toBe('2026-W53'); // 2026 has 53 ISO weeks
    expect(periodOf('weekly', Date.parse('2027-01-04T00:00:00Z'))).toBe('2027-W01');
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toEqual({ year: 2025, week: 1 });
    const items = [
      '2026-11-23T00:00:00Z',
      '2026-11-29T23:59:59Z',
      '2026-11-30T00:00:00Z',
      '2026-12-31T10:00:00Z',
      '2027-01-02T10:00:00Z',
    ].map((t) => b(t));
    expect(kept(items, { weekly: 3 })).toEqual({
      '2027-01-02T10:00:00.000Z': 'newest,weekly', // week 53 of 2026 (with Dec 31)
      '2026-11-30T00:00:00.000Z': 'weekly',
      '2026-11-29T23:59:59.000Z': 'weekly', // Sunday of the week before, the latest of W48
    });
  });

  it('keep-daily 7 keep-weekly 5 over daily backups: 7 dailies and 4 more weeklies (the results are ORed)', () => {
    // Every day at 02:00 from Mon 2026-09-07 to Sun 2026-11-29.
    const days = Array.from({ length: 84 }, (_, i) => b(new Date(Date.UTC(2026, 8, 7 + i, 2)).toISOString()));
    const result = kept(days, { daily: 7, weekly: 5 });
    expect(Object.keys(result)).toEqual([
      '2026-11-29T02:00:00.000Z',
      '2026-11-28T02:00:00.000Z',
      '2026-11-27T02:00:00.000Z',
      '2026-11-26T02:00:00.000Z',
      '2026-11-25T02:00:00.000Z',
      '2026-11-24T02:00:00.000Z',
      '2026-11-23T02:00:00.000Z',
      '2026-11-22T02:00:00.000Z',
      '2026-11-15T02:00:00.000Z',
      '2026-11-08T02:00:00.000Z',
      '2026-11-01T02:00:00.000Z',
    ]);
    expect(result['2026-11-29T02:00:00.000Z']).toBe('newest,daily,weekly');
    expect(result['2026-11-22T02:00:00.000Z']).toBe('weekly');
  });

  it('keep-monthly and keep-yearly: calendar months and years (UTC)', () => {
    const items = [
      '2024-03-31T23:00:00Z',
      '2025-01-31T23:59:59Z',
      '2025-02-01T00:00:00Z',
      '2025-12-31T00:00:00Z',
      '2026-01-15T00:00:00Z',
      '2026-02-01T00:00:00Z',
    ].map((t) => b(t));
    expect(keptTimes(items, { monthly: 3 })).toEqual(['2026-02-01T00:00:00.000Z', '2026-01-15T00:00:00.000Z', '2025-12-31T00:00:00.000Z']);
    expect(kept(items, { yearly: 2 })).toEqual({ '2026-02-01T00:00:00.000Z': 'newest,yearly', '2025-12-31T00:00:00.000Z': 'yearly' });
    expect(kept(items, { yearly: 5 })['2024-03-31T23:00:00.000Z']).toBe('yearly,oldest yearly'); // 3 years found of 5: the oldest too
  });

  it('keep-within d: strictly newer than the newest backup minus d, not relative to now', () => {
    const items = [
      '2026-11-20T12:00:00Z',
      '2026-11-18T12:00:00Z',
      '2026-11-18T12:00:01Z',
      '2026-11-19T00:00:00Z',
      '2026-11-01T00:00:00Z',
    ].map((t) => b(t));
    // NOW is half a year later: the span still counts back from the newest backup.
    expect(kept(items, { within: parseCalendarSpan('2d', 'x') })).toEqual({
      '2026-11-20T12:00:00.000Z': 'newest,within',
      '2026-11-19T00:00:00.000Z': 'within',
      '2026-11-18T12:00:01.000Z': 'within',
    });
    expect(keptTimes(items, { within: parseCalendarSpan('2d1h', 'x') })).toContain('2026-11-18T12:00:00.000Z');
  });

  it('keep-within counts years, months and days on the calendar (restic: 1y5m7d2h), then hours', () => {
    expect(new Date(subtractSpan(Date.parse('2026-03-31T10:00:00Z'), parseCalendarSpan('1m', 'x'))).toISOString()).toBe(
      '2026-03-03T10:00:00.000Z',
    );
    expect(new Date(subtractSpan(Date.parse('2028-02-29T00:00:00Z'), parseCalendarSpan('1y', 'x'))).toISOString()).toBe(
      '2027-03-01T00:00:00.000Z',
    );
    expect(new Date(subtractSpan(Date.parse('2026-11-20T01:00:00Z'), parseCalendarSpan('1d2h', 'x'))).toISOString()).toBe(
      '2026-11-18T23:00:00.000Z',
    );
    const items = ['2026-03-31T10:00:00Z', '2026-03-03T10:00:00Z', '2026-03-03T10:00:01Z', '2026-02-28T10:00:00Z'].map((t) => b(t));
    expect(keptTimes(items, { within: parseCalendarSpan('1m', 'x') })).toEqual(['2026-03-31T10:00:00.000Z', '2026-03-03T10:00:01.000Z']);
  });

  it('ties: of two backups at the same time the greater id counts as the more recent', () => {
    const a = { group: 'g', time: Date.parse('2026-11-29T10:00:00Z'), id: '20261129T100000Z-aaaaaa' };
    const c = { group: 'g', time: a.time, id: '20261129T100000Z-cccccc' };
    const older = { group: 'g', time: a.time - 1000, id: '20261129T095959Z-ffffff' };
    const keptIds = (policy: RetentionPolicy) =>
      applyRetention([a, older, c], policy, NOW)
        .filter((d) => d.keep)
        .map((d) => d.item.id);
    expect(keptIds({ last: 1 })).toEqual([c.id]);
    expect(keptIds({ hourly: 1 })).toEqual([c.id]);
    expect(keptIds({ last: 2 })).toEqual([c.id, a.id]);
  });

  it('the newest backup is always kept, even by a policy that keeps nothing (which the parser refuses)', () => {
    const items = [b('2026-01-01T00:00:00Z'), b('2026-02-01T00:00:00Z')];
    expect(kept(items, {})).toEqual({ '2026-02-01T00:00:00.000Z': 'newest' });
  });

  it('rules apply per cluster: each group has its own newest, last n and periods', () => {
    const items = [
      b('2026-11-29T10:00:00Z', 'clusters/a'),
      b('2026-11-29T09:00:00Z', 'clusters/a'),
      b('2026-11-28T10:00:00Z', 'clusters/a'),
      b('2025-01-01T00:00:00Z', 'clusters/b'), // far older than everything of a: still the newest of b
      b('2024-01-01T00:00:00Z', 'clusters/b'),
      b('2026-11-29T09:30:00Z', 'other/a'), // same name, another namespace: its own group
    ];
    const decisions = applyRetention(items, { last: 1, daily: 1 }, NOW);
    expect(decisions.map((d) => [d.item.group, new Date(d.item.time).toISOString(), d.keep])).toEqual([
      ['clusters/a', '2026-11-29T10:00:00.000Z', true],
      ['clusters/a', '2026-11-29T09:00:00.000Z', false],
      ['clusters/a', '2026-11-28T10:00:00.000Z', false],
      ['clusters/b', '2025-01-01T00:00:00.000Z', true],
      ['clusters/b', '2024-01-01T00:00:00.000Z', false],
      ['other/a', '2026-11-29T09:30:00.000Z', true],
    ]);
  });

  it('a backup dated after now is kept and takes no part in the rules', () => {
    const items = [b('2027-07-01T00:00:00Z'), b('2027-05-31T00:00:00Z'), b('2027-05-30T00:00:00Z')];
    expect(kept(items, { last: 1 })).toEqual({
      '2027-07-01T00:00:00.000Z': 'newest,future',
      '2027-05-31T00:00:00.000Z': 'last',
    });
    // keep-within counts back from the newest backup that is not in the future.
    expect(keptTimes(items, { within: parseCalendarSpan('36h', 'x') })).toEqual([
      '2027-07-01T00:00:00.000Z',
      '2027-05-31T00:00:00.000Z',
      '2027-05-30T00:00:00.000Z',
    ]);
  });
});

describe('retention flags', () => {
  const usage = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(ExitCode.usage);
      return `${(err as Error).message} | ${(err as UsageError).hint ?? ''}`;
    }
    throw new Error('expected a UsageError');
  };

  it('parses counts, unlimited and spans, and writes them back as flags', () => {
    const policy = parseRetentionPolicy({
      'keep-last': '3',
      'keep-daily': 7,
      'keep-weekly': 'unlimited',
      'keep-monthly': '0',
      'keep-within': '1y6m',
    });
    expect(policy).toEqual({ last: 3, daily: 7, weekly: Infinity, within: { years: 1, months: 6, days: 0, hours: 0 } });
    expect(retentionArgv(policy)).toEqual(['--keep-last', '3', '--keep-daily', '7', '--keep-weekly', 'unlimited', '--keep-within', '1y6m']);
    expect(parseRetentionPolicy(Object.fromEntries(chunk(retentionArgv(policy))))).toEqual(policy);
    expect(describeRetention(policy)).toBe('keep-last 3, keep-daily 7, keep-weekly unlimited, keep-within 1y6m');
    expect(parseCalendarSpan('2h3d', 'x')).toEqual({ years: 0, months: 0, days: 3, hours: 2 });
  });

  it('refuses an empty policy, bad counts and bad spans with a one-line error and a hint (exit 2)', () => {
    expect(usage(() => parseRetentionPolicy({}))).toMatch(/^no retention rule: pass at least one of --keep-last.* \| e\.g\. --keep-last 7/);
    expect(usage(() => parseRetentionPolicy({ 'keep-last': '0', 'keep-within': '0d' }))).toMatch(/^no retention rule/);
    expect(usage(() => parseRetentionPolicy({ 'keep-last': '-1' }))).toMatch(
      /invalid --keep-last "-1": a count cannot be negative \| .*unlimited/,
    );
    expect(usage(() => parseRetentionPolicy({ 'keep-daily': 'seven' }))).toMatch(/invalid --keep-daily "seven"/);
    expect(usage(() => parseRetentionPolicy({ 'keep-hourly': '1.5' }))).toMatch(/invalid --keep-hourly "1.5"/);
    expect(usage(() => parseRetentionPolicy({ 'keep-within': '2w' }))).toMatch(/invalid --keep-within "2w".* \| .*m \(months\)/);
    expect(usage(() => parseRetentionPolicy({ 'keep-within': '1d1d' }))).toMatch(/invalid --keep-within "1d1d"/);
    expect(usage(() => parseRetentionPolicy({ 'keep-within': '30min' }))).toMatch(/invalid --keep-within/);
    for (const text of ['', 'x', '5', '-3d'])
      expect(usage(() => parseRetentionPolicy({ 'keep-within': text }))).toMatch(/invalid --keep-within/);
  });
});

describe('layout helpers prune relies on', () => {
  it('dates backup ids and finds the backup prefix of any key', () => {
    expect(backupIdTime('20261121T160800Z-3f9a1c')?.toISOString()).toBe('2026-11-21T16:08:00.000Z');
    for (const bad of ['20261321T160800Z-3f9a1c', '20261121T250800Z-3f9a1c', '20261121T160800Z-XYZ123', '2026', 'latest']) {
      expect(backupIdTime(bad)).toBeUndefined();
    }
    expect(parseBackupObjectKey('hcp', 'hcp/clusters/demo/20261121T160800Z-3f9a1c/manifests/nodepools/np.yaml')).toEqual({
      namespace: 'clusters',
      name: 'demo',
      id: '20261121T160800Z-3f9a1c',
      prefix: 'hcp/clusters/demo/20261121T160800Z-3f9a1c',
    });
    expect(parseBackupObjectKey('', 'clusters/demo/20261121T160800Z-3f9a1c/snapshot.db')?.prefix).toBe(
      'clusters/demo/20261121T160800Z-3f9a1c',
    );
    expect(parseBackupObjectKey('hcp', 'hcp/app/logs/2026/01.log')).toBeUndefined(); // not a backup id: never touched
    expect(parseBackupObjectKey('hcp', 'hcp/clusters/demo/20261121T160800Z-3f9a1c')).toBeUndefined();
    expect(parseBackupObjectKey('hcp', 'other/clusters/demo/20261121T160800Z-3f9a1c/x')).toBeUndefined();
  });

  it('recognises where --keys-to puts the Secrets of one backup, and nothing else', () => {
    const id = '20261121T160800Z-3f9a1c';
    expect(isKeysObjectOf(`keys/clusters/demo/${id}/secrets/etcd-key.yaml`, 'clusters', 'demo', id)).toBe(true);
    expect(isKeysObjectOf(`clusters/demo/${id}/secrets/etcd-key.yaml`, 'clusters', 'demo', id)).toBe(true);
    expect(isKeysObjectOf(`keys/clusters/demo/20261121T160800Z-000000/secrets/k.yaml`, 'clusters', 'demo', id)).toBe(false);
    expect(isKeysObjectOf(`keys/xclusters/demo/${id}/secrets/k.yaml`, 'clusters', 'demo', id)).toBe(false);
    expect(isKeysObjectOf(`keys/clusters/demo/${id}/../../other.yaml`, 'clusters', 'demo', id)).toBe(false);
    expect(isKeysObjectOf('important/data.db', 'clusters', 'demo', id)).toBe(false);
  });
});

function chunk(argv: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < argv.length; i += 2) out.push([(argv[i] ?? '').replace(/^--/, ''), argv[i + 1] ?? '']);
  return out;
}
