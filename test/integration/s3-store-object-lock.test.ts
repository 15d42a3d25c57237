/**
 * The S3 adapter's Object Lock (src/s3/object-lock.ts) against the SigV4-verifying test server,
 * which plays Object Lock as AWS does (it refuses a locked PutObject without Content-MD5): a locked
 * Buffer put, a locked stream of several parts on an AWS-like store (CRC32 parts) and on a Ceph-like
 * one (payload-signed parts with Content-MD5; the retention the store drops set again), objectLockEnabled, retention, and deleting every
 * version of a key, refused while it is retained.
 */
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openObjectStore } from '../../src/s3/store.ts';
import { ForbiddenError } from '../../src/core/errors.ts';
import type { ObjectStore } from '../../src/core/ports.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { silentReporter, useS3Env } from './s3-env.ts';

const MiB = 1024 * 1024;
const DAY = 86_400_000;

describe('S3 adapter: Object Lock', () => {
  let server: S3Server;
  let env: { restore(): void };
  let locked: ObjectStore;
  let plain: ObjectStore;
  const dir = path.join(os.tmpdir(), `hcpdr-s3-store-lock-${process.pid}-${Date.now()}`);
  const open = async (bucket: string) =>
    (await openObjectStore({ url: `s3://${bucket}`, endpoint: server.endpoint, pathStyle: true }, silentReporter, { partSize: 5 * MiB }))
      .store;

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: ['plain'], objectLockBuckets: ['locked'] });
    env = useS3Env(server, { AWS_REGION: server.region });
    [locked, plain] = await Promise.all([open('locked'), open('plain')]);
  });
  afterAll(async () => {
    env?.restore();
    await server?.stop();
  });

  it('tells a bucket with Object Lock from one without', async () => {
    expect(await locked.objectLockEnabled?.()).toBe(true);
    expect(await plain.objectLockEnabled?.()).toBe(false);
  });

  it('stores a Buffer and multipart streams with their retention (AWS-like and Ceph-like part integrity)', async () => {
    const retainUntil = new Date(Date.now() + DAY);
    await locked.put('one', 'small body', { lock: { mode: 'compliance', retainUntil } });
    expect(await locked.retention?.('one')).toEqual({ mode: 'compliance', retainUntil: new Date(Math.floor(retainUntil.getTime())) });
    for (const flexibleChecksums of [true, false]) {
      // Ceph-like also drops the multipart upload's retention, as RGW 16.2 does: the adapter sets it again.
      server.setBehaviour({ flexibleChecksums, multipartRetention: flexibleChecksums });
      const key = `big-${flexibleChecksums}`;
      await locked.put(key, Readable.from([Buffer.alloc(12 * MiB, 1)]), { lock: { mode: 'governance', retainUntil } });
      expect((await locked.head(key))?.size).toBe(12 * MiB);
      expect((await locked.retention?.(key))?.mode).toBe('governance');
    }
    server.setBehaviour(undefined);
    expect(await locked.retention?.('missing')).toBeUndefined();
    await plain.put('unlocked', 'x');
    expect(await plain.retention?.('unlocked')).toBeUndefined();
  });

  it('deletes every version of a key only once nothing retains it; a plain delete leaves the data', async () => {
    await locked.put('kept', 'data', { lock: { mode: 'governance', retainUntil: new Date(Date.now() + DAY) } });
    await locked.delete('kept');
    expect(await locked.head('kept')).toBeUndefined();
    expect(server.versions('locked', 'kept').map((v) => v.marker)).toEqual([false, true]);
    const refused = await locked.delete('kept', { allVersions: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ForbiddenError);
    await locked.delete('kept', { allVersions: true, bypassGovernance: true });
    expect(server.versions('locked', 'kept')).toEqual([]);

    await locked.put('free', 'data');
    await locked.deleteMany?.(['free'], { allVersions: true });
    expect(server.versions('locked', 'free')).toEqual([]);
  });
});
