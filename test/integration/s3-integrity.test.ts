/**
 * The integrity contract of `backup` end to end on the sandbox, against the test S3 server in
 * both of its modes: as AWS (CRC32 acknowledged and checked) and as Ceph RGW before Squid
 * (x-amz-checksum-* ignored; Content-MD5 and signed payloads checked). A body changed in transit,
 * in a multipart part or in a single PutObject, must fail the backup with a clear message, leave
 * no object, no backup.json and no pending upload, and the cluster as it was. Server-side
 * encryption: a store that does not confirm --sse gets a warning, or with --require-sse a refusal
 * before backup.json; one that refuses it (RGW over http) a cause and a hint.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { visibleState, type BackupVisibleState } from '../sandbox/cluster-state.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, sandboxS3Client, useSandboxCredentials } from '../support/sandbox-s3.ts';

const MiB = 1024 * 1024;
let sb: Sandbox;
let initial: BackupVisibleState;
let s3: S3Client;
let restoreEnv: (() => void) | undefined;

const backupArgs = (...extra: string[]) => demoBackupArgs(sb, extra);

async function listKeys(prefix = 'hcp/'): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

/** The first `error: ` line and its `hint: ` line of a run's stderr. */
function errorOf(stderr: string): { error: string; hint: string } {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('error: '));
  return { error: lines[at] ?? '', hint: lines.slice(at + 1).find((l) => l.startsWith('hint: ')) ?? '' };
}

beforeAll(async () => {
  sb = await startSandbox();
  restoreEnv = useSandboxCredentials(sb);
  s3 = sandboxS3Client(sb);
  // About 12 MiB of incompressible values: the snapshot goes up in several parts of the default 8 MiB.
  for (let i = 0; i < 12; i++)
    await sb.etcd.put(
      `/hcp-dr-integrity/${i}`,
      randomBytes(MiB - 4096)
        .toString('base64')
        .slice(0, MiB - 4096),
    );
  initial = visibleState(sb);
}, 120_000);
afterAll(async () => {
  restoreEnv?.();
  s3?.destroy();
  await sb?.stop();
});
beforeEach(() => {
  sb.s3.server.setFault(undefined);
  sb.s3.server.setBehaviour(undefined);
});

describe('a body changed in transit fails the backup on either kind of store', () => {
  const cases = [
    {
      store: 'AWS-like (CRC32 acknowledged)',
      flexibleChecksums: true,
      path: 'a multipart part',
      fault: { op: 'UploadPart', partNumber: 2 },
      code: 'BadDigest',
    },
    {
      store: 'RGW-like (flexible checksums ignored)',
      flexibleChecksums: false,
      path: 'a multipart part',
      fault: { op: 'UploadPart', partNumber: 2 },
      code: 'XAmzContentSHA256Mismatch',
    },
    {
      store: 'AWS-like (CRC32 acknowledged)',
      flexibleChecksums: true,
      path: 'a single PutObject',
      fault: { op: 'PutObject' },
      code: 'XAmzContentSHA256Mismatch',
    },
    {
      store: 'RGW-like (flexible checksums ignored)',
      flexibleChecksums: false,
      path: 'a single PutObject',
      fault: { op: 'PutObject' },
      code: 'XAmzContentSHA256Mismatch',
    },
  ] as const;
  for (const c of cases) {
    it(`when ${c.path} is corrupted on an ${c.store} store, it exits 1 with ${c.code}, and leaves no object, no backup.json and the cluster resumed`, async () => {
      sb.s3.server.setBehaviour({ flexibleChecksums: c.flexibleChecksums });
      const before = await listKeys();
      const triggered = sb.s3.server.faultsTriggered;
      sb.s3.server.setFault({ ...c.fault, mode: 'corrupt' });
      const run = await runCliInProcess(backupArgs('--yes'));
      expect(sb.s3.server.faultsTriggered - triggered).toBe(1);
      expect(run.code, run.stderr).toBe(1);
      const { error, hint } = errorOf(run.stderr);
      expect(error).toMatch(
        new RegExp(`^error: failed to upload s3://${sb.s3.bucket}/hcp/clusters/demo/[^ ]+: ${c.code}: the bytes the store received `),
      );
      expect(hint).toMatch(/^hint: bytes changed on their way to the object store; run the backup again/);
      expect(run.stderr).not.toMatch(/UnknownError/);
      expect(visibleState(sb)).toEqual(initial);
      expect(await listKeys()).toEqual(before);
      expect(await sb.s3.server.pendingUploads(sb.s3.bucket)).toEqual([]);
    });
  }

  it('when the store ignores flexible checksums, a backup completes with payload-signed parts and the stored snapshot is the one in backup.json', async () => {
    sb.s3.server.setBehaviour({ flexibleChecksums: false });
    const run = await runCliInProcess(backupArgs('--online', '-o', 'json', '-v'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/snapshot\.db: the store did not acknowledge CRC32 .*parts are payload-signed \(SHA-256\)/);
    expect(Number(/snapshot\.db: \d+ bytes in (\d+) parts/.exec(run.stderr)?.[1])).toBeGreaterThanOrEqual(2);
    const manifest = JSON.parse(run.stdout) as { id: string; snapshot: { sha256: string; size: number } };
    const object = await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: `hcp/clusters/demo/${manifest.id}/snapshot.db` }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect({ sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length }).toEqual({
      sha256: manifest.snapshot.sha256,
      size: manifest.snapshot.size,
    });
    expect(visibleState(sb)).toEqual(initial);
  });
});

