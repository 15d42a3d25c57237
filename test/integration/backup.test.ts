/**
 * `backup` and `resume` end to end on the sandbox, with the signature-checking S3 server:
 * the round trip through a real etcdctl restore, and the failure paths that must leave the
 * cluster as it was (or resumable).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { visibleState, type BackupVisibleState } from '../sandbox/cluster-state.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, sandboxS3Client, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { startEtcdFromSnapshot } from '../sandbox/etcd/offline-restore.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';

let sb: Sandbox;
let initial: BackupVisibleState;
let s3: S3Client;
let restoreEnv: (() => void) | undefined;

const backupArgs = (...extra: string[]) => demoBackupArgs(sb, extra);

async function listKeys(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

beforeAll(async () => {
  sb = await startSandbox();
  restoreEnv = useSandboxCredentials(sb);
  s3 = sandboxS3Client(sb);
  await sb.etcd.put('/hcp-dr-test/alpha', 'one');
  await sb.etcd.put('/hcp-dr-test/beta', 'two');
  initial = visibleState(sb);
});
afterAll(async () => {
  restoreEnv?.();
  s3?.destroy();
  await sb?.stop();
});
beforeEach(() => {
  sb.s3.server.setFault(undefined);
});

describe('backup round trip', () => {
  it('when quiesced, it uploads a verified snapshot that the real etcdctl restores with the seeded keys, and leaves the cluster as it was', async () => {
    const run = await runCliInProcess(backupArgs('--yes', '-o', 'json'));
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const manifest = JSON.parse(run.stdout) as BackupManifest;
    expect(manifest).toMatchObject({
      kind: 'EtcdBackup',
      mode: 'quiesce',
      hostedCluster: { namespace: 'clusters', name: 'demo', infraID: 'demo-x7k2p', platform: 'AWS' },
    });
    expect(manifest.apiDowntimeSeconds).toBeGreaterThan(0);
    // -o json carries the runner's timings: every phase, in the order of the workflow, never negative.
    const { phases } = JSON.parse(run.stdout) as { phases: { phase: string; seconds: number }[] };
    expect(phases.map((p) => p.phase)).toEqual(['preflight', 'quiesced', 'snapshotted', 'resumed', 'uploaded']);
    expect(phases.every((p) => p.seconds >= 0)).toBe(true);
    // The etcd image drill runs: the etcd StatefulSet's etcd container's, as the backup found it.
    const sts = sb.sim.store.get({ group: 'apps', version: 'v1', plural: 'statefulsets' }, 'clusters-demo', 'etcd') as unknown as {
      spec: { template: { spec: { containers: { name: string; image: string }[] } } };
    };
    const image = sts.spec.template.spec.containers.find((c) => c.name === 'etcd')?.image;
    expect(image).toBeTruthy();
    expect(manifest.etcd.image).toBe(image);
    expect(manifest.encryption).toMatchObject({ type: 'aescbc', activeKeySecret: 'demo-etcd-encryption-key' });
    // The key, the Secrets the HostedCluster references (pull secret, SSH key) and the PKI.
    expect(manifest.secrets.map((s) => s.name).sort()).toEqual([
      'demo-etcd-encryption-key',
      'demo-pull-secret',
      'demo-ssh-key',
      'etcd-signer',
      'root-ca',
      'sa-signing-key',
    ]);
    expect(visibleState(sb)).toEqual(initial);

    const prefix = `hcp/clusters/demo/${manifest.id}/`;
    const keys = await listKeys(prefix);
    expect(keys).toEqual(
      expect.arrayContaining([
        `${prefix}backup.json`,
        `${prefix}snapshot.db`,
        `${prefix}manifests/hostedcluster.yaml`,
        `${prefix}secrets/root-ca.yaml`,
      ]),
    );

    const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-restore-'));
    try {
      const file = path.join(dir, 'snapshot.db');
      const object = await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: `${prefix}snapshot.db` }));
      await pipeline(object.Body as Readable, createWriteStream(file));
      const bytes = await readFile(file);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.snapshot.sha256);
      expect(bytes.length).toBe(manifest.snapshot.size);
      // The sandbox's own etcd tools read it (etcdutl on 3.6, whose etcdctl has no `snapshot status`).
      const tool = sb.etcd.tools.etcdutl && sb.etcd.version === '3.6' ? sb.etcd.tools.etcdutl : sb.etcd.tools.etcdctl;
      const status = spawnSync(tool, ['snapshot', 'status', file, '-w', 'json'], { encoding: 'utf8' });
      expect(JSON.parse(status.stdout)).toMatchObject({
        revision: manifest.snapshot.revision,
        totalKey: manifest.snapshot.totalKeys,
        hash: manifest.snapshot.hash,
      });
      const restored = await startEtcdFromSnapshot(file, path.join(dir, 'restored'));
      try {
        expect(await restored.get('/hcp-dr-test/alpha')).toBe('one');
        expect(await restored.get('/hcp-dr-test/beta')).toBe('two');
      } finally {
        await restored.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when online, it takes no pause and scales nothing', async () => {
    const run = await runCliInProcess(backupArgs('--online', '-o', 'json'));
    expect(run.code).toBe(0);
    const manifest = JSON.parse(run.stdout) as BackupManifest;
    expect(manifest.mode).toBe('online');
    expect(manifest.apiDowntimeSeconds).toBeNull();
    expect(visibleState(sb)).toEqual(initial);
  });

  it('when --dry-run, it prints the plan and changes nothing', async () => {
    const run = await runCliInProcess(backupArgs('--dry-run', '-o', 'yaml'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kind: BackupPlan');
    expect(run.stdout).toMatch(/scale kube-apiserver, openshift-apiserver, openshift-oauth-apiserver in clusters-demo to 0/);
    expect(visibleState(sb)).toEqual(initial);
  });

  it('when quiesce is not confirmed and there is no terminal, it refuses with exit 2 and touches nothing', async () => {
    const run = await runCliInProcess(backupArgs());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('hint: pass --yes to confirm');
    expect(visibleState(sb)).toEqual(initial);
  });
});

describe('backup faults leave the cluster resumed and no backup.json', () => {
  const faultCases: [string, () => Promise<{ args: string[]; restore?: () => void }>, number, RegExp][] = [
    [
      'wrong credentials',
      async () => {
        process.env['AWS_SECRET_ACCESS_KEY'] = 'wrong-secret';
        return { args: backupArgs('--yes'), restore: () => void (process.env['AWS_SECRET_ACCESS_KEY'] = sb.s3.secretAccessKey) };
      },
      1,
      /SignatureDoesNotMatch|credentials|Forbidden|Access/i,
    ],
    [
      'missing bucket',
      async () => ({
        args: [
          'backup',
          'demo',
          '-n',
          'clusters',
          '--kubeconfig',
          sb.kubeconfig,
          '--to',
          's3://no-such-bucket/hcp',
          '--endpoint',
          sb.s3.endpoint,
          '--path-style',
          '--yes',
        ],
      }),
      3,
      /NoSuchBucket|bucket/i,
    ],
    [
      'connection refused',
      async () => ({
        args: [
          'backup',
          'demo',
          '-n',
          'clusters',
          '--kubeconfig',
          sb.kubeconfig,
          '--to',
          `s3://${sb.s3.bucket}/hcp`,
          '--endpoint',
          'http://127.0.0.1:9',
          '--path-style',
          '--yes',
        ],
      }),
      1,
      /ECONNREFUSED|connect|reach/i,
    ],
    [
      'a failure in the middle of the upload',
      async () => {
        // The sandbox snapshot is smaller than one part, so it goes up as a single PutObject: cut it mid-body.
        sb.s3.server.setFault({ op: 'PutObject', mode: 'drop', afterBytes: 16 * 1024, times: Infinity });
        return { args: backupArgs('--yes') };
      },
      1,
      /upload|socket|reset|closed|network|EPIPE/i,
    ],
  ];
  for (const [name, setup, code, message] of faultCases) {
    it(`when ${name}, it exits ${code}, names the cause and the cluster is as before`, async () => {
      const before = await listKeys('hcp/');
      const { args, restore } = await setup();
      try {
        const run = await runCliInProcess(args);
        expect(run.code).toBe(code);
        expect(run.stderr).toMatch(/^error: /m);
        expect(run.stderr.split('\n').find((l) => l.startsWith('error: '))).toMatch(message);
      } finally {
        restore?.();
      }
      expect(visibleState(sb)).toEqual(initial);
      const after = await listKeys('hcp/');
      expect(after.filter((k) => k.endsWith('backup.json'))).toEqual(before.filter((k) => k.endsWith('backup.json')));
    });
  }

  it('when the upload fails after the Secrets went to --keys-to, the rollback deletes them too', async () => {
    // The HostedCluster manifest is written after the Secrets: failing it leaves them behind unless the rollback takes them.
    const before = await listKeys('hcp/');
    sb.s3.server.setFault({ op: 'PutObject', mode: 'error500', keySuffix: 'manifests/hostedcluster.yaml', times: Infinity });
    const run = await runCliInProcess(backupArgs('--online', '--keys-to', `s3://${sb.s3.bucket}/orphan-keys`));
    expect(run.code).toBe(1);
    expect(sb.s3.server.faultsTriggered).toBeGreaterThan(0);
    expect(run.stderr).not.toMatch(/rollback failed/);
    expect(await listKeys('orphan-keys/')).toEqual([]);
    expect(await listKeys('hcp/')).toEqual(before);
    expect(visibleState(sb)).toEqual(initial);
  });
});

describe('resume', () => {
  it('when nothing is recorded, it says so and exits 0', async () => {
    const run = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('nothing to resume');
  });

  it('when a second backup finds the lock, it refuses with exit 3 and a resume hint', async () => {
    const hcRes = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
    sb.sim.store.mutate(hcRes, 'clusters', 'demo', (o) => {
      o.metadata.annotations = {
        ...o.metadata.annotations,
        'hcp-dr.openshift.io/operation': JSON.stringify({
          id: 'other',
          type: 'backup',
          startedAt: '2026-01-01T00:00:00Z',
          phase: 'started',
        }),
      };
    });
    try {
      const run = await runCliInProcess(backupArgs('--yes'));
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('operation other (backup, started) in progress');
      expect(run.stderr).toMatch(
        /^hint: that run may still be active .*check first; once it is not, finish or undo what it left with: kubectl hcp-dr resume demo -n clusters$/m,
      );
    } finally {
      const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
      expect(resumed.code).toBe(0);
    }
    expect(visibleState(sb)).toEqual(initial);
  });
});
