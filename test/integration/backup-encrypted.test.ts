/**
 * `backup --encrypt-to/--compress` on the sandbox, and every reader of such a backup outside
 * restore/move: no object in the bucket holds the snapshot's bbolt magic, a PEM private key or
 * the AES key; Debian's `age -d` decrypts each object to the SHA-256 backup.json records;
 * `backup list` and `verify` with and without the identity; `etcd restore --from-backup` of an
 * encrypted and compressed backup ends verified, and a wrong or missing identity is refused
 * before any change.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, sandboxS3Client, sandboxS3Flags, useSandboxCredentials } from '../support/sandbox-s3.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import type { BackupList } from '../../src/core/bundle/list.ts';
import type { BackupVerification } from '../../src/core/bundle/verify.ts';
import type { EtcdRestoreResult } from '../../src/core/etcd-restore/restore.ts';
import type { EtcdStatusReport } from '../../src/core/etcd/status.ts';
import { Resources } from '../../src/core/model.ts';

const hasAge = spawnSync('age', ['--version']).status === 0;
if (!hasAge) console.warn("skipping the encrypted-backup tests: Debian's age is not installed (run test/setup.sh)");

let sb: Sandbox;
let s3: S3Client;
let restoreEnv: (() => void) | undefined;
const dir = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-enc-'));
const identity = path.join(dir, 'key.txt');
const otherIdentity = path.join(dir, 'other.txt');
let recipient = '';
let encrypted: BackupManifest;
let both: BackupManifest;
const KEY = '/hcp-dr-test/encrypted/marker';
const BBOLT_MAGIC = Buffer.from([0xed, 0xda, 0x0c, 0xed]);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const urlOf = (m: BackupManifest) => `s3://${sb.s3.bucket}/hcp/clusters/demo/${m.id}/`;
const cli = (...args: string[]) => runCliInProcess([...args, '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);

async function objects(m: BackupManifest): Promise<Map<string, Buffer>> {
  const prefix = `hcp/clusters/demo/${m.id}/`;
  const out = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: prefix }));
  const all = new Map<string, Buffer>();
  for (const o of out.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: o.Key }));
    all.set(o.Key ?? '', Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()));
  }
  return all;
}

async function backup(...extra: string[]): Promise<BackupManifest> {
  const run = await runCliInProcess(demoBackupArgs(sb, ['--online', '-o', 'json', ...extra]));
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as BackupManifest;
}

async function etcdState(): Promise<string> {
  return (JSON.parse((await cli('etcd', 'status', 'demo', '-o', 'json')).stdout) as EtcdStatusReport).verdict.state;
}

beforeAll(async () => {
  if (!hasAge) return;
  sb = await startSandbox();
  restoreEnv = useSandboxCredentials(sb);
  s3 = sandboxS3Client(sb);
  for (const f of [identity, otherIdentity]) expect(spawnSync('age-keygen', ['-o', f]).status).toBe(0);
  recipient = spawnSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).stdout.trim();
  await sb.etcd.seed(30, { prefix: '/hcp-dr-test/encrypted/' });
  await sb.etcd.put(KEY, 'backup');
  encrypted = await backup('--encrypt-to', recipient);
  const list = path.join(dir, 'recipients.txt');
  writeFileSync(list, `# the DR team\n${recipient}\n`);
  both = await backup('--encrypt-to-file', list, '--compress', 'zstd');
}, 240_000);

afterAll(async () => {
  restoreEnv?.();
  s3?.destroy();
  await sb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasAge)('an encrypted backup on the sandbox', { timeout: 300_000 }, () => {
  it('backup.json records what is encrypted, to whom, and both SHA-256s; no object holds the bbolt magic, a PEM private key or the AES key', async () => {
    expect(encrypted.storage?.encryption).toEqual({ format: 'age', recipients: [recipient] });
    const stored = await objects(encrypted);
    const manifestKey = `hcp/clusters/demo/${encrypted.id}/backup.json`;
    expect([...stored.keys()]).toContain(manifestKey);
    // Every object but backup.json is recorded; backup.json names no private key.
    expect(encrypted.storage?.objects.map((o) => o.url).sort()).toEqual(
      [...stored.keys()]
        .filter((k) => k !== manifestKey)
        .map((k) => `s3://${sb.s3.bucket}/${k}`)
        .sort(),
    );
    expect(stored.get(manifestKey)?.toString()).not.toMatch(/AGE-SECRET-KEY|PRIVATE KEY/);
    // The AES key and a CA private key as the stored Secret YAML holds them (base64) and as bytes.
    const data = (ns: string, name: string) => sb.sim.store.get(Resources.secret, ns, name)?.['data'] as Record<string, string>;
    const aesKey = data('clusters', 'demo-etcd-encryption-key')['key'] as string;
    const caKey = data(sb.controlPlaneNamespace, 'root-ca')['ca.key'] as string;
    const mustShowInPlain = [BBOLT_MAGIC, Buffer.from(aesKey), Buffer.from(caKey)];
    const needles = [...mustShowInPlain, Buffer.from(aesKey, 'base64'), Buffer.from(caKey, 'base64'), Buffer.from('PRIVATE KEY')];
    const foundInPlain = new Set<number>();
    for (const [key, bytes] of stored) {
      if (key === manifestKey) continue;
      for (const n of needles) expect(bytes.includes(n), `${key} holds ${n.toString('hex')}`).toBe(false);
      // Debian's age decrypts it to the recorded plain bytes: the needles were there to find.
      const rec = encrypted.storage?.objects.find((o) => o.url === `s3://${sb.s3.bucket}/${key}`);
      expect(rec?.storedSha256).toBe(sha(bytes));
      const file = path.join(dir, 'object.age');
      writeFileSync(file, bytes);
      const out = spawnSync('age', ['-d', '-i', identity, file], { maxBuffer: 1 << 30 });
      expect(out.status, out.stderr.toString()).toBe(0);
      expect(sha(out.stdout)).toBe(rec?.sha256);
      mustShowInPlain.forEach((n, i) => out.stdout.includes(n) && foundInPlain.add(i));
    }
    expect([...foundInPlain].sort()).toEqual([0, 1, 2]);
  });

  it('compressed then encrypted: age -d then zstd -d gives the recorded bytes; the ratio on real etcd data is reported', async () => {
    expect(both.storage).toMatchObject({ compression: 'zstd', compressionLevel: 1, encryption: { recipients: [recipient] } });
    const snapshotUrl = `${urlOf(both)}snapshot.db`;
    const rec = both.storage?.objects.find((o) => o.url === snapshotUrl);
    const stored = (await objects(both)).get(snapshotUrl.replace(`s3://${sb.s3.bucket}/`, '')) as Buffer;
    const file = path.join(dir, 'snapshot.age');
    writeFileSync(file, stored);
    const out = spawnSync('age', ['-d', '-i', identity, file], { maxBuffer: 1 << 30 });
    expect(out.stdout.length).toBe(rec?.compressedSize);
    expect(sha(zstdDecompressSync(out.stdout))).toBe(both.snapshot.sha256);
    expect(rec?.size).toBe(both.snapshot.size);
    console.log(
      `zstd on the sandbox's etcd snapshot: ${rec?.size} -> ${rec?.compressedSize} bytes (ratio ${((rec?.size ?? 0) / (rec?.compressedSize ?? 1)).toFixed(2)}), stored ${rec?.storedSize}`,
    );
    expect(rec?.compressedSize).toBeLessThan(rec?.size ?? 0);
  });

  it('backup list shows it encrypted; verify without the identity checks the stored bytes only and says so; with it, the content', async () => {
    const list = JSON.parse(
      (await runCliInProcess(['backup', 'list', '--from', `s3://${sb.s3.bucket}/hcp`, ...sandboxS3Flags(sb), '-o', 'json'])).stdout,
    ) as BackupList;
    expect(list.items.find((i) => i.id === both.id)).toMatchObject({ compression: 'zstd', encryption: { recipients: [recipient] } });
    const verify = (...extra: string[]) =>
      runCliInProcess(['backup', 'verify', urlOf(both), ...sandboxS3Flags(sb), '-o', 'json', ...extra]);
    const storedOnly = await verify();
    expect(storedOnly.code, storedOnly.stderr).toBe(0);
    const so = JSON.parse(storedOnly.stdout) as BackupVerification;
    expect(so.checks.find((c) => c.name === 'content')?.detail).toMatch(/stored bytes were checked, not the snapshot inside/);
    expect(so.snapshot).toBeNull();
    const full = await verify('--decrypt-with', identity);
    expect(full.code, full.stderr).toBe(0);
    const fv = JSON.parse(full.stdout) as BackupVerification;
    expect(fv.verdict).toBe('Restorable');
    expect(fv.snapshot?.sha256).toBe(both.snapshot.sha256);
    expect(fv.checks.find((c) => c.name === 'stored')?.detail).toMatch(/stored bytes and contents/);
    const wrong = await verify('--decrypt-with', otherIdentity);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/is not one of its recipients/);
  });

  it('export --from-backup decrypts with the identity and refuses without it; render --from-backup refuses to sign an encoded snapshot', async () => {
    const exportTo = (...extra: string[]) =>
      runCliInProcess(['export', '--from-backup', urlOf(encrypted), ...sandboxS3Flags(sb), '--stdout', ...extra]);
    const missing = await exportTo();
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/encrypted \(age\) and no identity was given/);
    const run = await exportTo('--decrypt-with', identity);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/kind: HostedCluster/);
    expect(run.stdout).toMatch(/name: demo/);
    const input = path.join(dir, 'render-input.yaml');
    writeFileSync(input, 'apiVersion: v1\nkind: List\nitems: []\n');
    const render = await runCliInProcess([
      'render',
      '--from-backup',
      urlOf(both),
      '-f',
      input,
      ...sandboxS3Flags(sb),
      '--decrypt-with',
      identity,
    ]);
    expect(render.code).toBe(3);
    expect(render.stderr).toMatch(/etcd-init downloads a plain snapshot/);
  });

  // restore with the identity (a staged decoded copy for etcd-init): restore-encoded.test.ts.
  it('restore refuses an encrypted backup without an identity before any change', async () => {
    const hcBefore = JSON.stringify(sb.sim.store.get(Resources.hostedCluster, 'clusters', 'demo'));
    for (const m of [encrypted, both]) {
      const run = await runCliInProcess(['restore', urlOf(m), '--kubeconfig', sb.kubeconfig, ...sandboxS3Flags(sb), '--dry-run']);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/encrypted \(age\) and no identity was given/);
    }
    expect(JSON.stringify(sb.sim.store.get(Resources.hostedCluster, 'clusters', 'demo'))).toBe(hcBefore);
  });

  it('backup --dry-run names the encoding; a bad recipient is refused before any connection', async () => {
    const dry = await runCliInProcess(demoBackupArgs(sb, ['--online', '--dry-run', '--encrypt-to', recipient, '--compress', 'zstd']));
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`zstd-compressed, then age-encrypted to ${recipient}`);
    const bad = await runCliInProcess(demoBackupArgs(sb, ['--online', '--encrypt-to', 'age1nope']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not an age public key/);
  });

  it('verify without the identity finds a stored object that was replaced (stored SHA-256)', async () => {
    const m = await backup('--encrypt-to', recipient);
    const key = `hcp/clusters/demo/${m.id}/manifests/hostedcluster.yaml`;
    const other = (await objects(encrypted)).get(`hcp/clusters/demo/${encrypted.id}/manifests/hostedcluster.yaml`) as Buffer;
    await s3.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: key, Body: other }));
    const run = await runCliInProcess(['backup', 'verify', urlOf(m), ...sandboxS3Flags(sb), '-o', 'json']);
    expect(run.code).toBe(1);
    const v = JSON.parse(run.stdout) as BackupVerification;
    expect(v.reasons.join('\n')).toMatch(/manifests\/hostedcluster\.yaml \(stored bytes\)/);
  });

  it('etcd restore --from-backup: a wrong or missing identity is refused before any change; the right one restores, verified', async () => {
    await sb.etcd.put(KEY, 'after-backup');
    await sb.etcd.wipe(1);
    await sb.etcd.wipe(2);
    const restore = (...extra: string[]) =>
      cli('etcd', 'restore', 'demo', '--from-backup', urlOf(both), ...sandboxS3Flags(sb), '--wait-timeout', '3m', '--yes', ...extra);
    const hcBefore = JSON.stringify(sb.sim.store.get(Resources.hostedCluster, 'clusters', 'demo'));
    const missing = await restore('-o', 'json');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/encrypted \(age\) and no identity was given/);
    expect(missing.stderr).toMatch(/hint: .*--decrypt-with/);
    const wrong = await restore('--decrypt-with', otherIdentity, '-o', 'json');
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/is not one of its recipients/);
    expect(JSON.stringify(sb.sim.store.get(Resources.hostedCluster, 'clusters', 'demo'))).toBe(hcBefore);
    const run = await restore('-o', 'json', '--decrypt-with', identity);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as EtcdRestoreResult;
    expect(result.verification.checks.every((c) => c.ok)).toBe(true);
    expect(result.snapshot.sha256).toBe(both.snapshot.sha256);
    const deadline = Date.now() + 90_000;
    while ((await etcdState()) !== 'Healthy' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    for (const i of [0, 1, 2]) expect(await sb.etcd.get(KEY, i)).toBe('backup');
  });
});
