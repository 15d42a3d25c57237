/**
 * The pooled multipart uploader (src/s3/multipart.ts) against the SigV4-verifying test server:
 * byte-exact round trips across part boundaries, the single-PutObject path, failures, aborts,
 * integrity in transit on a store that checks CRC32 and on one that ignores it (as Ceph RGW
 * before Squid), and the fixed number of part buffers.
 */
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { uploadStream, type UploadStreamOptions } from '../../src/s3/multipart.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';

const MiB = 1024 * 1024;
const BUCKET = 'mp';

interface Source {
  stream: Readable;
  sha256(): string;
  /** Bytes handed to the consumer so far. */
  readonly sent: number;
}

/**
 * `size` pseudo-random bytes in chunks of `chunk` bytes, hashed as produced. After `stallAfter`
 * bytes it stops producing (never ends); after `failAfter` bytes it errors with `failWith`.
 */
function source(size: number, chunk: number, opts: { stallAfter?: number; failAfter?: number; failWith?: Error } = {}): Source {
  const hash = createHash('sha256');
  const seed = randomBytes(chunk);
  let sent = 0;
  let n = 0;
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (opts.failAfter !== undefined && sent >= opts.failAfter) return void this.destroy(opts.failWith);
      if (opts.stallAfter !== undefined && sent >= opts.stallAfter) return;
      if (sent >= size) return void this.push(null);
      const len = Math.min(chunk, size - sent);
      const buf = Buffer.from(seed.subarray(0, len));
      buf.writeUInt32LE(n++, 0); // every chunk differs: a misplaced or reused part changes the hash
      hash.update(buf);
      sent += len;
      this.push(buf);
    },
  });
  return {
    stream,
    sha256: () => hash.digest('hex'),
    get sent() {
      return sent;
    },
  };
}

