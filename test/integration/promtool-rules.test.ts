/**
 * The PrometheusRule `schedule --pushgateway` writes, run by Prometheus' own rule tester
 * (`promtool test rules`, Debian's prometheus package): each alert fires on the series a broken
 * schedule leaves and clears when a good run pushes again; series of clusters outside the
 * schedule never alert. The drill group comes from a hand-made request (no --drill-every yet).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsync } from '../support/spawn.ts';
import { PROMTOOL } from '../support/pushgateway.ts';
import { buildScheduleTree } from '../../src/core/schedule/tree.ts';
import type { ScheduleRequest } from '../../src/core/schedule/types.ts';

if (!PROMTOOL)
  console.warn('promtool-rules.test.ts skipped: promtool is not installed (Debian package prometheus; bash test/setup.sh installs it)');

/** Backups every 6 hours (missing after 12h), drills daily at 03:00 (stale after 24h + 10m + 1h). */
const request: ScheduleRequest = {
  clusters: { type: 'named', namespace: 'clusters', names: ['demo'] },
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
  pushgateway: 'http://pushgateway.monitoring:9091',
  drill: { schedule: '0 3 * * *' },
};

const demo = { namespace: 'clusters', hosted_cluster: 'demo', job: 'hcp-dr-backup' };
const drillDemo = { ...demo, job: 'hcp-dr-drill' };
const series = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
/** The rule's annotations as Prometheus renders them for clusters/demo, with `value` for {{ $value | humanizeDuration }}. */
let annotationsOf: (alertname: string, value?: string) => Record<string, string> = () => ({});
const fires = (alertname: string, labels: Record<string, string>, severity: string, value?: string) => ({
  alertname,
  exp_alerts: [{ exp_labels: { ...labels, severity }, exp_annotations: annotationsOf(alertname, value) }],
});
const quiet = (alertname: string) => ({ alertname, exp_alerts: [] });

/** One-minute samples: the value list of promtool's expanding notation. */
const tests = () => ({
  rule_files: ['rules.yaml'],
  evaluation_interval: '1m',
  tests: [
    {
      interval: '1m',
      input_series: [
        // Successes at 0h and 6h, then none until one at 20h: missing from 18h (6h + 12h) to 20h.
        { series: series('hcp_dr_backup_last_success_timestamp_seconds', demo), values: '0x359 21600x839 72000x300' },
        // A cluster outside the schedule (another namespace) whose backups stopped: never alerts.
        { series: series('hcp_dr_backup_last_success_timestamp_seconds', { ...demo, namespace: 'other' }), values: '0x1500' },
        // Succeeded, failed from 1h, succeeded again from 2h.
        { series: series('hcp_dr_backup_last_result', demo), values: '1x59 0x59 1x60' },
        { series: series('hcp_dr_drill_last_result', drillDemo), values: '1x59 0x59 1x60' },
        // A drill success at 0h, the next at 27h: stale from 25h10m (24h + 70m) to 27h.
        { series: series('hcp_dr_drill_last_success_timestamp_seconds', drillDemo), values: '0x1619 97200x200' },
      ],
      alert_rule_test: [
        { eval_time: '17h', ...quiet('HcpDrBackupMissing') },
        { eval_time: '19h', ...fires('HcpDrBackupMissing', demo, 'critical', '13h 0m 0s') },
        { eval_time: '20h10m', ...quiet('HcpDrBackupMissing') },
        { eval_time: '30m', ...quiet('HcpDrBackupFailed') },
        { eval_time: '1h30m', ...fires('HcpDrBackupFailed', demo, 'warning') },
        { eval_time: '2h30m', ...quiet('HcpDrBackupFailed') },
        { eval_time: '30m', ...quiet('HcpDrDrillFailed') },
        { eval_time: '1h30m', ...fires('HcpDrDrillFailed', drillDemo, 'critical') },
        { eval_time: '2h30m', ...quiet('HcpDrDrillFailed') },
        { eval_time: '25h', ...quiet('HcpDrDrillStale') },
        { eval_time: '26h', ...fires('HcpDrDrillStale', drillDemo, 'warning', '1d 2h 0m 0s') },
        { eval_time: '27h10m', ...quiet('HcpDrDrillStale') },
      ],
    },
  ],
});

let dir: string;

describe.skipIf(!PROMTOOL)('the generated PrometheusRule under promtool', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-promtool-'));
    const file = buildScheduleTree(request).files.find((f) => f.path === 'monitoring/prometheusrule.yaml');
    if (!file) throw new Error('the tree has no monitoring/prometheusrule.yaml');
    const rule = yaml.load(file.content) as {
      spec: { groups: Array<{ rules: Array<{ alert: string; annotations: Record<string, string> }> }> };
    };
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    annotationsOf = (alertname, value) =>
      Object.fromEntries(
        Object.entries(rules.find((r) => r.alert === alertname)?.annotations ?? {}).map(([k, v]) => [
          k,
          v
            .replaceAll('{{ $labels.namespace }}/{{ $labels.hosted_cluster }}', 'clusters/demo')
            .replaceAll('{{ $value | humanizeDuration }}', value ?? ''),
        ]),
      );
    await writeFile(path.join(dir, 'rules.yaml'), yaml.dump({ groups: rule.spec.groups }));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is a valid rule file (promtool check rules), with the backup and the drill groups', async () => {
    const run = await runAsync(PROMTOOL as string, ['check', 'rules', path.join(dir, 'rules.yaml')]);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/SUCCESS: 4 rules found/);
  });

  it('every alert fires on the series of a broken schedule and clears after a good run (promtool test rules)', async () => {
    await writeFile(path.join(dir, 'tests.yaml'), yaml.dump(tests()));
    const run = await runAsync(PROMTOOL as string, ['test', 'rules', path.join(dir, 'tests.yaml')]);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/SUCCESS/);
  });

  it('promtool fails a wrong expectation (the tests above could fail): no missing-backup alert at 19h', async () => {
    const wrong = tests();
    wrong.tests[0]!.alert_rule_test = [{ eval_time: '19h', ...quiet('HcpDrBackupMissing') }];
    await writeFile(path.join(dir, 'wrong.yaml'), yaml.dump(wrong));
    const run = await runAsync(PROMTOOL as string, ['test', 'rules', path.join(dir, 'wrong.yaml')]);
    expect(run.code).not.toBe(0);
    expect(run.out).toMatch(/HcpDrBackupMissing/);
  });
});
