/**
 * `backup --all` end to end on a sandbox with several hosted clusters on one management cluster
 * (created through the operator stand-in, each with real etcd), one of them with quorum lost:
 * the others are backed up and their bundles verify, the broken one is named with its cause and
 * hint, exit 6; -n and -l narrow the fleet; --dry-run changes nothing; SIGINT stops new backups
 * from starting and rolls back the running one, exit 130.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { visibleState } from '../sandbox/cluster-state.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { FleetBackupResult } from '../../src/core/backup/fleet.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';

let sb: Sandbox;
let s3: S3Client;
const savedEnv = { ...process.env };

/** A Sandbox view of one of the added hosted clusters, for visibleState. */
function clusterView(namespace: string, name: string): Sandbox {
  const cp = `${namespace}-${name}`;
  const etcd = sb.clusters[0]?.operator?.etcd(cp);
  if (!etcd) throw new Error(`no etcd for ${cp}`);
  return { ...sb, namespace, name, controlPlaneNamespace: cp, etcd };
}

const s3Flags = () => ['--endpoint', sb.s3.endpoint, '--path-style'];
const fleet = (prefix: string, ...extra: string[]) =>
  runCliInProcess(['backup', '--all', '--kubeconfig', sb.kubeconfig, '--to', `s3://${sb.s3.bucket}/${prefix}`, ...s3Flags(), ...extra]);

async function keysUnder(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

beforeAll(async () => {
  sb = await startSandbox({
    seedKeys: 50,
    hostedClusters: [
      { name: 'alpha', policy: 'SingleReplica' },
      { name: 'broken' },
      { name: 'other', namespace: 'team-b', policy: 'SingleReplica', labels: { env: 'prod' } },
    ],
  });
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
  });
  // clusters/broken loses quorum: two of its three members' processes die (they are not restarted).
  const broken = clusterView('clusters', 'broken').etcd;
  await broken.kill(0);
  await broken.kill(1);
}, 180_000);
afterAll(async () => {
  process.env = savedEnv;
  s3?.destroy();
  await sb?.stop();
});

