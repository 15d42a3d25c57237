/**
 * Fidelity of the test S3 server (test/sandbox/s3/s3-like.ts, s3-server.ts) to real stores:
 * the part list is checked at completion, the ETag has S3's form, the object's bytes are right
 * whether the parts were assembled in place or copied; Content-MD5, the signed payload and
 * CRC32 are checked as AWS does, CRC32 ignored as Ceph RGW before Squid does, and server-side
 * encryption confirmed, silently accepted or refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { crc32Base64 } from '../../src/s3/multipart.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';

const MiB = 1024 * 1024;
const BUCKET = 'mpx';
const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Sends `command` with this x-amz-content-sha256 instead of the body's own (the signer signs it as given). */
function payloadHash<C extends PutObjectCommand | UploadPartCommand>(command: C, value: string): C {
  const stack = command.middlewareStack as PutObjectCommand['middlewareStack'];
  stack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = value;
      return next(args);
    },
    { step: 'build', name: 'testPayloadHash' },
  );
  return command;
}

describe('test S3 server: multipart uploads as S3 handles them', () => {
  let server: S3Server;
  let s3: S3Client;
  const dir = path.join(os.tmpdir(), `hcpdr-s3mpx-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: [BUCKET] });
    s3 = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });
  afterEach(() => {
    server.setFault(undefined);
    server.setBehaviour(undefined);
  });

  const create = async (Key: string) => (await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }))).UploadId!;
  const head = (Key: string) => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
  const part = async (Key: string, UploadId: string, PartNumber: number, Body: Buffer, ChecksumCRC32?: string): Promise<CompletedPart> => {
    const out = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key,
        UploadId,
        PartNumber,
        Body,
        ContentLength: Body.length,
        ...(ChecksumCRC32 ? { ChecksumCRC32 } : {}),
      }),
    );
    return { ETag: out.ETag, PartNumber };
  };
  const complete = (Key: string, UploadId: string, Parts: CompletedPart[]) =>
    s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts } }));
  const body = async (Key: string) =>
    Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToByteArray());

  /** Uploads `sizes` (in that part order, sent in `sendOrder`), completes, and checks bytes and ETag. */
  async function roundTrip(Key: string, sizes: number[], sendOrder = sizes.map((_, i) => i)): Promise<void> {
    const datas = sizes.map((n) => randomBytes(n));
    const UploadId = await create(Key);
    const done: CompletedPart[] = [];
    await Promise.all(sendOrder.map(async (i) => done.push(await part(Key, UploadId, i + 1, datas[i]!))));
    done.sort((a, b) => a.PartNumber! - b.PartNumber!);
    const out = await complete(Key, UploadId, done);
    const etag = `"${createHash('md5')
      .update(Buffer.concat(datas.map(md5)))
      .digest('hex')}-${sizes.length}"`;
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
    await expect(complete('checked', UploadId, [p1, { ...p2, ETag: '"0123456789abcdef0123456789abcdef"' }])).rejects.toMatchObject({
      name: 'InvalidPart',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(complete('checked', UploadId, [p1, { ...p2, PartNumber: 3 }])).rejects.toMatchObject({ name: 'InvalidPart' });
    await expect(complete('checked', UploadId, [p2, p1])).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    const small = await part('checked', UploadId, 3, b);
    await expect(complete('checked', UploadId, [p1, p2, small])).rejects.toMatchObject({ name: 'EntityTooSmall' });
    await expect(complete('checked', 'f00d', [p1])).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'checked' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    await complete('checked', UploadId, [p1, p2]);
    expect((await body('checked')).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('keeps a part only if it matches its CRC32 (BadDigest); a part sent again replaces the first', async () => {
    const [a, b, c] = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
    const UploadId = await create('crc');
    await expect(part('crc', UploadId, 1, a, crc32Base64(b))).rejects.toMatchObject({
      name: 'BadDigest',
      $metadata: { httpStatusCode: 400 },
    });
    const stale = await part('crc', UploadId, 1, b, crc32Base64(b));
    const p1 = await part('crc', UploadId, 1, a, crc32Base64(a));
    const p2 = await part('crc', UploadId, 2, c, crc32Base64(c));
    await expect(complete('crc', UploadId, [stale, p2])).rejects.toMatchObject({ name: 'InvalidPart' });
    await complete('crc', UploadId, [p1, p2]);
    expect((await body('crc')).equals(Buffer.concat([a, c]))).toBe(true);
  });

  it('the corrupt fault changes a body as if in transit: a part sent without any check is stored changed', async () => {
    const a = randomBytes(MiB);
    const UploadId = await create('flip');
    server.setFault({ op: 'UploadPart', mode: 'corrupt' });
    const sent = await s3.send(
      payloadHash(
        new UploadPartCommand({ Bucket: BUCKET, Key: 'flip', UploadId, PartNumber: 1, Body: a, ContentLength: a.length }),
        'UNSIGNED-PAYLOAD',
      ),
    );
    expect(sent.ETag).not.toBe(`"${md5(a).toString('hex')}"`);
    await complete('flip', UploadId, [{ ETag: sent.ETag, PartNumber: 1 }]);
    const stored = await body('flip');
    expect(stored.length).toBe(a.length);
    expect(stored.equals(a)).toBe(false);
  });

  it('checks Content-MD5 (InvalidDigest, BadDigest) and the signed payload (XAmzContentSHA256Mismatch); a refused PUT keeps the earlier object', async () => {
    const [a, b] = [randomBytes(100_000), randomBytes(100_000)];
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'checked-put', Body: a, ContentMD5: md5(a).toString('base64') }));
    const put = (extra: object, hash?: string) => {
      const command = new PutObjectCommand({ Bucket: BUCKET, Key: 'checked-put', Body: b, ...extra });
      return s3.send(hash ? payloadHash(command, hash) : command);
    };
    await expect(put({ ContentMD5: md5(a).toString('base64') })).rejects.toMatchObject({
      name: 'BadDigest',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(put({ ContentMD5: 'not-an-md5' })).rejects.toMatchObject({ name: 'InvalidDigest', $metadata: { httpStatusCode: 400 } });
    await expect(put({}, sha256(a))).rejects.toMatchObject({ name: 'XAmzContentSHA256Mismatch', $metadata: { httpStatusCode: 400 } });
    expect((await body('checked-put')).equals(a)).toBe(true);

    const UploadId = await create('checked-part');
    const part1 = (extra: object, hash?: string) => {
      const command = new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'checked-part',
        UploadId,
        PartNumber: 1,
        Body: b,
        ContentLength: b.length,
        ...extra,
      });
      return s3.send(hash ? payloadHash(command, hash) : command);
    };
    await expect(part1({ ContentMD5: md5(a).toString('base64') })).rejects.toMatchObject({ name: 'BadDigest' });
    await expect(part1({ ContentMD5: 'AAAA' })).rejects.toMatchObject({ name: 'InvalidDigest' });
    await expect(part1({}, sha256(a))).rejects.toMatchObject({ name: 'XAmzContentSHA256Mismatch' });
    await expect(complete('checked-part', UploadId, [{ ETag: `"${md5(b).toString('hex')}"`, PartNumber: 1 }])).rejects.toMatchObject({
      name: 'InvalidPart',
    });
    const ok = await part1({ ContentMD5: md5(b).toString('base64') }, sha256(b));
    await complete('checked-part', UploadId, [{ ETag: ok.ETag, PartNumber: 1 }]);
    expect((await body('checked-part')).equals(b)).toBe(true);
  });

  it('acknowledges CRC32 as AWS does, or plays a store without flexible checksums (no echo, CRC32 not checked)', async () => {
    const a = randomBytes(1000);
    const createCrc = (Key: string) => s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ChecksumAlgorithm: 'CRC32' }));
    const aws = await createCrc('aws-like');
    expect(aws.ChecksumAlgorithm).toBe('CRC32');
    await expect(part('aws-like', aws.UploadId!, 1, a, 'AAAAAA==')).rejects.toMatchObject({ name: 'BadDigest' });
    await expect(part('aws-like', aws.UploadId!, 1, a, 'not base64!')).rejects.toMatchObject({ name: 'InvalidRequest' });

    server.setBehaviour({ flexibleChecksums: false });
    const rgw = await createCrc('rgw-like');
    expect(rgw.ChecksumAlgorithm).toBeUndefined();
    const p1 = await part('rgw-like', rgw.UploadId!, 1, a, 'AAAAAA==');
    await complete('rgw-like', rgw.UploadId!, [p1]);
    expect((await body('rgw-like')).equals(a)).toBe(true);
    // What RGW does check, it still checks.
    await expect(
      s3.send(payloadHash(new PutObjectCommand({ Bucket: BUCKET, Key: 'rgw-put', Body: a }), sha256(Buffer.from('other')))),
    ).rejects.toMatchObject({ name: 'XAmzContentSHA256Mismatch' });
  });

  it('confirms server-side encryption on writes and reads (AWS), accepts it silently (RGW over https), or refuses it (RGW over http)', async () => {
    const a = randomBytes(1000);
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sse-put', Body: a, ServerSideEncryption: 'AES256' }));
    expect(put.ServerSideEncryption).toBe('AES256');
    expect((await head('sse-put')).ServerSideEncryption).toBe('AES256');
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'sse-mp', ServerSideEncryption: 'aws:kms' }));
    expect(created.ServerSideEncryption).toBe('aws:kms');
    const done = await complete('sse-mp', created.UploadId!, [await part('sse-mp', created.UploadId!, 1, a)]);
    expect(done.ServerSideEncryption).toBe('aws:kms');
    expect((await head('sse-mp')).ServerSideEncryption).toBe('aws:kms');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sse-put', Body: a }));
    expect((await head('sse-put')).ServerSideEncryption).toBeUndefined();

    server.setBehaviour({ sse: 'silent' });
    expect(
      (await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sse-silent', Body: a, ServerSideEncryption: 'AES256' })))
        .ServerSideEncryption,
    ).toBeUndefined();
    expect((await head('sse-silent')).ServerSideEncryption).toBeUndefined();

    server.setBehaviour({ sse: 'refuse' });
    await expect(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sse-refused', Body: a, ServerSideEncryption: 'AES256' })),
    ).rejects.toMatchObject({ name: 'InvalidRequest', message: 'UnknownError', $metadata: { httpStatusCode: 400 } });
    await expect(head('sse-refused')).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});
