/**
 * ListObjectsV2 on the test S3 server past one page (test/sandbox/s3/list.ts). Before it, a prefix holding more
 * than 1000 keys (the chaos suite's 38 kept move backups of 27 objects) answered 500 InternalError:
 * s3rver's continuation token needs DES, which OpenSSL 3 refuses; and s3rver cut pages in its
 * directory walk's order, not S3's.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';

const BUCKET = 'listing';
let server: S3Server;
let s3: S3Client;
const dir = path.join(os.tmpdir(), `hcpdr-s3-list-${process.pid}-${Date.now()}`);

async function put(keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }))));
  }
}

/** Every page of a listing, following NextContinuationToken. */
async function pages(input: { Prefix?: string; MaxKeys?: number; Delimiter?: string; StartAfter?: string }) {
  const out: ListObjectsV2CommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ...input, ContinuationToken: token }));
    out.push(page);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    expect(out.length).toBeLessThan(100);
  } while (token);
  return out;
}
const keysOf = (ps: ListObjectsV2CommandOutput[]) => ps.flatMap((p) => (p.Contents ?? []).map((c) => c.Key));

beforeAll(async () => {
  server = await startS3Server({ dir, buckets: [BUCKET] });
  s3 = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  expect(existsSync(dir)).toBe(false);
});

describe('test S3 server: ListObjectsV2 pages', () => {
  it('lists 38 backups of 27 objects under one prefix (1026 keys) in two pages of the default size', async () => {
    const keys: string[] = [];
    for (let b = 0; b < 38; b++) {
      const id = `b${String(b).padStart(2, '0')}`;
      keys.push(`chaos/clusters/demo/${id}/backup.json`, `chaos/clusters/demo/${id}/snapshot.db`);
      for (let s = 0; s < 25; s++) keys.push(`chaos/clusters/demo/${id}/secrets/s${String(s).padStart(2, '0')}.yaml`);
    }
    await put([...keys, 'chaos/clusters/other/backup.json']);
    const got = await pages({ Prefix: 'chaos/clusters/demo/' });
    expect(got.map((p) => [p.KeyCount, p.IsTruncated])).toEqual([
      [1000, true],
      [26, false],
    ]);
    expect(got[1]?.ContinuationToken).toBe(got[0]?.NextContinuationToken);
    expect(keysOf(got)).toEqual([...keys].sort());
  });

  it("cuts pages in S3's key order (UTF-8 bytes), not the order of directories on disk", async () => {
    // On disk "o/a" is a directory walked before the file "o/a-c"; S3 lists "o/a-c" < "o/a.d/x" < "o/a/b".
    await put(['o/a/b', 'o/a-c', 'o/a.d/x', 'o/ab', 'o/é']);
    const got = await pages({ Prefix: 'o/', MaxKeys: 2 });
    expect(got.map((p) => p.KeyCount)).toEqual([2, 2, 1]);
    expect(keysOf(got)).toEqual(['o/a-c', 'o/a.d/x', 'o/a/b', 'o/ab', 'o/é']);
  });

  it('counts common prefixes in a page and does not repeat one on the next page', async () => {
    await put(['d/p/1', 'd/p/2', 'd/q', 'd/r/1']);
    const got = await pages({ Prefix: 'd/', Delimiter: '/', MaxKeys: 1 });
    expect(got.map((p) => [...(p.CommonPrefixes ?? []).map((c) => c.Prefix), ...(p.Contents ?? []).map((c) => c.Key)])).toEqual([
      ['d/p/'],
      ['d/q'],
      ['d/r/'],
    ]);
  });

  it('starts after StartAfter and echoes it', async () => {
    await put(['s/1', 's/2', 's/3']);
    const got = await pages({ Prefix: 's/', StartAfter: 's/1', MaxKeys: 1 });
    expect(keysOf(got)).toEqual(['s/2', 's/3']);
    expect(got[0]?.StartAfter).toBe('s/1');
  });

  it('refuses a continuation token it did not issue (400 InvalidArgument)', async () => {
    await expect(s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'bm90LW91cnM=' }))).rejects.toMatchObject({
      name: 'InvalidArgument',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
