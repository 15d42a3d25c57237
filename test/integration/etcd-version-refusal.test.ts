/**
 * A snapshot of a newer etcd minor than the target's is refused before any change (etcd goes back a
 * minor only through its downgrade procedure), unless --force: a 3.6 snapshot into the sandbox on 3.5.
 * Also: backup.json records the etcd version the snapshot was taken on.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startEtcdCluster, tempClusterDir, type EtcdCluster } from '../sandbox/etcd/cluster.ts';
import { runEtcdctl } from '../sandbox/etcd/etcdctl.ts';
import { etcdAvailable, etcdTools } from '../sandbox/etcd/versions.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import type { EtcdRestorePlan } from '../../src/core/etcd-restore/restore-plan.ts';
import type { RestoreResult } from '../../src/core/contracts/restore.ts';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { sandboxS3Client } from '../support/sandbox-s3.ts';
import { Resources } from '../../src/core/model.ts';

const HC = Resources.hostedCluster;
const KEY = '/hcp-dr-test/version-refusal/marker';
const built = etcdAvailable('3.5') && etcdAvailable('3.6');
let sb: Sandbox;
let newer: EtcdCluster;
let snapshot36: string;
let backupId = '';
const savedEnv = { ...process.env };

/**
 * A snapshot of the 3.6 cluster that records its storage version. A new 3.6 cluster writes it just
 * after it serves clients (its version monitor), so a snapshot taken in that window has none and
 * reads as 3.5 or older; under load the window is long enough to hit. Asks etcdutl, not hcp-dr.
 */
async function saveVersionedSnapshot(cluster: EtcdCluster, file: string): Promise<string> {
  let version = '';
  for (let attempt = 0; attempt < 40 && !version; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    const saved = await cluster.etcdctl(['snapshot', 'save', file]);
    expect(saved.code, saved.stderr).toBe(0);
    const status = await runEtcdctl(['snapshot', 'status', file, '-w', 'json'], 20_000, etcdTools('3.6').etcdutl);
    expect(status.code, status.stderr).toBe(0);
    version = (JSON.parse(status.stdout) as { version?: string }).version ?? '';
  }
  expect(version).toMatch(/^3\.6\./);
  return file;
}

const cli = (...args: string[]) => runCliInProcess([...args, '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);

describe.skipIf(!built)('a snapshot of a newer etcd minor (3.6 into 3.5)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    [sb, newer] = await Promise.all([
      startSandbox({ etcdImageTrustsS3Ca: true, etcdVersion: '3.5' }),
      startEtcdCluster({ dir: tempClusterDir('v36-source'), members: 1, etcdVersion: '3.6' }),
    ]);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
      AWS_REGION: sb.s3.region,
    });
    await newer.put(KEY, 'from-3.6');
    snapshot36 = await saveVersionedSnapshot(newer, path.join(newer.dir, 'snap-3.6.db'));
    await sb.etcd.put(KEY, 'sandbox-3.5');
  }, 120_000);
  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([sb?.stop(), newer?.stop()]);
  });

  it('etcd restore --from-file refuses it before any change (exit 3), naming both versions and --force', async () => {
    const before = JSON.stringify(sb.sim.store.get(HC, 'clusters', 'demo'));
    const run = await cli('etcd', 'restore', 'demo', '--from-file', snapshot36, '--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /^error: refusing to restore: the snapshot was taken on etcd 3\.6\.\d+, newer than the target's etcd 3\.5\.\d+ \(its running etcd pods\)/m,
    );
    expect(run.stderr).toMatch(/hint: .*--force \(nothing was changed\)/);
    expect(JSON.stringify(sb.sim.store.get(HC, 'clusters', 'demo'))).toBe(before);
    for (const i of [0, 1, 2]) expect(await sb.etcd.get(KEY, i)).toBe('sandbox-3.5');
  });

  it('with --force the plan goes ahead and says so', async () => {
    const run = await cli('etcd', 'restore', 'demo', '--from-file', snapshot36, '--force', '--dry-run', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as EtcdRestorePlan;
    expect(plan.notes.join('\n')).toMatch(/newer than the target's etcd 3\.5\.\d+ .*restored anyway \(--force\)/);
  });

  it('backup.json records the version the snapshot was taken on; a same-minor backup is not refused', async () => {
    const run = await runCliInProcess([
      'backup',
      'demo',
      '-n',
      'clusters',
      '--kubeconfig',
      sb.kubeconfig,
      '--to',
      `s3://${sb.s3.bucket}/hcp`,
      '--endpoint',
      sb.s3.httpsEndpoint,
      '--ca-bundle',
      sb.s3.caFile,
      '--path-style',
      '--yes',
      '-o',
      'json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const manifest = JSON.parse(run.stdout) as BackupManifest;
    expect(manifest.etcd.version).toMatch(/^3\.5\.\d+$/);
    backupId = manifest.id;
    const plan = await cli(
      'etcd',
      'restore',
      'demo',
      '--from-backup',
      `s3://${sb.s3.bucket}/hcp/clusters/demo/${manifest.id}/`,
      '--endpoint',
      sb.s3.httpsEndpoint,
      '--ca-bundle',
      sb.s3.caFile,
      '--path-style',
      '--dry-run',
      '-o',
      'json',
    );
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as EtcdRestorePlan).notes.join('\n')).not.toMatch(/newer than the target/);
  });

  it('restore refuses a backup whose snapshot is newer than the etcd of the HostedCluster release (4.19 = 3.5) before any change', async () => {
    // The sandbox's backup, as if taken on 3.6 (backup.json is what restore reads the version from).
    const client = sandboxS3Client(sb);
    const key = `hcp/clusters/demo/${backupId}/backup.json`;
    const got = await client.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: key }));
    const manifest = JSON.parse(await got.Body!.transformToString()) as BackupManifest;
    manifest.etcd.version = '3.6.17';
    await client.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: key, Body: JSON.stringify(manifest) }));
    const url = `s3://${sb.s3.bucket}/hcp/clusters/demo/${backupId}/`;
    const flags = ['--endpoint', sb.s3.httpsEndpoint, '--ca-bundle', sb.s3.caFile, '--path-style'];
    const before = JSON.stringify(sb.sim.store.get(HC, 'clusters', 'demo'));
    const run = await cli('restore', url, ...flags, '--replace', '--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /refusing to restore: the snapshot was taken on etcd 3\.6\.17, newer than the target's etcd 3\.5 \(the etcd of release [^)]*4\.19\.3/,
    );
    expect(JSON.stringify(sb.sim.store.get(HC, 'clusters', 'demo'))).toBe(before);
    const forced = await cli('restore', url, ...flags, '--replace', '--force', '--dry-run', '-o', 'json');
    expect(forced.code, forced.stderr).toBe(0);
    const plan = JSON.parse(forced.stdout) as RestoreResult;
    expect(plan.warnings.join('\n')).toMatch(/restored anyway \(--force\)/);
    expect(plan.preflight.find((c) => c.name === 'etcd-version')?.detail).toMatch(/snapshot of etcd 3\.6\.17, restored into etcd 3\.5/);
  });
});
