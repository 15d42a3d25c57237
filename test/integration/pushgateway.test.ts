/**
 * `backup --pushgateway` and `backup --all --pushgateway` against a real Prometheus Pushgateway
 * (Debian's prometheus-pushgateway, on 127.0.0.1, stopped after) and the sandbox: a backup pushes
 * its success, size and duration per hosted cluster; a failed backup pushes its failure and leaves
 * the last success's timestamp as it was; an unreachable Pushgateway only warns; nothing pushed
 * holds a secret or a URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { PUSHGATEWAY, startPushgateway, type Pushgateway, type Series } from '../support/pushgateway.ts';
import { freePorts } from '../support/ports.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { pushgatewaySink } from '../../src/metrics/pushgateway.ts';
import { buildScheduleTree } from '../../src/core/schedule/tree.ts';
import { backupSamples, BACKUP_JOB, clusterLabels, METRIC } from '../../src/core/metrics/names.ts';

if (!PUSHGATEWAY) console.warn('pushgateway.test.ts skipped: prometheus-pushgateway is not installed (bash test/setup.sh installs it)');

let sb: Sandbox;
let pg: Pushgateway;
const savedEnv = { ...process.env };

const backup = (...args: string[]) =>
  runCliInProcess([
    'backup',
    ...args,
    '--kubeconfig',
    sb.kubeconfig,
    '--to',
    `s3://${sb.s3.bucket}/metrics`,
    '--endpoint',
    sb.s3.endpoint,
    '--path-style',
    '--online',
  ]);

/** The value of one metric of one hosted cluster's group, undefined when the group lacks it. */
function valueOf(series: Series[], name: string, namespace: string, cluster: string): number | undefined {
  return series.find((s) => s.name === name && s.labels['namespace'] === namespace && s.labels['hosted_cluster'] === cluster)?.value;
}

