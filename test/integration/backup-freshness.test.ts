/**
 * Backup freshness in `etcd status` and `etcd status -A` on the sandbox: the newest complete backup
 * in `--backups s3://...` and its age beside the HostedCluster's status.lastSuccessfulEtcdBackupURL;
 * with --max-backup-age a stale or missing backup is a warning and exit 7, and etcd unhealth
 * (exit 4) takes precedence. A stale backup is a real backup whose backup.json says it was created
 * three days ago (rewritten in the S3 server, as the listing reads createdAt from it).
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import type { EtcdStatusReport } from '../../src/core/etcd/status.ts';
import type { EtcdSummary } from '../../src/core/etcd/status-all.ts';
import { Resources } from '../../src/core/model.ts';

let sb: Sandbox;
let s3: S3Client;
const savedEnv = { ...process.env };
const HC = Resources.hostedCluster;
const THREE_DAYS = 3 * 86_400;

const s3Flags = () => ['--endpoint', sb.s3.endpoint, '--path-style'];
const bucketUrl = (prefix: string) => `s3://${sb.s3.bucket}/${prefix}`;
const status = (...extra: string[]) =>
  runCliInProcess(['etcd', 'status', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, ...s3Flags(), ...extra]);
const statusAll = (...extra: string[]) => runCliInProcess(['etcd', 'status', '-A', '--kubeconfig', sb.kubeconfig, ...s3Flags(), ...extra]);

async function onlineBackup(prefix: string): Promise<BackupManifest> {
  const run = await runCliInProcess([
    'backup',
    'demo',
    '-n',
    'clusters',
    '--kubeconfig',
    sb.kubeconfig,
    '--to',
    bucketUrl(prefix),
    ...s3Flags(),
    '--online',
    '-o',
    'json',
  ]);
  if (run.code !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as BackupManifest;
}

/** Rewrites a backup's backup.json so that it says it was created `ageSeconds` ago. */
async function age(prefix: string, manifest: BackupManifest, ageSeconds: number): Promise<void> {
  const Key = `${prefix}/clusters/demo/${manifest.id}/backup.json`;
  const got = await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key }));
  const m = JSON.parse(await got.Body!.transformToString()) as BackupManifest;
  m.createdAt = new Date(Date.now() - ageSeconds * 1000).toISOString();
  await s3.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key, Body: JSON.stringify(m), ContentType: 'application/json' }));
}

let fresh: BackupManifest;
let stale: BackupManifest;

beforeAll(async () => {
  sb = await startSandbox({ seedKeys: 50 });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
    AWS_REGION: sb.s3.region,
  });
  s3 = new S3Client({
    endpoint: sb.s3.endpoint,
    region: sb.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  fresh = await onlineBackup('fresh');
  stale = await onlineBackup('stale');
  await age('stale', stale, THREE_DAYS);
  // HyperShift's own record of its last backup, as its backup controller leaves it.
  sb.sim.store.mutate(HC, 'clusters', 'demo', (o) => {
    const st = o['status'] as { lastSuccessfulEtcdBackupURL?: string; conditions: Record<string, string>[] };
    st.lastSuccessfulEtcdBackupURL = 's3://hypershift-backups/demo/1764000000.db';
    st.conditions.push({
      type: 'EtcdBackupSucceeded',
      status: 'True',
      reason: 'BackupSucceeded',
      message: '',
      lastTransitionTime: new Date(Date.now() - 7200_000).toISOString(),
    });
  });
}, 120_000);
afterAll(async () => {
  process.env = savedEnv;
  s3?.destroy();
  await sb?.stop();
});