describe('pooled multipart uploader (uploadStream)', () => {
  let server: S3Server;
  const clients: S3Client[] = [];
  const dir = path.join(os.tmpdir(), `hcpdr-s3mp-${process.pid}-${Date.now()}`);

  const client = (maxAttempts = 3): S3Client => {
    const c = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      maxAttempts,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.push(c);
    return c;
  };
  const upload = (key: string, body: Readable, o: Partial<UploadStreamOptions> = {}) =>
    uploadStream({ client: o.client ?? client(), bucket: BUCKET, key, body, partSize: 5 * MiB, queueSize: 2, ...o });
  const stored = async (key: string): Promise<{ sha256: string; size: number }> => {
    const out = await client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const hash = createHash('sha256');
    let size = 0;
    for await (const c of out.Body as AsyncIterable<Buffer>) {
      hash.update(c);
      size += c.length;
    }
    return { sha256: hash.digest('hex'), size };
  };
  const exists = (key: string) =>
    client()
      .send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
      .then(
        () => true,
        (e: { name?: string }) => {
          if (e.name === 'NotFound') return false;
          throw e;
        },
      );
  const uploadsLeft = () => server.pendingUploads(BUCKET);

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: [BUCKET] });
  });
  afterEach(() => {
    server.setFault(undefined);
    server.setBehaviour(undefined);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  it('round-trips a stream whose odd-sized chunks straddle part boundaries (3.5 parts) byte-exact', async () => {
    const size = 17.5 * MiB;
    const src = source(size, 3 * MiB + 7);
    const progress: number[] = [];
    const stats = await upload('straddle.bin', src.stream, { onProgress: (n) => progress.push(n) });
    expect(stats).toMatchObject({ bytes: size, parts: 4 });
    expect(stats.buffersAllocated).toBeLessThanOrEqual(3);
    expect(progress).toHaveLength(4);
    expect(progress.at(-1)).toBe(size);
    expect(progress.every((n, i) => i === 0 || n > progress[i - 1]!)).toBe(true);
    expect(await stored('straddle.bin')).toEqual({ sha256: src.sha256(), size });
  });

  it('uploads exactly N full parts without an empty extra part, and a part retried by the SDK arrives intact', async () => {
    server.setFault({ op: 'UploadPart', partNumber: 2, mode: 'error500', times: 1 });
    const before = server.faultsTriggered;
    const size = 3 * 5 * MiB;
    const src = source(size, 64 * 1024 + 1);
    const stats = await upload('exact.bin', src.stream, { queueSize: 1 });
    expect(server.faultsTriggered - before).toBe(1);
    expect(stats).toMatchObject({ bytes: size, parts: 3 });
    expect(stats.buffersAllocated).toBeLessThanOrEqual(2);
    expect(await stored('exact.bin')).toEqual({ sha256: src.sha256(), size });
  });

  it('stores a stream shorter than one part, and an empty one, with a single PutObject', async () => {
    // The server fails the first PutObject (PUT without partNumber/uploadId) with a 500 the SDK
    // retries; a multipart upload (POST create, PUT ?partNumber, POST complete) would not hit it.
    server.setFault({ op: 'PutObject', mode: 'error500', times: 1 });
    const before = server.faultsTriggered;
    const src = source(3 * MiB + 5, MiB);
    const progress: number[] = [];
    const stats = await upload('small.bin', src.stream, { onProgress: (n) => progress.push(n) });
    expect(server.faultsTriggered - before).toBe(1);
    expect(stats).toEqual({
      bytes: 3 * MiB + 5,
      parts: 0,
      buffersAllocated: 1,
      integrity: 'signed-payload',
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
    });
    expect(progress).toEqual([3 * MiB + 5]);
    expect(await stored('small.bin')).toEqual({ sha256: src.sha256(), size: 3 * MiB + 5 });

    server.setFault({ op: 'PutObject', mode: 'error500', times: 1 });
    const empty = await upload('empty.bin', Readable.from([]));
    expect(server.faultsTriggered - before).toBe(2);
    expect(empty).toEqual({
      bytes: 0,
      parts: 0,
      buffersAllocated: 0,
      integrity: 'signed-payload',
      etag: '"d41d8cd98f00b204e9800998ecf8427e"',
    });
    expect((await stored('empty.bin')).size).toBe(0);
  });

  it('rejects with the error of a part that keeps failing, stops reading, aborts the upload, destroys the body', async () => {
    server.setFault({ op: 'UploadPart', partNumber: 3, mode: 'error500', times: Infinity });
    const before = server.faultsTriggered;
    const size = 60 * MiB;
    const src = source(size, MiB);
    const err = await upload('fail.bin', src.stream, { client: client(2) }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('InternalError');
    expect(server.faultsTriggered - before).toBe(2); // both attempts of part 3
    expect(src.stream.destroyed).toBe(true);
    expect(src.sent).toBeLessThan(size);
    expect(await exists('fail.bin')).toBe(false);
    expect(await uploadsLeft()).toEqual([]);
  });

  it('sends each part with its CRC32 where the store acknowledges it: a part changed in transit is refused (BadDigest), nothing is stored', async () => {
    const src = source(12 * MiB, MiB);
    const ok = await upload('crc32.bin', src.stream);
    expect(ok.integrity).toBe('crc32');
    expect(await stored('crc32.bin')).toEqual({ sha256: src.sha256(), size: 12 * MiB });

    server.setFault({ op: 'UploadPart', partNumber: 2, mode: 'corrupt' });
    const before = server.faultsTriggered;
    const err = await upload('corrupt.bin', source(12 * MiB, MiB).stream).catch((e: unknown) => e);
    expect(server.faultsTriggered - before).toBe(1);
    expect(err).toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    expect(await exists('corrupt.bin')).toBe(false);
    expect(await uploadsLeft()).toEqual([]);
  });

  it('payload-signs each part where the store does not acknowledge CRC32 (as Ceph RGW before Squid): a part changed in transit is refused, nothing is stored', async () => {
    server.setBehaviour({ flexibleChecksums: false });
    const debug: string[] = [];
    const src = source(17 * MiB, MiB + 3);
    const ok = await upload('signed.bin', src.stream, { debug: (m) => debug.push(m) });
    expect(ok).toMatchObject({ parts: 4, integrity: 'signed-payload' });
    expect(debug.join('\n')).toMatch(/did not acknowledge CRC32 .*payload-signed/);
    expect(await stored('signed.bin')).toEqual({ sha256: src.sha256(), size: 17 * MiB });

    // The CRC32 the part carries is not checked by this store: only the signature catches the change.
    server.setFault({ op: 'UploadPart', partNumber: 2, mode: 'corrupt' });
    const before = server.faultsTriggered;
    const err = await upload('corrupt-signed.bin', source(12 * MiB, MiB).stream).catch((e: unknown) => e);
    expect(server.faultsTriggered - before).toBe(1);
    expect(err).toMatchObject({ name: 'XAmzContentSHA256Mismatch', $metadata: { httpStatusCode: 400 } });
    expect(await exists('corrupt-signed.bin')).toBe(false);
    expect(await uploadsLeft()).toEqual([]);
  });

  it('payload-signs the single PutObject on either store: a body changed in transit is refused and stores nothing', async () => {
    for (const flexibleChecksums of [true, false]) {
      server.setBehaviour({ flexibleChecksums });
      server.setFault({ op: 'PutObject', mode: 'corrupt' });
      const err = await upload(`corrupt-put-${flexibleChecksums}.bin`, source(MiB, 4096).stream).catch((e: unknown) => e);
      expect(err, `flexibleChecksums ${flexibleChecksums}`).toMatchObject({ name: 'XAmzContentSHA256Mismatch' });
      expect(await exists(`corrupt-put-${flexibleChecksums}.bin`)).toBe(false);
    }
  });

  it('passes on what the store answered about server-side encryption', async () => {
    const params = { ServerSideEncryption: 'AES256' } as const;
    expect((await upload('sse-put.bin', source(MiB, MiB).stream, { params })).serverSideEncryption).toBe('AES256');
    expect((await upload('sse-mp.bin', source(11 * MiB, MiB).stream, { params })).serverSideEncryption).toBe('AES256');
    server.setBehaviour({ sse: 'silent' });
    expect((await upload('sse-silent.bin', source(11 * MiB, MiB).stream, { params })).serverSideEncryption).toBeUndefined();
  });

  it("rejects with the body stream's own error mid-upload and aborts the multipart upload", async () => {
    const boom = new Error('exec stream failed');
    const src = source(40 * MiB, MiB, { failAfter: 12 * MiB, failWith: boom });
    const err = await upload('bodyfail.bin', src.stream).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(await exists('bodyfail.bin')).toBe(false);
    expect(await uploadsLeft()).toEqual([]);
  });

  it('rejects promptly on abort while waiting for a stalled body, and leaves no object', async () => {
    const src = source(40 * MiB, MiB, { stallAfter: 12 * MiB });
    const ac = new AbortController();
    const reason = new Error('user abort');
    let abortedAt = 0;
    const put = upload('abort.bin', src.stream, {
      signal: ac.signal,
      // Both full parts are stored: the uploader now waits for bytes that never come.
      onProgress: (n) => {
        if (n === 10 * MiB)
          setTimeout(() => {
            abortedAt = performance.now();
            ac.abort(reason);
          }, 100);
      },
    });
    const err = await put.catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(src.stream.destroyed).toBe(true);
    expect(await exists('abort.bin')).toBe(false);
    expect(await uploadsLeft()).toEqual([]);
  });

  it('rejects at once when the signal is already aborted, without reading', async () => {
    const src = source(10 * MiB, MiB);
    const reason = new Error('already');
    const err = await upload('pre-aborted.bin', src.stream, { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(src.sent).toBe(0);
    expect(src.stream.destroyed).toBe(true);
    expect(await exists('pre-aborted.bin')).toBe(false);
  });

  it('refuses a stream longer than the part limit (EntityTooLarge) instead of truncating it', async () => {
    const src = source(12 * MiB, MiB);
    const err = await upload('toolarge.bin', src.stream, { maxParts: 2 }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('EntityTooLarge');
    expect((err as Error).message).toMatch(/larger than 2 parts of 5242880 bytes/);
    expect(await exists('toolarge.bin')).toBe(false);
    expect(await uploadsLeft()).toEqual([]);
  });

  it('keeps memory fixed: 200 MiB in 5 MiB parts with queueSize 2 uses at most 3 part buffers and 2 parts in flight', async () => {
    const size = 200 * MiB + 12345;
    const src = source(size, 256 * 1024 - 3);
    // Counts the UploadPart calls in flight on the real client (a middleware, not a mock).
    const c = client();
    let inFlight = 0;
    let maxInFlight = 0;
    c.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'UploadPartCommand') return next(args);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize' },
    );
    const stats = await upload('fixed.bin', src.stream, { client: c, partSize: 5 * MiB, queueSize: 2 });
    expect(stats.parts).toBe(Math.ceil(size / (5 * MiB)));
    expect(stats.buffersAllocated).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBe(2);
    expect(stats.bytes).toBe(size);
    expect(await stored('fixed.bin')).toEqual({ sha256: src.sha256(), size });
  }, 60_000);
});
