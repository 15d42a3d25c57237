/**
 * The metrics and alerts of issue 24 without a server: the interval of a cron schedule, the
 * samples of a success and a failure (a failure never carries the success's names), the text
 * format and group path the Pushgateway receives, --pushgateway's checks, and the PrometheusRule
 * in the schedule's tree (only with --pushgateway; the drill group only for schedules that drill).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { cronIntervalSeconds } from '../../src/core/schedule/interval.ts';
import { backupSamples, drillSamples, METRIC } from '../../src/core/metrics/names.ts';
import { parsePushgatewayUrl } from '../../src/core/metrics/url.ts';
import { clusterMatchers, human } from '../../src/core/metrics/rules.ts';
import { exposition, groupPath } from '../../src/metrics/pushgateway.ts';
import { buildScheduleTree } from '../../src/core/schedule/tree.ts';
import type { ScheduleRequest } from '../../src/core/schedule/types.ts';
import { UsageError } from '../../src/core/errors.ts';

const H = 3600;
const D = 86400;

describe('cronIntervalSeconds: the longest time between two runs', () => {
  it.each([
    ['*/30 * * * *', 1800],
    ['0 */6 * * *', 6 * H],
    ['@hourly', H],
    ['@daily', D],
    ['15,45 3 * * *', 23 * H + 30 * 60],
    ['0 2 * * 1-5', 3 * D], // Friday 02:00 to Monday 02:00
    ['0 2 * * MON-FRI', 3 * D],
    ['0 0 * * 0', 7 * D],
    ['0 0 * * 7', 7 * D], // 7 is Sunday too
    ['@monthly', 31 * D], // the longest month
    ['0 0 31 * *', 61 * D], // months without a 31st are skipped: 31 Mar to 31 May
    ['0 0 29 2 *', 1461 * D], // leap days only: four years
    ['0 0 1 1 *', 366 * D],
    ['30 4 1,15 * 5', 7 * D], // robfig: both day fields restricted, either matches (every Friday at least)
    ['5/20 * * * *', 20 * 60], // 5/20 is 5,25,45 (to the field's end): :45 to :05 is 20 minutes too
  ])('%s: %i seconds', (schedule, seconds) => {
    expect(cronIntervalSeconds(schedule)).toBe(seconds);
  });

  it('refuses a schedule that never runs (30 February)', () => {
    expect(() => cronIntervalSeconds('0 0 30 2 *')).toThrow(UsageError);
  });
});

describe('samples', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  it('a success carries its timestamp, size and revision; a failure only result, attempt, failure time and duration', () => {
    const ok = backupSamples({ ok: true, finishedAt: at, seconds: 4.5, sizeBytes: 1024, revision: 9 });
    expect(Object.fromEntries(ok.map((s) => [s.name, s.value]))).toEqual({
      [METRIC.backupLastAttempt]: 1767225600,
      [METRIC.backupLastResult]: 1,
      [METRIC.backupDuration]: 4.5,
      [METRIC.backupLastSuccess]: 1767225600,
      [METRIC.backupSize]: 1024,
      [METRIC.backupRevision]: 9,
    });
    const failed = backupSamples({ ok: false, finishedAt: at, seconds: 2 }).map((s) => s.name);
    expect(failed.sort()).toEqual(
      [METRIC.backupDuration, METRIC.backupLastAttempt, METRIC.backupLastFailure, METRIC.backupLastResult].sort(),
    );
  });

  it("the drill's names are reserved under hcp_dr_drill_ and its RTO is pushed only on success", () => {
    const ok = drillSamples({ ok: true, finishedAt: at, seconds: 80, rtoSeconds: 42 });
    expect(ok.every((s) => s.name.startsWith('hcp_dr_drill_'))).toBe(true);
    expect(ok.find((s) => s.name === METRIC.drillRto)?.value).toBe(42);
    expect(drillSamples({ ok: false, finishedAt: at, seconds: 3 }).map((s) => s.name)).not.toContain(METRIC.drillRto);
  });

  it('every name follows the conventions: hcp_dr_ prefix, base units as suffixes', () => {
    for (const name of Object.values(METRIC)) expect(name).toMatch(/^hcp_dr_(backup|drill)_[a-z_]+$/);
    expect(
      Object.values(METRIC)
        .filter((n) => n.includes('timestamp'))
        .every((n) => n.endsWith('_timestamp_seconds')),
    ).toBe(true);
  });

  it('the text format has HELP and TYPE per gauge, and group paths encode label values', () => {
    expect(exposition([{ name: 'a_b', help: 'x\\y\nz', value: 1.5 }])).toBe('# HELP a_b x\\\\y\\nz\n# TYPE a_b gauge\na_b 1.5\n');
    expect(groupPath('hcp-dr-backup', { namespace: 'clusters', hosted_cluster: 'a.b' })).toBe(
      '/metrics/job/hcp-dr-backup/namespace/clusters/hosted_cluster/a.b',
    );
    expect(groupPath('j', { namespace: '' })).toBe('/metrics/job/j/namespace@base64/=');
  });
});