describe.skipIf(!PUSHGATEWAY)('metrics pushed to a real Pushgateway', () => {
  beforeAll(async () => {
    [sb, pg] = await Promise.all([startSandbox({ seedKeys: 30, hostedClusters: [{ name: 'broken' }] }), startPushgateway()]);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
      AWS_REGION: sb.s3.region,
    });
    // clusters/broken loses quorum: two of its three members' processes die.
    const broken = sb.clusters[0]?.operator?.etcd('clusters-broken');
    if (!broken) throw new Error('no etcd for clusters-broken');
    await broken.kill(0);
    await broken.kill(1);
  }, 180_000);
  afterAll(async () => {
    process.env = savedEnv;
    await pg?.stop();
    await sb?.stop();
  });

  it('the adapter replaces only the metrics it pushes: a failure keeps the last success timestamp', async () => {
    const warnings: string[] = [];
    const sink = pushgatewaySink(pg.url, { info: () => {}, debug: () => {}, warn: (m) => warnings.push(m) });
    const labels = clusterLabels('adapter', 'one');
    await sink.push(
      BACKUP_JOB,
      labels,
      backupSamples({ ok: true, finishedAt: new Date(1_000_000_000_000), seconds: 12, sizeBytes: 4096, revision: 7 }),
    );
    await sink.push(BACKUP_JOB, labels, backupSamples({ ok: false, finishedAt: new Date(1_000_000_600_000), seconds: 3 }));
    const { series } = await pg.scrape();
    expect(warnings).toEqual([]);
    expect(valueOf(series, METRIC.backupLastSuccess, 'adapter', 'one')).toBe(1_000_000_000);
    expect(valueOf(series, METRIC.backupSize, 'adapter', 'one')).toBe(4096);
    expect(valueOf(series, METRIC.backupLastResult, 'adapter', 'one')).toBe(0);
    expect(valueOf(series, METRIC.backupLastFailure, 'adapter', 'one')).toBe(1_000_000_600);
    expect(valueOf(series, METRIC.backupDuration, 'adapter', 'one')).toBe(3);
    expect(series.find((s) => s.name === METRIC.backupLastResult && s.labels['hosted_cluster'] === 'one')?.labels['job']).toBe(BACKUP_JOB);
  });

  it('a backup pushes its success, size, revision and duration for its hosted cluster', async () => {
    const before = Date.now() / 1000;
    const run = await backup(sb.name, '-n', sb.namespace, '--pushgateway', pg.url, '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const manifest = JSON.parse(run.stdout) as BackupManifest;
    const { series } = await pg.scrape();
    const v = (name: string) => valueOf(series, name, sb.namespace, sb.name);
    expect(v(METRIC.backupLastResult)).toBe(1);
    expect(v(METRIC.backupLastSuccess)).toBeGreaterThanOrEqual(Math.floor(before));
    expect(v(METRIC.backupLastSuccess)).toBe(v(METRIC.backupLastAttempt));
    expect(v(METRIC.backupSize)).toBe(manifest.snapshot.size);
    expect(v(METRIC.backupRevision)).toBe(manifest.snapshot.revision);
    expect(v(METRIC.backupDuration)).toBeGreaterThan(0);
    expect(v(METRIC.backupLastFailure)).toBeUndefined();
  });

  it('an unreachable Pushgateway is a warning: the backup still succeeds with exit 0', async () => {
    const [closed] = await freePorts(1);
    const run = await backup(sb.name, '-n', sb.namespace, '--pushgateway', `http://127.0.0.1:${closed}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: metrics of clusters\/demo not pushed to the Pushgateway at 127\.0\.0\.1:\d+/);
  });

  it('a bad --pushgateway is refused before anything runs (usage error, exit 2; credentials not echoed)', async () => {
    const run = await backup(sb.name, '-n', sb.namespace, '--pushgateway', 'http://user:s3cr3t@127.0.0.1:9091');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/credentials in the URL are not supported/);
    expect(run.stderr).not.toContain('s3cr3t');
  });

  it('backup --all pushes each cluster: the succeeded one as a success, the broken one as a failure', async () => {
    const run = await backup('--all', '--pushgateway', pg.url);
    expect(run.code, run.stderr).toBe(6);
    const { series } = await pg.scrape();
    expect(valueOf(series, METRIC.backupLastResult, 'clusters', 'demo')).toBe(1);
    expect(valueOf(series, METRIC.backupLastResult, 'clusters', 'broken')).toBe(0);
    expect(valueOf(series, METRIC.backupLastSuccess, 'clusters', 'broken')).toBeUndefined();
    expect(valueOf(series, METRIC.backupLastFailure, 'clusters', 'broken')).toBeGreaterThan(0);
  });

  it("the command of a CronJob written by schedule --pushgateway pushes the run's result", async () => {
    const tree = buildScheduleTree({
      clusters: { type: 'named', namespace: sb.namespace, names: [sb.name] },
      jobNamespace: 'hcp-dr',
      image: 'ghcr.io/o/hcp-dr:0.2.0',
      schedule: '0 */6 * * *',
      mode: 'online',
      destination: { to: `s3://${sb.s3.bucket}/scheduled`, endpoint: sb.s3.endpoint, pathStyle: true },
      credentials: { type: 'secret', name: 'hcp-dr-s3' },
      backupFlags: [],
      startingDeadlineSeconds: 600,
      activeDeadlineSeconds: 3600,
      toolVersion: '0.0.0-test',
      pushgateway: pg.url,
    });
    const job = tree.objects.find((o) => o.kind === 'CronJob') as Record<string, any> | undefined;
    const args = job?.['spec'].jobTemplate.spec.template.spec.containers[0].args as string[];
    expect(args).toContain('--pushgateway');
    const before = valueOf((await pg.scrape()).series, METRIC.backupLastAttempt, sb.namespace, sb.name) as number;
    const run = await runCliInProcess([...args, '--kubeconfig', sb.kubeconfig]);
    expect(run.code, run.stderr).toBe(0);
    const { series } = await pg.scrape();
    expect(valueOf(series, METRIC.backupLastAttempt, sb.namespace, sb.name)).toBeGreaterThan(before);
    expect(valueOf(series, METRIC.backupLastResult, sb.namespace, sb.name)).toBe(1);
  });

  it('a failed backup pushes its failure and leaves the last success timestamp and size as they were', async () => {
    const last = await pg.scrape();
    const success = valueOf(last.series, METRIC.backupLastSuccess, sb.namespace, sb.name);
    const size = valueOf(last.series, METRIC.backupSize, sb.namespace, sb.name);
    expect(success).toBeGreaterThan(0);
    await sb.etcd.kill(0);
    await sb.etcd.kill(1);
    const run = await backup(sb.name, '-n', sb.namespace, '--pushgateway', pg.url);
    expect(run.code, run.stderr).not.toBe(0);
    const { series, text } = await pg.scrape();
    const v = (name: string) => valueOf(series, name, sb.namespace, sb.name);
    expect(v(METRIC.backupLastResult)).toBe(0);
    expect(v(METRIC.backupLastSuccess)).toBe(success);
    expect(v(METRIC.backupSize)).toBe(size);
    expect(v(METRIC.backupLastFailure)).toBeGreaterThan(success as number);
    // Nothing pushed names the store or carries a credential.
    for (const secret of [sb.s3.accessKeyId, sb.s3.secretAccessKey, 'X-Amz-', 's3://', sb.s3.endpoint]) expect(text).not.toContain(secret);
  });
});
