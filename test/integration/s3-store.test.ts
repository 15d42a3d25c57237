import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openObjectStore, type S3StoreTuning } from '../../src/s3/store.ts';
import { ForbiddenError, InterruptedError, NotFoundError, PreconditionError, RemoteError, UsageError } from '../../src/core/errors.ts';
import { redactUrl } from '../../src/core/redact.ts';
import type { ObjectStore } from '../../src/core/ports.ts';
import type { S3Target } from '../../src/cli/deps.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { freePorts } from '../support/ports.ts';
import { silentReporter, useS3Env } from './s3-env.ts';
import { startLegacyS3Server } from './s3-legacy-server.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** A deterministic pseudo-random stream of `size` bytes, hashed as it is produced. */
function generated(size: number, chunk = MiB): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  const seed = randomBytes(chunk);
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(chunk, size - sent);
      const buf = Buffer.from(seed.subarray(0, n));
      buf.writeUInt32LE(sent / chunk, 0);
      hash.update(buf);
      sent += n;
      this.push(buf);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    hash.update(c);
    size += c.length;
  }
  return { sha256: hash.digest('hex'), size };
}

describe('S3 object store adapter (real SDK against a SigV4-verifying server)', () => {
  let server: S3Server;
  let env: { restore(): void };
  const dir = path.join(os.tmpdir(), `hcpdr-s3store-${process.pid}-${Date.now()}`);
  const target = (url = 's3://backups/hcp', extra: Partial<S3Target> = {}): S3Target => ({ url, endpoint: server.endpoint, ...extra });
  const open = async (url?: string, tuning: S3StoreTuning = {}, extra: Partial<S3Target> = {}): Promise<ObjectStore> =>
    (await openObjectStore(target(url, extra), silentReporter, tuning)).store;

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: ['backups'] });
    env = useS3Env(server);
  });
  afterEach(() => {
    server.setFault(undefined);
    server.setBehaviour(undefined);
  });
  afterAll(async () => {
    env?.restore();
    await server?.stop();
  });

  it('parses the URL into bucket and prefix, and rejects anything but s3://bucket[/prefix] (exit 2)', async () => {
    const opened = await openObjectStore(target('s3://backups/a/b/'), silentReporter);
    expect(opened.prefix).toBe('a/b');
    expect(opened.store.bucket).toBe('backups');
    expect(opened.store.url('a/b/x')).toBe('s3://backups/a/b/x');
    for (const bad of ['http://backups/x', 's3://', 's3:///x', 'backups/x', 's3://bad!/x']) {
      const err = await openObjectStore(target(bad), silentReporter).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(2);
    }
    await expect(openObjectStore(target(undefined, { endpoint: 'ftp://x' }), silentReporter)).rejects.toBeInstanceOf(UsageError);
    await expect(openObjectStore(target(undefined, { caBundle: '/nonexistent.pem' }), silentReporter)).rejects.toThrow(
      /--ca-bundle .*ENOENT/,
    );
  });

  it('round-trips a buffer and a string: put, head, get, list, delete', async () => {
    const store = await open();
    const body = randomBytes(100_000);
    await store.put('hcp/rt/a.bin', body, { contentType: 'application/octet-stream' });
    await store.put('hcp/rt/b.txt', 'hello');
    expect(await store.head('hcp/rt/a.bin')).toMatchObject({ key: 'hcp/rt/a.bin', size: 100_000 });
    expect(await store.head('hcp/rt/missing')).toBeUndefined();
    const got = await sha256Of(await store.get('hcp/rt/a.bin'));
    expect(got).toEqual({ sha256: createHash('sha256').update(body).digest('hex'), size: 100_000 });
    expect((await store.list('hcp/rt/')).map((o) => o.key).sort()).toEqual(['hcp/rt/a.bin', 'hcp/rt/b.txt']);
    await store.delete('hcp/rt/b.txt');
    expect(await store.head('hcp/rt/b.txt')).toBeUndefined();
    const missing = await store.get('hcp/rt/b.txt').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toMatch(/^failed to download s3:\/\/backups\/hcp\/rt\/b\.txt: NoSuchKey/);
  });

  it('streams a 64 MiB upload as a multipart upload (default 8 MiB parts) and reads back the same SHA-256', async () => {
    const store = await open();
    const src = generated(64 * MiB);
    const progress: number[] = [];
    await store.put('hcp/big/snapshot.db', src.stream, { onProgress: (n) => progress.push(n) });
    expect(progress.at(-1)).toBe(64 * MiB);
    expect(progress.length).toBe(8);
    const got = await sha256Of(await store.get('hcp/big/snapshot.db'));
    expect(got).toEqual({ sha256: src.sha256(), size: 64 * MiB });
    await store.delete('hcp/big/snapshot.db');
  });

  it('paginates list (page size 7 over 23 keys) and keeps prefixes apart', async () => {
    // s3rver's continuation tokens need OpenSSL's legacy provider: this server runs in a child.
    const child = await startLegacyS3Server(`${dir}-paging`, ['paging']);
    const own = useS3Env(server, { AWS_ACCESS_KEY_ID: child.accessKeyId, AWS_SECRET_ACCESS_KEY: child.secretAccessKey });
    try {
      const { store } = await openObjectStore({ url: 's3://paging', endpoint: child.endpoint }, silentReporter, { listPageSize: 7 });
      for (let i = 0; i < 23; i++) await store.put(`hcp/page/k${String(i).padStart(2, '0')}`, `v${i}`);
      await store.put('hcp/pageX/other', 'x');
      const keys = (await store.list('hcp/page/')).map((o) => o.key);
      expect(keys).toHaveLength(23);
      expect(new Set(keys).size).toBe(23);
      expect(keys.every((k) => k.startsWith('hcp/page/'))).toBe(true);
      expect(await store.list('')).toHaveLength(24);
    } finally {
      own.restore();
      env = useS3Env(server);
      await child.stop();
    }
  });

  it('pre-signs a GET that curl can fetch, and the URL is redacted for display', async () => {
    const store = await open();
    await store.put('hcp/presign/obj', 'presigned body');
    const url = await store.presignGet('hcp/presign/obj', 300);
    const { stdout } = await run('curl', ['-sS', '--fail', url]);
    expect(stdout).toBe('presigned body');
    const shown = redactUrl(url);
    expect(shown).toMatch(/X-Amz-Signature=REDACTED/);
    expect(shown).not.toContain(url.match(/X-Amz-Signature=([^&]+)/)![1]!);
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`);
    await expect(run('curl', ['-sS', '--fail', tampered])).rejects.toThrow();
  });

  it('maps a wrong secret to ForbiddenError naming SignatureDoesNotMatch, with a credentials hint', async () => {
    const wrong = useS3Env(server, { AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    try {
      const store = await open();
      const err = await store.put('hcp/x', 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as Error).message).toMatch(/^failed to upload s3:\/\/backups\/hcp\/x: SignatureDoesNotMatch/);
      expect((err as ForbiddenError).hint).toMatch(/AWS_ACCESS_KEY_ID.*AWS_PROFILE.*bucket policy/);
      expect((err as Error).message).not.toContain('not-the-secret');
    } finally {
      wrong.restore();
    }
    const unknownKey = useS3Env(server, { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN0000' });
    try {
      const err = await (await open()).list('hcp/').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as Error).message).toMatch(/InvalidAccessKeyId/);
    } finally {
      unknownKey.restore();
      env = useS3Env(server);
    }
  });

  it('maps a missing bucket to PreconditionError (exit 3) with a hint', async () => {
    const store = await open('s3://no-such-bucket/p');
    const err = await store.put('p/x', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as PreconditionError).exitCode).toBe(3);
    expect((err as Error).message).toMatch(/^failed to upload s3:\/\/no-such-bucket\/p\/x: NoSuchBucket/);
    expect((err as PreconditionError).hint).toMatch(/create the bucket/);
  });

  it('maps connection refused to RemoteError with an --endpoint hint', async () => {
    const [port] = await freePorts(1);
    const { store } = await openObjectStore({ url: 's3://backups/x', endpoint: `http://127.0.0.1:${port}` }, silentReporter, {
      maxAttempts: 1,
    });
    const err = await store.list('x/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/^failed to list s3:\/\/backups\/x\/: ECONNREFUSED/);
    expect((err as RemoteError).hint).toContain(`--endpoint http://127.0.0.1:${port}`);
  });

  it('fails an upload whose part keeps failing mid-body, aborts the multipart upload, leaves no object', async () => {
    const store = await open(undefined, { partSize: 5 * MiB, queueSize: 2 });
    server.setFault({ op: 'UploadPart', partNumber: 2, mode: 'drop', afterBytes: MiB, times: Infinity });
    const src = generated(20 * MiB);
    const err = await store.put('hcp/fail/snapshot.db', src.stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/^failed to upload s3:\/\/backups\/hcp\/fail\/snapshot\.db: /);
    expect(server.faultsTriggered).toBeGreaterThanOrEqual(1);
    expect(src.stream.destroyed).toBe(true);
    expect(await store.head('hcp/fail/snapshot.db')).toBeUndefined();
    expect(await server.pendingUploads('backups')).toEqual([]);
  });

  it('stops an upload on abort, without leaving an object', async () => {
    const store = await open(undefined, { partSize: 5 * MiB, queueSize: 1 });
    const ac = new AbortController();
    const src = generated(40 * MiB);
    const put = store.put('hcp/abort/snapshot.db', src.stream, {
      signal: ac.signal,
      onProgress: () => ac.abort(new InterruptedError('stop')),
    });
    const err = await put.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(await store.head('hcp/abort/snapshot.db')).toBeUndefined();
  });

  it('fails a download that is cut short instead of returning a truncated stream', async () => {
    const store = await open();
    await store.put('hcp/cut/obj', randomBytes(3 * MiB));
    server.setFault({ op: 'GetObject', mode: 'drop', afterBytes: MiB });
    const stream = await store.get('hcp/cut/obj');
    const err = await sha256Of(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/^failed to download s3:\/\/backups\/hcp\/cut\/obj/);
  });

  it('sends server-side encryption headers when asked; a store that confirms them gets no warning', async () => {
    const warnings: string[] = [];
    const reporter = { ...silentReporter, warn: (m: string) => warnings.push(m) };
    const { store } = await openObjectStore(target(undefined, { sse: 'AES256', requireSse: true }), reporter, { partSize: 5 * MiB });
    await store.put('hcp/sse/a', 'secret-ish');
    await store.put('hcp/sse/b', generated(12 * MiB).stream);
    expect((await store.head('hcp/sse/b'))?.size).toBe(12 * MiB);
    expect(warnings).toEqual([]);
    await expect(openObjectStore(target(undefined, { kmsKeyId: 'k' }), silentReporter)).rejects.toBeInstanceOf(UsageError);
  });

  it('warns once when the store does not confirm --sse (as Ceph RGW over https), and with --require-sse refuses and deletes the object', async () => {
    server.setBehaviour({ sse: 'silent' });
    const warnings: string[] = [];
    const reporter = { ...silentReporter, warn: (m: string) => warnings.push(m) };
    const { store } = await openObjectStore(target(undefined, { sse: 'AES256' }), reporter, { partSize: 5 * MiB });
    await store.put('hcp/sse-silent/a', 'secret-ish');
    await store.put('hcp/sse-silent/b', generated(12 * MiB).stream);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^the object store did not confirm server-side encryption AES256 for s3:\/\/backups\/hcp\/sse-silent\/a .*--require-sse/,
    );
    expect((await store.head('hcp/sse-silent/b'))?.size).toBe(12 * MiB);

    const strict = await open(undefined, { partSize: 5 * MiB }, { sse: 'AES256', requireSse: true });
    for (const [key, body] of [
      ['hcp/sse-strict/a', 'secret-ish'],
      ['hcp/sse-strict/b', generated(12 * MiB).stream],
    ] as const) {
      const err = await strict.put(key, body).catch((e: unknown) => e);
      expect(err, key).toBeInstanceOf(PreconditionError);
      expect((err as Error).message).toBe(
        `refused to keep s3://backups/${key}: the store did not confirm server-side encryption AES256 (--require-sse)`,
      );
      expect((err as PreconditionError).hint).toMatch(/the object was deleted/);
      expect(await strict.head(key)).toBeUndefined();
    }
  });

  it('names a refused --sse (as Ceph RGW over http: 400 InvalidRequest without a message) with an https hint, and stores nothing', async () => {
    server.setBehaviour({ sse: 'refuse' });
    const store = await open(undefined, { partSize: 5 * MiB }, { sse: 'AES256' });
    for (const [key, body] of [
      ['hcp/sse-refused/a', 'x'],
      ['hcp/sse-refused/b', generated(12 * MiB).stream],
    ] as const) {
      const err = await store.put(key, body).catch((e: unknown) => e);
      expect(err, key).toBeInstanceOf(PreconditionError);
      expect((err as Error).message).toBe(
        `failed to upload s3://backups/${key}: InvalidRequest: the store refused server-side encryption AES256`,
      );
      expect((err as PreconditionError).hint).toMatch(/use an https:\/\/ --endpoint/);
      expect(await store.head(key)).toBeUndefined();
    }
    expect(await server.pendingUploads('backups')).toEqual([]);
  });
});