describe('server-side encryption the store does not confirm or refuses', () => {
  it('when the store accepts --sse without confirming it (as RGW over https), the backup completes with one warning', async () => {
    sb.s3.server.setBehaviour({ sse: 'silent' });
    const run = await runCliInProcess(backupArgs('--online', '--sse', 'AES256'));
    expect(run.code, run.stderr).toBe(0);
    expect(
      run.stderr.match(
        // Objects are written concurrently: the first unconfirmed one is named, whichever it is.
        /^warning: the object store did not confirm server-side encryption AES256 for s3:\/\/[^ ]+ .*--require-sse/gm,
      ),
    ).toHaveLength(1);
  });

  it('when the store confirms --sse, there is no warning even with --require-sse', async () => {
    const run = await runCliInProcess(backupArgs('--online', '--sse', 'AES256', '--require-sse'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/warning: .*server-side encryption/);
  });

  it('with --require-sse and a store that does not confirm it, it exits 3 before backup.json, leaves no object and the cluster resumed', async () => {
    sb.s3.server.setBehaviour({ sse: 'silent' });
    const before = await listKeys();
    const run = await runCliInProcess(backupArgs('--yes', '--sse', 'AES256', '--require-sse'));
    expect(run.code, run.stderr).toBe(3);
    const { error, hint } = errorOf(run.stderr);
    expect(error).toMatch(
      /^error: refused to keep s3:\/\/[^ ]+\/snapshot\.db: the store did not confirm server-side encryption AES256 \(--require-sse\)$/,
    );
    expect(hint).toMatch(/^hint: the object was deleted/);
    expect(visibleState(sb)).toEqual(initial);
    expect(await listKeys()).toEqual(before);
  });

  it('when the store refuses --sse (as RGW over http: InvalidRequest, no message), it exits 3 with the cause and an https hint', async () => {
    sb.s3.server.setBehaviour({ sse: 'refuse' });
    const before = await listKeys();
    const run = await runCliInProcess(backupArgs('--online', '--sse', 'AES256'));
    expect(run.code, run.stderr).toBe(3);
    const { error, hint } = errorOf(run.stderr);
    expect(error).toMatch(
      /^error: failed to upload s3:\/\/[^ ]+\/snapshot\.db: InvalidRequest: the store refused server-side encryption AES256$/,
    );
    expect(hint).toMatch(/use an https:\/\/ --endpoint/);
    expect(visibleState(sb)).toEqual(initial);
    expect(await listKeys()).toEqual(before);
    expect(await sb.s3.server.pendingUploads(sb.s3.bucket)).toEqual([]);
  });

  it('refuses --require-sse without --sse before touching anything (exit 2)', async () => {
    const run = await runCliInProcess(backupArgs('--yes', '--require-sse'));
    expect(run.code).toBe(2);
    expect(errorOf(run.stderr).error).toBe('error: --require-sse needs --sse');
    expect(visibleState(sb)).toEqual(initial);
  });
});