describe('backup --all', () => {
  it('backs up every other cluster online, names the one with quorum lost with cause and hint, and exits 6', async () => {
    const before = visibleState(sb);
    const run = await fleet('fleet', '-o', 'json');
    expect(run.code, run.stderr).toBe(6);
    const result = JSON.parse(run.stdout) as FleetBackupResult;
    expect(result).toMatchObject({ kind: 'FleetBackupResult', mode: 'online', concurrency: 4 });
    const state = Object.fromEntries(result.items.map((i) => [`${i.namespace}/${i.name}`, i.state]));
    expect(state).toEqual({
      'clusters/alpha': 'Succeeded',
      'clusters/broken': 'Failed',
      'clusters/demo': 'Succeeded',
      'team-b/other': 'Succeeded',
    });
    expect(result.summary).toMatchObject({ total: 4, succeeded: 3, failed: 1 });
    const broken = result.items.find((i) => i.name === 'broken');
    expect(broken?.error?.message).toMatch(/clusters\/broken.*QuorumLost/);
    expect(broken?.error?.hint).toMatch(/kubectl hcp-dr etcd restore .* --from-backup/);
    expect(broken?.error?.exitCode).toBe(4);
    // The one error line names the broken cluster and its cause; the hint follows.
    const errorLine = run.stderr.split('\n').find((l) => l.startsWith('error: '));
    expect(errorLine).toMatch(/failed to back up 1 of 4 hosted clusters \(3 backed up\): clusters\/broken \(.*QuorumLost/);
    expect(run.stderr).toMatch(/^hint: clusters\/broken: .*restore/m);
    // Online: the seeded cluster was neither paused nor scaled.
    expect(visibleState(sb)).toEqual(before);

    // Every bundle is there and verifies end to end; nothing was written for the broken cluster.
    for (const item of result.items.filter((i) => i.state === 'Succeeded')) {
      const verify = await runCliInProcess(['backup', 'verify', item.backup!.url, ...s3Flags(), '-o', 'json']);
      expect(verify.code, verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ verdict: 'Restorable' });
    }
    expect(await keysUnder('fleet/clusters/broken/')).toEqual([]);
    const list = await runCliInProcess(['backup', 'list', '--from', `s3://${sb.s3.bucket}/fleet`, ...s3Flags(), '-o', 'json']);
    const listed = (JSON.parse(list.stdout) as { items: { namespace: string; name: string; mode: string }[] }).items;
    expect(listed.map((i) => `${i.namespace}/${i.name}`).sort()).toEqual(['clusters/alpha', 'clusters/demo', 'team-b/other']);
    expect(listed.every((i) => i.mode === 'online')).toBe(true);
  });

  it('prints a summary table naming each cluster, its result and the cause of a failure', async () => {
    const run = await fleet('fleet-table', '-n', 'clusters', '--concurrency', '2');
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/^NAMESPACE\s+NAME\s+RESULT/m);
    expect(run.stdout).toMatch(/^clusters\s+alpha\s+Succeeded\s+.*s3:\/\/.*\/fleet-table\/clusters\/alpha\//m);
    expect(run.stdout).toMatch(/^clusters\s+broken\s+Failed\s+.*QuorumLost/m);
    expect(run.stdout).not.toMatch(/team-b/);
    expect(run.stdout).toMatch(/3 HostedClusters \(online\): 2 backed up, 1 failed/);
  });

  it('with -l, only the matching clusters are backed up, and all succeeding exits 0', async () => {
    const run = await fleet('fleet-selected', '-l', 'env=prod', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as FleetBackupResult;
    expect(result.items.map((i) => `${i.namespace}/${i.name}:${i.state}`)).toEqual(['team-b/other:Succeeded']);
    expect(result.selection).toEqual({ namespace: null, labelSelector: 'env=prod' });
  });

  it('a selector that matches nothing is refused with exit 3 and a hint', async () => {
    const run = await fleet('fleet-none', '-l', 'env=nosuch');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: failed to back up the fleet: no HostedCluster in any namespace matching env=nosuch/m);
    expect(run.stderr).toMatch(/^hint: check -n and -l/m);
  });

  it('--dry-run plans every cluster, reports the broken one, and writes nothing', async () => {
    const run = await fleet('fleet-dry', '--dry-run', '--quiesce', '-o', 'json');
    expect(run.code).toBe(6);
    const result = JSON.parse(run.stdout) as FleetBackupResult;
    expect(result.dryRun).toBe(true);
    expect(result.items.filter((i) => i.state === 'Planned').map((i) => i.name)).toEqual(['alpha', 'demo', 'other']);
    expect(result.items.find((i) => i.name === 'demo')?.detail).toMatch(/downtime/);
    expect(await keysUnder('fleet-dry/')).toEqual([]);
  });

  it('SIGINT while the first cluster is quiesced: it is rolled back, no other starts, exit 130', async () => {
    const alpha = clusterView('clusters', 'alpha');
    const before = { alpha: visibleState(alpha), demo: visibleState(sb) };
    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'src/main.ts'),
        'backup',
        '--all',
        '-n',
        'clusters',
        '--quiesce',
        '--yes',
        '--concurrency',
        '1',
        '--kubeconfig',
        sb.kubeconfig,
        '--to',
        `s3://${sb.s3.bucket}/fleet-sigint`,
        ...s3Flags(),
        '-o',
        'json',
        '-v',
      ],
      { env: { ...process.env, ...sb.env, HCP_DR_INVOKED_AS: 'kubectl-hcp_dr' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    let sent = false;
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!sent && stderr.includes('step: clusters/alpha quiesced\n')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(sent, stderr).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/^error: fleet backup interrupted: 0 backed up, 1 rolled back, 2 not started/m);
    const result = JSON.parse(stdout) as FleetBackupResult;
    expect(result.items.map((i) => `${i.name}:${i.state}`)).toEqual(['alpha:Interrupted', 'broken:NotStarted', 'demo:NotStarted']);
    expect(visibleState(alpha)).toEqual(before.alpha);
    expect(visibleState(sb)).toEqual(before.demo);
    expect((await keysUnder('fleet-sigint/')).filter((k) => k.endsWith('backup.json'))).toEqual([]);
  });

  it('a single backup is still quiesced by default and refuses without --yes', async () => {
    const run = await runCliInProcess([
      'backup',
      'alpha',
      '-n',
      'clusters',
      '--kubeconfig',
      sb.kubeconfig,
      '--to',
      `s3://${sb.s3.bucket}/single`,
      ...s3Flags(),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/pass --yes to confirm/);
    const online = await runCliInProcess([
      'backup',
      'alpha',
      '-n',
      'clusters',
      '--kubeconfig',
      sb.kubeconfig,
      '--to',
      `s3://${sb.s3.bucket}/single`,
      ...s3Flags(),
      '--online',
      '-o',
      'json',
    ]);
    expect(online.code, online.stderr).toBe(0);
    expect((JSON.parse(online.stdout) as BackupManifest).mode).toBe('online');
  });
});
