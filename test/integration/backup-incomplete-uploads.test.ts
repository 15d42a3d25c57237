/**
 * Incomplete multipart uploads (issue 27.4): what a killed upload leaves in the bucket. The test S3
 * server lists them (ListMultipartUploads, ListParts) and aborts them, each checked here on its
 * own; `backup list` reports them under its prefix (count, bytes, age) and `backup prune` aborts
 * those older than --incomplete-grace, keeping younger ones (a backup may be uploading) and those
 * outside the prefix. Uploads are started with the SDK and backdated through the server's files.
 */
import { utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { useS3Env } from './s3-env.ts';
import type { BackupList } from '../../src/core/bundle/list.ts';
import type { PruneResult } from '../../src/core/backup/prune.ts';

const dir = path.join(os.tmpdir(), `hcpdr-uploads-${process.pid}-${Date.now()}`);
const BUCKET = 'backups';
const PART = 5 * 1024 * 1024 + 7;
let s3: S3Server;
let env: { restore(): void };
let client: S3Client;

async function startUpload(key: string, parts: number, ageHours: number): Promise<string> {
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  const uploadId = created.UploadId as string;
  for (let n = 1; n <= parts; n++) {
    await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: n, Body: Buffer.alloc(PART, n) }));
  }
  const keyFile = (await s3.pendingUploads(BUCKET)).find((f) => f.endsWith(path.join(uploadId, 'key'))) as string;
  const at = new Date(Date.now() - ageHours * 3_600_000);
  await utimes(keyFile, at, at);
  return uploadId;
}

async function uploadIds(prefix = ''): Promise<string[]> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix || undefined }));
  return (out.Uploads ?? []).map((u) => u.UploadId as string).sort();
}

const s3Flags = () => ['--endpoint', s3.endpoint, '--path-style'];
let oldInPrefix: string;
let youngInPrefix: string;
let oldElsewhere: string;

beforeAll(async () => {
  s3 = await startS3Server({ dir, buckets: [BUCKET] });
  env = useS3Env(s3, { AWS_REGION: s3.region });
  client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  oldInPrefix = await startUpload('hcp/clusters/demo/20261101T000000Z-aaaaaa/snapshot.db', 2, 48);
  youngInPrefix = await startUpload('hcp/clusters/demo/20261130T110000Z-bbbbbb/snapshot.db', 1, 1);
  oldElsewhere = await startUpload('other/clusters/demo/20261101T000000Z-cccccc/snapshot.db', 1, 48);
}, 60_000);

afterAll(async () => {
  client?.destroy();
  env?.restore();
  await s3?.stop();
});

describe('the test S3 server and incomplete uploads', () => {
  it('lists uploads under a prefix (ListMultipartUploads) with their parts (ListParts), and aborts one', async () => {
    expect(await uploadIds('hcp/')).toEqual([oldInPrefix, youngInPrefix].sort());
    const parts = await client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'hcp/clusters/demo/20261101T000000Z-aaaaaa/snapshot.db', UploadId: oldInPrefix }),
    );
    expect((parts.Parts ?? []).map((p) => p.Size)).toEqual([PART, PART]);
    const extra = await startUpload('scratch/x.db', 1, 0);
    expect(await uploadIds('scratch/')).toEqual([extra]);
    const store = (await import('../../src/s3/store.ts')).openObjectStore;
    const opened = await store(
      { url: `s3://${BUCKET}`, endpoint: s3.endpoint, pathStyle: true },
      {
        info() {},
        warn() {},
        debug() {},
      },
    );
    await opened.store.abortIncompleteUpload?.({ key: 'scratch/x.db', uploadId: extra, initiated: undefined, bytes: undefined });
    expect(await uploadIds('scratch/')).toEqual([]);
    // Aborting again is no error (the upload is gone).
    await opened.store.abortIncompleteUpload?.({ key: 'scratch/x.db', uploadId: extra, initiated: undefined, bytes: undefined });
  });
});

describe('backup list and backup prune', () => {
  it('backup list reports the incomplete uploads under its prefix: count, bytes, age (JSON and a warning line)', async () => {
    const json = await runCliInProcess(['backup', 'list', '--from', `s3://${BUCKET}/hcp`, ...s3Flags(), '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout) as BackupList;
    expect(list.incompleteUploads).toMatchObject({ count: 2, bytes: 3 * PART });
    expect(list.incompleteUploads?.oldestAgeSeconds).toBeGreaterThanOrEqual(47 * 3600);
    expect(list.incompleteUploads?.items.map((i) => i.url).sort()).toEqual([
      `s3://${BUCKET}/hcp/clusters/demo/20261101T000000Z-aaaaaa/snapshot.db`,
      `s3://${BUCKET}/hcp/clusters/demo/20261130T110000Z-bbbbbb/snapshot.db`,
    ]);
    const table = await runCliInProcess(['backup', 'list', '--from', `s3://${BUCKET}/hcp`, ...s3Flags()]);
    expect(table.code).toBe(0);
    expect(table.stderr).toMatch(/2 incomplete multipart uploads under s3:\/\/backups\/hcp\/ \(15\.0 MiB, the oldest started 2d ago\)/);
  });

  it('backup prune --dry-run says which it would abort and aborts none', async () => {
    const run = await runCliInProcess([
      'backup',
      'prune',
      '--from',
      `s3://${BUCKET}/hcp`,
      ...s3Flags(),
      '--keep-last',
      '1',
      '--dry-run',
      '-o',
      'json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as PruneResult;
    expect(result.incompleteUploads?.aborted.items.map((i) => i.uploadId)).toEqual([oldInPrefix]);
    expect(result.incompleteUploads?.kept).toBe(1);
    expect(await uploadIds()).toEqual([oldInPrefix, youngInPrefix, oldElsewhere].sort());
  });

  it('backup prune aborts the uploads under its prefix older than --incomplete-grace, and reports them', async () => {
    const run = await runCliInProcess(['backup', 'prune', '--from', `s3://${BUCKET}/hcp`, ...s3Flags(), '--keep-last', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /aborted the incomplete upload of s3:\/\/backups\/hcp\/clusters\/demo\/20261101T000000Z-aaaaaa\/snapshot\.db/,
    );
    expect(run.stderr).toMatch(/1 incomplete multipart upload, 10\.0 MiB \(1 younger kept\)/);
    expect(await uploadIds()).toEqual([youngInPrefix, oldElsewhere].sort());
  });

  it('--incomplete-grace changes the safe age', async () => {
    const run = await runCliInProcess([
      'backup',
      'prune',
      '--from',
      `s3://${BUCKET}/hcp`,
      ...s3Flags(),
      '--keep-last',
      '1',
      '--incomplete-grace',
      '1h',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(await uploadIds()).toEqual([oldElsewhere]);
  });
});