describe('--pushgateway', () => {
  it('takes http(s) URLs without a trailing slash', () => {
    expect(parsePushgatewayUrl('http://pushgateway.monitoring:9091/')).toBe('http://pushgateway.monitoring:9091');
    expect(parsePushgatewayUrl('https://pg.example.com/prefix/')).toBe('https://pg.example.com/prefix');
  });
  it.each(['ftp://pg:9091', 'pg:9091x', 'http://u:p@pg:9091', 'http://pg:9091/?a=b', 'not a url'])('refuses %s', (url) => {
    expect(() => parsePushgatewayUrl(url)).toThrow(UsageError);
  });
});

const base = (over: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  clusters: { type: 'named', namespace: 'clusters', names: ['demo', 'alpha'] },
  jobNamespace: 'hcp-dr',
  image: 'ghcr.io/o/hcp-dr:0.2.0',
  schedule: '0 */6 * * *',
  mode: 'online',
  destination: { to: 's3://b/hcp' },
  credentials: { type: 'secret', name: 'hcp-dr-s3' },
  backupFlags: [],
  startingDeadlineSeconds: 600,
  activeDeadlineSeconds: 3600,
  toolVersion: '0.0.0-test',
  ...over,
});
type Rule = { alert: string; expr: string };
const rulesOf = (request: ScheduleRequest) => {
  const o = buildScheduleTree(request).objects.find((x) => x.kind === 'PrometheusRule') as
    { spec: { groups: Array<{ name: string; rules: Rule[] }> } } | undefined;
  return o?.spec.groups;
};

describe('the PrometheusRule of a schedule', () => {
  it('is absent without --pushgateway, and the CronJobs push nothing', () => {
    const tree = buildScheduleTree(base());
    expect(tree.files.map((f) => f.path)).not.toContain('monitoring/prometheusrule.yaml');
    expect(JSON.stringify(tree.objects)).not.toContain('--pushgateway');
  });

  it('with --pushgateway: every CronJob pushes, the backup alerts are twice the interval, no drill group without drills', () => {
    const tree = buildScheduleTree(base({ pushgateway: 'http://pg:9091' }));
    const jobs = tree.objects.filter((o) => o.kind === 'CronJob') as Array<Record<string, any>>;
    for (const job of jobs) {
      const args = job['spec'].jobTemplate.spec.template.spec.containers[0].args as string[];
      expect(args.slice(-2)).toEqual(['--pushgateway', 'http://pg:9091']);
    }
    const groups = rulesOf(base({ pushgateway: 'http://pg:9091' }));
    expect(groups?.map((g) => g.name)).toEqual(['hcp-dr-backup']);
    const missing = groups?.[0]?.rules.find((r) => r.alert === 'HcpDrBackupMissing');
    expect(missing?.expr).toBe(
      'time() - hcp_dr_backup_last_success_timestamp_seconds{namespace="clusters",hosted_cluster=~"alpha|demo"} > 43200',
    );
    const kustomization = tree.files.find((f) => f.path === 'kustomization.yaml')?.content ?? '';
    expect(kustomization).toContain('monitoring/prometheusrule.yaml');
  });

  it('a schedule that drills (hand-made: no --drill-every yet) adds the failed and stale drill alerts', () => {
    const groups = rulesOf(base({ pushgateway: 'http://pg:9091', drill: { schedule: '0 3 * * 0' } }));
    const drill = groups?.find((g) => g.name === 'hcp-dr-drill');
    expect(drill?.rules.map((r) => r.alert)).toEqual(['HcpDrDrillFailed', 'HcpDrDrillStale']);
    expect(drill?.rules[1]?.expr).toMatch(new RegExp(`> ${7 * D + 600 + 3600}$`));
  });

  it('a fleet of every namespace selects every cluster; names and namespaces are quoted for PromQL', () => {
    const groups = rulesOf(base({ clusters: { type: 'fleet' }, pushgateway: 'http://pg:9091' }));
    expect(groups?.[0]?.rules[0]?.expr).toBe('time() - hcp_dr_backup_last_success_timestamp_seconds > 43200');
    expect(clusterMatchers('ns', ['a.b', 'c'])).toBe('namespace="ns",hosted_cluster=~"a\\\\.b|c"');
    expect(human(91800)).toBe('1d1h30m');
  });

  it('schedule --pushgateway writes a tree kubectl kustomize builds, with the PrometheusRule; a bad URL is refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-metrics-'));
    try {
      const common = ['schedule', 'demo', '-n', 'clusters', '--to', 's3://b/hcp', '--every', '@daily', '--image', 'ghcr.io/o/hcp-dr:0.2.0'];
      const run = await runCliInProcess([...common, '--s3-secret', 's', '--pushgateway', 'http://pg.monitoring:9091', '--out', dir]);
      expect(run.code, run.stderr).toBe(0);
      const rule = yaml.load(await readFile(path.join(dir, 'monitoring/prometheusrule.yaml'), 'utf8')) as Record<string, any>;
      expect(rule['spec'].groups[0].rules[0].expr).toMatch(/> 172800$/);
      const built = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      if (built.error) console.warn('kubectl absent: kustomize build not checked');
      else expect(built.stdout).toContain('kind: PrometheusRule');
      const bad = await runCliInProcess([...common, '--s3-secret', 's', '--pushgateway', 'pg:9091', '--stdout']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--pushgateway/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
