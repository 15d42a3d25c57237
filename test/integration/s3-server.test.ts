import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';

const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function client(s: S3Server, secret = s.secretAccessKey, maxAttempts = 3): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    maxAttempts,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: secret },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function bodyOf(s3: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

describe('s3 test server (s3rver with SigV4 verification)', () => {
  let server: S3Server;
  let s3: S3Client;
  const dir = path.join(os.tmpdir(), `hcpdr-s3-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: ['pre'] });
    s3 = client(server);
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    expect(existsSync(dir)).toBe(false);
  });

  it('serves bucket- and object-level calls from an unmodified SDK client', async () => {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await s3.send(new CreateBucketCommand({ Bucket: 'backups' }));
    await s3.send(new PutObjectCommand({ Bucket: 'backups', Key: 'a/b c.txt', Body: 'hello', Metadata: { k: 'v' } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: 'a/b c.txt' }));
    expect(head.ContentLength).toBe(5);
    expect(head.Metadata).toEqual({ k: 'v' });
    expect((await bodyOf(s3, 'backups', 'a/b c.txt')).toString()).toBe('hello');
    // The pre-configured bucket exists and is empty.
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'pre' }))).KeyCount).toBe(0);
    await s3.send(new DeleteObjectCommand({ Bucket: 'backups', Key: 'a/b c.txt' }));
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'backups', Key: 'a/b c.txt' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('lists with a prefix', async () => {
    for (const k of ['hc1/x', 'hc1/y', 'hc2/z']) await s3.send(new PutObjectCommand({ Bucket: 'pre', Key: k, Body: k }));
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'pre', Prefix: 'hc1/' }));
    expect(r.Contents?.map((c) => c.Key)).toEqual(['hc1/x', 'hc1/y']);
  });

  it('rejects a wrong secret with SignatureDoesNotMatch 403, on bucket and object calls', async () => {
    const bad = client(server, 'not-the-secret', 1);
    await expect(bad.send(new ListObjectsV2Command({ Bucket: 'pre' }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(bad.send(new PutObjectCommand({ Bucket: 'pre', Key: 'evil', Body: 'x' }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    bad.destroy();
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'pre', Key: 'evil' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('serves a presigned GET to curl and rejects a tampered one', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'pre', Key: 'snap.db', Body: 'snapshot-bytes' }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'pre', Key: 'snap.db' }), { expiresIn: 300 });
    const ok = await run('curl', ['-sS', '-w', '\n%{http_code}', url]);
    expect(ok.stdout).toBe('snapshot-bytes\n200');
    // Same signature, different object: the signature covers the path.
    const otherKey = url.replace('/snap.db?', '/hc1/x?');
    const flipped = url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    for (const bad of [otherKey, flipped]) {
      expect(bad).not.toBe(url);
      const r = await run('curl', ['-sS', '-w', '\n%{http_code}', bad]);
      expect(r.stdout).toMatch(/SignatureDoesNotMatch[\s\S]*\n403$/);
    }
  });

  it('round-trips a 50 MB multipart upload byte-identical', async () => {
    const data = randomBytes(50 * 1024 * 1024);
    const chunks = Array.from({ length: 50 }, (_, i) => data.subarray(i << 20, (i + 1) << 20));
    const up = new Upload({
      client: s3,
      params: { Bucket: 'pre', Key: 'big.db', Body: Readable.from(chunks) },
      partSize: 8 << 20,
      queueSize: 4,
    });
    await up.done();
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'pre', Key: 'big.db' }));
    expect(head.ContentLength).toBe(data.length);
    expect(sha256(await bodyOf(s3, 'pre', 'big.db'))).toBe(sha256(data));
  });

  it('implements AbortMultipartUpload and ListMultipartUploads server-side, both behind SigV4', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'pre', Key: 'aborted' }));
    await s3.send(new UploadPartCommand({ Bucket: 'pre', Key: 'aborted', UploadId, PartNumber: 1, Body: randomBytes(1024) }));
    const uploadsDir = path.join(dir, 'pre');
    const before = await readdir(uploadsDir, { recursive: true });
    expect(before.some((p) => p.includes(UploadId!))).toBe(true);
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'pre', Prefix: 'abort' }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['aborted', UploadId]]);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'pre', Prefix: 'other/' }))).Uploads ?? []).toEqual([]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'pre', Key: 'aborted', UploadId }));
    const after = await readdir(uploadsDir, { recursive: true });
    expect(after.some((p) => p.includes(UploadId!))).toBe(false);
    await expect(s3.send(new AbortMultipartUploadCommand({ Bucket: 'pre', Key: 'aborted', UploadId }))).rejects.toMatchObject({
      name: 'NoSuchUpload',
      $metadata: { httpStatusCode: 404 },
    });
    // A wrong signature still cannot abort.
    const bad = client(server, 'nope', 1);
    await expect(bad.send(new AbortMultipartUploadCommand({ Bucket: 'pre', Key: 'aborted', UploadId }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
    await expect(bad.send(new ListMultipartUploadsCommand({ Bucket: 'pre' }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    bad.destroy();
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'pre' }))).Uploads ?? []).toEqual([]);
  });

  describe('fault injection', () => {
    const body = () => Readable.from(Array.from({ length: 12 }, (_, i) => Buffer.alloc(1 << 20, i)));

    it('a single 500 on part 2 is retried by the SDK; a permanent one fails the upload', async () => {
      server.setFault({ op: 'UploadPart', partNumber: 2, mode: 'error500' });
      await new Upload({ client: s3, params: { Bucket: 'pre', Key: 'retry', Body: body() }, partSize: 5 << 20 }).done();
      expect(server.faultsTriggered).toBe(1);
      expect((await s3.send(new HeadObjectCommand({ Bucket: 'pre', Key: 'retry' }))).ContentLength).toBe(12 << 20);

      server.setFault({ op: 'UploadPart', partNumber: 2, mode: 'error500', times: Infinity });
      const one = client(server, undefined, 1);
      await expect(
        new Upload({ client: one, params: { Bucket: 'pre', Key: 'fail500', Body: body() }, partSize: 5 << 20 }).done(),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      one.destroy();
      expect(server.faultsTriggered).toBe(2);
      server.setFault(undefined);
    });

    it('a dropped connection mid-part fails the upload and leaves no object', async () => {
      server.setFault({ op: 'UploadPart', partNumber: 1, mode: 'drop', afterBytes: 1 << 20, times: Infinity });
      const one = client(server, undefined, 1);
      await expect(
        new Upload({ client: one, params: { Bucket: 'pre', Key: 'dropped', Body: body() }, partSize: 5 << 20 }).done(),
      ).rejects.toThrow();
      one.destroy();
      server.setFault(undefined);
      await expect(s3.send(new HeadObjectCommand({ Bucket: 'pre', Key: 'dropped' }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
    });

    it('a GetObject cut after N bytes delivers a short body', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'pre', Key: 'cut', Body: Buffer.alloc(256 << 10, 7) }));
      server.setFault({ op: 'GetObject', mode: 'drop', afterBytes: 1000 });
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'pre', Key: 'cut' }), { expiresIn: 60 });
      const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', url]).catch(
        (e: { code: number; stdout: string }) => e,
      );
      expect('code' in r ? r.code : 0).toBe(18); // curl: partial file
      expect(Number(r.stdout)).toBe(1000);
      expect((await bodyOf(s3, 'pre', 'cut')).length).toBe(256 << 10); // fault used up
    });
  });
});
