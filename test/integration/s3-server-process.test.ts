import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3ServerProcess } from '../sandbox/s3/server-process.ts';
import { isAlive } from '../support/spawn.ts';

it('runs the test S3 server in its own process, SigV4 and all, and stops it with its directory', async () => {
  const dir = path.join(os.tmpdir(), `hcpdr-s3proc-${process.pid}-${Date.now()}`);
  const server = await startS3ServerProcess({ dir, buckets: ['b'] });
  expect(server.pid).not.toBe(process.pid);
  expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const client = (secretAccessKey: string) =>
    new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  const good = client(server.secretAccessKey);
  const bad = client('wrong');
  try {
    await good.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'v' }));
    expect(await (await good.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).Body!.transformToString()).toBe('v');
    await expect(bad.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(existsSync(dir)).toBe(true);
  } finally {
    good.destroy();
    bad.destroy();
    await server.stop();
  }
  expect(isAlive(server.pid)).toBe(false);
  expect(existsSync(dir)).toBe(false);
});
