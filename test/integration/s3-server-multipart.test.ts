/**
 * Fidelity of the test S3 server's multipart handling (test/support/s3-like.ts) to S3's:
 * the part list is checked at completion, the ETag has S3's form, a part's CRC32 is verified,
 * and the object's bytes are right whether the parts were assembled in place or copied.
 */
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, S3Client,
  UploadPartCommand, type CompletedPart,
} from '@aws-sdk/client-s3';
import { crc32Base64 } from '../../src/s3/multipart.ts';
import { startS3Server, type S3Server } from '../support/s3-server.ts';

const MiB = 1024 * 1024;
const BUCKET = 'mpx';
const md5 = (b: Buffer) => createHash('md5').update(b).digest();

describe('test S3 server: multipart uploads as S3 handles them', () => {
  let server: S3Server;
  let s3: S3Client;
  const dir = path.join(os.tmpdir(), `hcpdr-s3mpx-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: [BUCKET] });
    s3 = new S3Client({
      endpoint: server.endpoint, region: server.region, forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  const create = async (Key: string) => (await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }))).UploadId!;
  const part = async (Key: string, UploadId: string, PartNumber: number, Body: Buffer, ChecksumCRC32?: string): Promise<CompletedPart> => {
    const out = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber, Body, ContentLength: Body.length, ...(ChecksumCRC32 ? { ChecksumCRC32 } : {}) }));
    return { ETag: out.ETag, PartNumber };
  };
  const complete = (Key: string, UploadId: string, Parts: CompletedPart[]) =>
    s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts } }));
  const body = async (Key: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToByteArray());

  /** Uploads `sizes` (in that part order, sent in `sendOrder`), completes, and checks bytes and ETag. */
  async function roundTrip(Key: string, sizes: number[], sendOrder = sizes.map((_, i) => i)): Promise<void> {
    const datas = sizes.map((n) => randomBytes(n));
    const UploadId = await create(Key);
    const done: CompletedPart[] = [];
    await Promise.all(sendOrder.map(async (i) => done.push(await part(Key, UploadId, i + 1, datas[i]!))));
    done.sort((a, b) => a.PartNumber! - b.PartNumber!);
    const out = await complete(Key, UploadId, done);
    const etag = `"${createHash('md5').update(Buffer.concat(datas.map(md5))).digest('hex')}-${sizes.length}"`;
    expect(out.ETag).toBe(etag);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key }))).ETag).toBe(etag);
    expect((await body(Key)).equals(Buffer.concat(datas))).toBe(true);
    expect(await server.pendingUploads(BUCKET)).toEqual([]);
  }

  it('assembles equal parts sent out of order, with the ETag md5(part MD5s)-N', async () => {
    await roundTrip('equal', [5 * MiB, 5 * MiB, 5 * MiB, MiB + 3], [2, 3, 0, 1]);
  });

  it('assembles parts of uneven sizes, and a short last part sent first', async () => {
    await roundTrip('grow', [5 * MiB, 6 * MiB, 7]);
    await roundTrip('shrink', [6 * MiB, 5 * MiB, 2 * MiB]);
    await roundTrip('last-first', [5 * MiB, 5 * MiB, 100], [2, 0, 1]);
    await roundTrip('single', [17]);
  });

  it('checks the part list: InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload; the upload survives them', async () => {
    const [a, b] = [randomBytes(5 * MiB), randomBytes(MiB)];
    const UploadId = await create('checked');
    const p1 = await part('checked', UploadId, 1, a);
    const p2 = await part('checked', UploadId, 2, b);
    await expect(complete('checked', UploadId, [p1, { ...p2, ETag: '"0123456789abcdef0123456789abcdef"' }])).rejects.toMatchObject({ name: 'InvalidPart', $metadata: { httpStatusCode: 400 } });
    await expect(complete('checked', UploadId, [p1, { ...p2, PartNumber: 3 }])).rejects.toMatchObject({ name: 'InvalidPart' });
    await expect(complete('checked', UploadId, [p2, p1])).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    const small = await part('checked', UploadId, 3, b);
    await expect(complete('checked', UploadId, [p1, p2, small])).rejects.toMatchObject({ name: 'EntityTooSmall' });
    await expect(complete('checked', 'f00d', [p1])).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'checked' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    await complete('checked', UploadId, [p1, p2]);
    expect((await body('checked')).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('keeps a part only if it matches its CRC32 (BadDigest); a part sent again replaces the first', async () => {
    const [a, b, c] = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
    const UploadId = await create('crc');
    await expect(part('crc', UploadId, 1, a, crc32Base64(b))).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    const stale = await part('crc', UploadId, 1, b, crc32Base64(b));
    const p1 = await part('crc', UploadId, 1, a, crc32Base64(a));
    const p2 = await part('crc', UploadId, 2, c, crc32Base64(c));
    await expect(complete('crc', UploadId, [stale, p2])).rejects.toMatchObject({ name: 'InvalidPart' });
    await complete('crc', UploadId, [p1, p2]);
    expect((await body('crc')).equals(Buffer.concat([a, c]))).toBe(true);
  });

  it('the corrupt fault changes a part as if in transit: its ETag is not the MD5 that was sent', async () => {
    const a = randomBytes(MiB);
    const UploadId = await create('flip');
    server.setFault({ op: 'UploadPart', mode: 'corrupt' });
    const p1 = await part('flip', UploadId, 1, a);
    expect(p1.ETag).not.toBe(`"${md5(a).toString('hex')}"`);
    await complete('flip', UploadId, [p1]);
    const stored = await body('flip');
    expect(stored.length).toBe(a.length);
    expect(stored.equals(a)).toBe(false);
  });
});
