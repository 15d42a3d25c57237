/**
 * The test S3 server's Object Lock and versioning (test/sandbox/s3/object-lock.ts), on their own,
 * through the AWS SDK: what hcp-dr's backups, verify and prune rely on, as AWS S3 answers it.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');
const DAY = 86_400_000;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { name?: string; Code?: string }).Code ?? (err as Error).name;
  }
}

describe('test S3 server: Object Lock and versioning', () => {
  let server: S3Server;
  let s3: S3Client;
  const dir = path.join(os.tmpdir(), `hcpdr-s3-lock-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: ['plain'] });
    s3 = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'locked', ObjectLockEnabledForBucket: true }));
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  const put = (Bucket: string, Key: string, body: string, mode?: 'GOVERNANCE' | 'COMPLIANCE', days = 1, withMd5 = true) =>
    s3.send(
      new PutObjectCommand({
        Bucket,
        Key,
        Body: body,
        ...(mode ? { ObjectLockMode: mode, ObjectLockRetainUntilDate: new Date(Date.now() + days * DAY) } : {}),
        ...(withMd5 ? { ContentMD5: md5(body) } : {}),
      }),
    );

  it('a bucket created with Object Lock answers its configuration and is versioned; another is not', async () => {
    const conf = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'locked' }));
    expect(conf.ObjectLockConfiguration?.ObjectLockEnabled).toBe('Enabled');
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'locked' }))).Status).toBe('Enabled');
    expect(await codeOf(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'plain' })))).toBe('ObjectLockConfigurationNotFoundError');
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBeUndefined();
  });

  it('refuses lock headers on a bucket without Object Lock, a past date, and a locked PutObject without Content-MD5', async () => {
    expect(await codeOf(put('plain', 'a', 'x', 'GOVERNANCE'))).toBe('InvalidRequest');
    expect(await codeOf(put('locked', 'a', 'x', 'GOVERNANCE', -1))).toBe('InvalidArgument');
    expect(await codeOf(put('locked', 'a', 'x', 'GOVERNANCE', 1, false))).toBe('InvalidRequest');
    expect(await codeOf(s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'a' })))).toBe('NotFound');
  });

  it('keeps the retention of a put and of a multipart upload: HEAD, GET and GetObjectRetention answer it', async () => {
    const until = new Date(Date.now() + 2 * DAY);
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: 'locked',
        Key: 'p',
        Body: 'data',
        ContentMD5: md5('data'),
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: until,
      }),
    );
    expect(out.VersionId).toMatch(/^[0-9a-f]{32}$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'p' }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(Math.abs((head.ObjectLockRetainUntilDate?.getTime() ?? 0) - until.getTime())).toBeLessThan(1000);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'locked', Key: 'p' }));
    expect(got.ObjectLockMode).toBe('COMPLIANCE');
    await got.Body?.transformToString();
    const r = await s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'p' }));
    expect(r.Retention?.Mode).toBe('COMPLIANCE');

    const part = Buffer.alloc(5 * 1024 * 1024 + 1, 7);
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'locked', Key: 'm', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: until }),
    );
    const up = await s3.send(
      new UploadPartCommand({ Bucket: 'locked', Key: 'm', UploadId: created.UploadId, PartNumber: 1, Body: part, ContentMD5: md5(part) }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'locked',
        Key: 'm',
        UploadId: created.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: up.ETag }] },
      }),
    );
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'm' }))).Retention?.Mode).toBe('GOVERNANCE');
    expect(await codeOf(s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'nothing' })))).toBe('NoSuchKey');
  });

  it('as Ceph RGW 16.2: a locked multipart upload completes without retention; PutObjectRetention sets it, never weakening a lock', async () => {
    server.setBehaviour({ flexibleChecksums: false, multipartRetention: false });
    try {
      const until = new Date(Date.now() + DAY);
      const part = Buffer.alloc(5 * 1024 * 1024, 1);
      const created = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: 'locked', Key: 'rgw', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until }),
      );
      const up = await s3.send(
        new UploadPartCommand({
          Bucket: 'locked',
          Key: 'rgw',
          UploadId: created.UploadId,
          PartNumber: 1,
          Body: part,
          ContentMD5: md5(part),
        }),
      );
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'locked',
          Key: 'rgw',
          UploadId: created.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: up.ETag }] },
        }),
      );
      expect(await codeOf(s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'rgw' })))).toBe('NoSuchObjectLockConfiguration');
      const set = (Mode: 'GOVERNANCE' | 'COMPLIANCE', days: number, BypassGovernanceRetention?: boolean) =>
        s3.send(
          new PutObjectRetentionCommand({
            Bucket: 'locked',
            Key: 'rgw',
            Retention: { Mode, RetainUntilDate: new Date(Date.now() + days * DAY) },
            ...(BypassGovernanceRetention ? { BypassGovernanceRetention } : {}),
          }),
        );
      await set('GOVERNANCE', 2);
      expect(await codeOf(set('GOVERNANCE', 1))).toBe('AccessDenied');
      await set('GOVERNANCE', 1, true);
      await set('COMPLIANCE', 3);
      expect(await codeOf(set('COMPLIANCE', 2, true))).toBe('AccessDenied');
      expect(await codeOf(set('GOVERNANCE', 4, true))).toBe('AccessDenied');
      expect((await s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'rgw' }))).Retention?.Mode).toBe('COMPLIANCE');
    } finally {
      server.setBehaviour(undefined);
    }
  });

  it('a plain delete of a locked object adds a delete marker: the data stays as a version, the key is no longer listed', async () => {
    await put('locked', 'd/obj', 'kept', 'COMPLIANCE');
    const del = await s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'd/obj' }));
    expect(del.DeleteMarker).toBe(true);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'locked', Prefix: 'd/' }));
    expect(listed.Contents ?? []).toEqual([]);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'locked', Prefix: 'd/' }));
    expect(versions.Versions?.map((v) => [v.Key, v.Size, v.IsLatest])).toEqual([['d/obj', 4, false]]);
    expect(versions.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([['d/obj', del.VersionId, true]]);
    // The locked version is refused; removing the marker brings the object back.
    const locked = versions.Versions?.[0]?.VersionId;
    expect(await codeOf(s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'd/obj', VersionId: locked })))).toBe('AccessDenied');
    await s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'd/obj', VersionId: del.VersionId }));
    const back = await s3.send(new GetObjectCommand({ Bucket: 'locked', Key: 'd/obj' }));
    expect(await back.Body?.transformToString()).toBe('kept');
  });

  it('DeleteObjects adds delete markers too, and removes no data', async () => {
    await put('locked', 'b/one', '1', 'GOVERNANCE');
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: 'locked', Delete: { Objects: [{ Key: 'b/one' }] } }));
    expect(out.Errors ?? []).toEqual([]);
    expect(server.versions('locked', 'b/one').map((v) => v.marker)).toEqual([false, true]);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'locked', Prefix: 'b/' }))).Contents ?? []).toEqual([]);
  });

  it('a governance lock yields to the bypass header only; an unlocked version goes by version id', async () => {
    const g = await put('locked', 'g', 'gov', 'GOVERNANCE');
    expect(await codeOf(s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'g', VersionId: g.VersionId })))).toBe('AccessDenied');
    await s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'g', VersionId: g.VersionId, BypassGovernanceRetention: true }));
    expect(await codeOf(s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'g' })))).toBe('NotFound');
    expect(server.versions('locked', 'g')).toEqual([]);

    const c = await put('locked', 'c', 'comp', 'COMPLIANCE');
    const bypass = s3.send(
      new DeleteObjectCommand({ Bucket: 'locked', Key: 'c', VersionId: c.VersionId, BypassGovernanceRetention: true }),
    );
    expect(await codeOf(bypass)).toBe('AccessDenied');

    const u = await put('locked', 'u', 'free');
    await s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'u', VersionId: u.VersionId }));
    expect(server.versions('locked', 'u')).toEqual([]);
    expect(await codeOf(s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'u' })))).toBe('NotFound');
  });
});
