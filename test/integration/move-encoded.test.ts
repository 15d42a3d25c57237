/**
 * `move --encrypt-to --compress --decrypt-with` on the sandbox's move world: the move's backup is
 * stored zstd-compressed and age-encrypted (no object holds the bbolt magic), the destination's
 * restore stages a decoded copy for etcd-init, the move ends Moved and verified by data, and no
 * staged object is left in the bucket, also when the run is killed once the destination's
 * HostedCluster exists and `resume --decrypt-with` finishes it. Without a matching identity the
 * move is refused before its first change.
 */
import { cliKilledAt, type KilledRun } from '../support/kill-at.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type ManagementCluster, type Sandbox } from '../sandbox/sandbox.ts';
import { demoMoveArgs, sandboxS3Client, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { waitFor } from '../support/wait.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import type { MoveResult } from '../../src/core/move/types.ts';
import type { GroupResource } from '../sandbox/api/types.ts';

const HC: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const API = 'api-demo.hcp.example.com';
const KEY = '/move-test/encoded';
const BBOLT_MAGIC = Buffer.from([0xed, 0xda, 0x0c, 0xed]);

let sb: Sandbox;
let m1: ManagementCluster;
let m2: ManagementCluster;
let s3: S3Client;
let restoreEnv: (() => void) | undefined;
let recipient = '';
const dir = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-move-enc-'));
const identity = path.join(dir, 'key.txt');
const otherIdentity = path.join(dir, 'other.txt');

const move = (...extra: string[]) =>
  runCliInProcess(
    demoMoveArgs(sb, 'sandbox', 'sandbox-2', ['--wait-timeout', '3m', '--encrypt-to', recipient, '--compress', 'zstd', ...extra]),
  );

const stagedLeft = async () => [...(await objectsUnder('')).keys()].filter((k) => k.includes('.hcp-dr-staging'));

/** The move back (sandbox-2 to sandbox) in a child process, SIGKILLed once stderr shows `marker`. */
function moveBackKilledAt(marker: string): Promise<KilledRun> {
  const args = demoMoveArgs(sb, 'sandbox-2', 'sandbox', ['--wait-timeout', '3m', '--yes', '-v']);
  args.push('--encrypt-to', recipient, '--compress', 'zstd', '--decrypt-with', identity);
  return cliKilledAt(args, marker);
}

async function objectsUnder(prefix: string): Promise<Map<string, Buffer>> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: prefix }));
  const all = new Map<string, Buffer>();
  for (const o of out.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: o.Key }));
    all.set(o.Key ?? '', Buffer.from(await got.Body!.transformToByteArray()));
  }
  return all;
}

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, guests: true, capi: true, initBackoffMs: 1000 });
  [m1, m2] = sb.clusters as [ManagementCluster, ManagementCluster];
  restoreEnv = useSandboxCredentials(sb);
  s3 = sandboxS3Client(sb);
  const key = await generateIdentity();
  writeFileSync(identity, `${key}\n`);
  writeFileSync(otherIdentity, `${await generateIdentity()}\n`);
  recipient = await identityToRecipient(key);
  await waitFor(
    'api-demo published by the first cluster',
    async () =>
      (
        await sb
          .dns!.resolver()
          .resolve4(API)
          .catch(() => [] as string[])
      )[0] === m1.ingressAddress,
    60_000,
  );
  await sb.etcd.put(KEY, 'moved');
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  s3?.destroy();
  await sb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('move of an encrypted, compressed backup', { timeout: 300_000 }, () => {
  it('refuses a missing or a wrong identity before the first change', async () => {
    const before = JSON.stringify(m1.sim.store.get(HC, 'clusters', 'demo'));
    const missing = await move('--yes');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/encrypted to age1.* and no identity was given/);
    expect(missing.stderr).toMatch(/hint: pass --decrypt-with/);
    const wrong = await move('--yes', '--decrypt-with', otherIdentity);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/is none of them/);
    expect(JSON.stringify(m1.sim.store.get(HC, 'clusters', 'demo'))).toBe(before);
    expect(m2.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
    expect((await objectsUnder('moves/')).size).toBe(0);
  });

  it('moves it: the backup stored encoded, the destination verified by data, no staged copy left', async () => {
    const run = await move('--yes', '-o', 'json', '-v', '--decrypt-with', identity);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as MoveResult;
    expect(r.state).toBe('Moved');
    expect(r.restore?.verdict.state).toBe('Restored');
    expect(r.preflight.find((c) => c.name === 'backup encoding')?.detail).toMatch(/zstd-compressed, then age-encrypted/);
    expect(run.stderr).toMatch(/staging the decoded snapshot at s3:\/\/.*\.hcp-dr-staging/);
    expect(await sb.clusters[1]?.operator?.etcd('clusters-demo')?.get(KEY, 0)).toBe('moved');
    const prefix = r.backup!.replace(`s3://${sb.s3.bucket}/`, '');
    const stored = await objectsUnder(prefix);
    const manifest = JSON.parse(stored.get(`${prefix}backup.json`)!.toString()) as BackupManifest;
    expect(manifest.storage).toMatchObject({ compression: 'zstd', encryption: { recipients: [recipient] } });
    for (const [k, bytes] of stored) expect(bytes.includes(BBOLT_MAGIC), k).toBe(false);
    expect(await stagedLeft()).toEqual([]);
  });

  it('killed once the destination HostedCluster exists, resume --decrypt-with finishes it and deletes the staged copy', async () => {
    await sb.clusters[1]?.operator?.etcd('clusters-demo')?.put(KEY, 'moved back');
    const killed = await moveBackKilledAt('created HostedCluster clusters/demo\n');
    expect(killed.reached, killed.stderr).toBe(true);
    expect((await stagedLeft()).length).toBe(1);
    const resume = (...extra: string[]) =>
      runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--context', 'sandbox', ...extra]);
    const resumed = await resume('--decrypt-with', identity);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await sb.clusters[0]?.operator?.etcd('clusters-demo')?.get(KEY, 0)).toBe('moved back');
    expect(m1.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.['hcp-dr.openshift.io/operation']).toBeUndefined();
    expect(await stagedLeft()).toEqual([]);
  });
});