describe('etcd status --backups', () => {
  it('shows the newest backup in the bucket, its age, id and s3:// URL beside lastSuccessfulEtcdBackupURL; exit 0 within --max-backup-age', async () => {
    const run = await status('--backups', bucketUrl('fresh'), '--max-backup-age', '1h', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as EtcdStatusReport;
    expect(r.backups).toMatchObject({
      stale: false,
      maxAgeSeconds: 3600,
      newest: { id: fresh.id, url: `${bucketUrl('fresh')}/clusters/demo/${fresh.id}/`, createdAt: fresh.createdAt },
    });
    expect(r.backups?.newest?.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(r.backups?.newest?.ageSeconds).toBeLessThan(3600);
    expect(r.lastSuccessfulBackup).toMatchObject({ url: 's3://hypershift-backups/demo/1764000000.db' });
    expect(r.lastSuccessfulBackup?.ageSeconds).toBeGreaterThanOrEqual(7200);
    expect(run.stdout).not.toMatch(/X-Amz-/i);
    const table = await status('--backups', bucketUrl('fresh'));
    expect(table.stdout).toMatch(new RegExp(`^NEWEST IN BUCKET\\s+\\d+s ago \\(${bucketUrl('fresh')}/clusters/demo/${fresh.id}/\\)$`, 'm'));
    expect(table.stdout).toMatch(/^LAST BACKUP\s+2h0m ago \(s3:\/\/hypershift-backups\/demo\/1764000000\.db\)/m);
  });

  it('a backup older than --max-backup-age is reported with its age, as a warning, and exit 7', async () => {
    const run = await status('--backups', bucketUrl('stale'), '--max-backup-age', '1d', '-o', 'json');
    expect(run.code).toBe(7);
    const r = JSON.parse(run.stdout) as EtcdStatusReport;
    expect(r.verdict.state).toBe('Healthy');
    expect(r.backups).toMatchObject({ stale: true, maxAgeSeconds: 86_400, newest: { id: stale.id } });
    expect(r.backups?.newest?.ageSeconds).toBeGreaterThanOrEqual(THREE_DAYS);
    expect(r.backups?.newest?.ageSeconds).toBeLessThan(THREE_DAYS + 600);
    expect(run.stderr).toMatch(
      new RegExp(
        `^warning: the newest backup of clusters/demo is 3d(\\d+m)?(\\d+s)? old, more than --max-backup-age 1d: ${bucketUrl('stale')}/`,
        'm',
      ),
    );
    const table = await status('--backups', bucketUrl('stale'), '--max-backup-age', '1d');
    expect(table.code).toBe(7);
    expect(table.stdout).toMatch(/^NEWEST IN BUCKET\s+3d ago \(.*\) \(STALE, limit 1d\)$/m);
  });

  it('without --max-backup-age, an old backup is shown and the exit code stays 0', async () => {
    const run = await status('--backups', bucketUrl('stale'), '-o', 'json');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as EtcdStatusReport).backups).toMatchObject({ stale: false, maxAgeSeconds: null });
  });

  it('no backup at all under --backups is stale with --max-backup-age: exit 7 naming what was searched', async () => {
    const run = await status('--backups', bucketUrl('empty'), '--max-backup-age', '6h', '-o', 'json');
    expect(run.code).toBe(7);
    expect((JSON.parse(run.stdout) as EtcdStatusReport).backups).toMatchObject({ stale: true, newest: null });
    expect(run.stderr).toMatch(new RegExp(`^warning: no complete backup of clusters/demo under ${bucketUrl('empty')}/`, 'm'));
  });

  it('-A shows each cluster beside its newest backup and exits 7 when one is stale', async () => {
    const run = await statusAll('--backups', bucketUrl('stale'), '--max-backup-age', '1d', '-o', 'json');
    expect(run.code).toBe(7);
    const demo = (JSON.parse(run.stdout) as EtcdSummary).items.find((i) => i.name === 'demo');
    expect(demo).toMatchObject({ state: 'Healthy', backups: { stale: true, newest: { id: stale.id } } });
    expect(demo?.backups?.newest?.ageSeconds).toBeGreaterThanOrEqual(THREE_DAYS);
    expect(demo?.lastSuccessfulBackup?.url).toBe('s3://hypershift-backups/demo/1764000000.db');
    const table = await statusAll('--backups', bucketUrl('stale'), '--max-backup-age', '1d');
    expect(table.stdout).toMatch(/^NAMESPACE\s+NAME\s+VERDICT\s+HEALTHY\s+LAST BACKUP \(HC\)\s+NEWEST IN BUCKET\s+REASON/m);
    expect(table.stdout).toMatch(/^clusters\s+demo\s+Healthy\s+3\/3\s+2h0m\s+3d \(stale\)/m);
    const ok = await statusAll('--backups', bucketUrl('fresh'), '--max-backup-age', '1d');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('etcd unhealth takes precedence: a Degraded etcd with a stale backup exits 4', async () => {
    await sb.etcd.kill(2);
    try {
      let run = await status('--backups', bucketUrl('stale'), '--max-backup-age', '1d', '-o', 'json');
      for (let i = 0; i < 50 && (JSON.parse(run.stdout) as EtcdStatusReport).verdict.state === 'Healthy'; i++) {
        await new Promise((r) => setTimeout(r, 300));
        run = await status('--backups', bucketUrl('stale'), '--max-backup-age', '1d', '-o', 'json');
      }
      const r = JSON.parse(run.stdout) as EtcdStatusReport;
      expect(r.verdict.state).toBe('Degraded');
      expect(r.backups?.stale).toBe(true);
      expect(run.code).toBe(4);
    } finally {
      await sb.etcd.start(2, { wait: true });
    }
  });
});
