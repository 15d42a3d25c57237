/**
 * S3 Object Lock on a real S3 implementation, Ceph RGW (Debian's Pacific; test/support/ceph-rgw.ts),
 * with the CLI in process and backups from the sandbox: a bucket without Object Lock is refused in
 * preflight before any change; a locked backup is stored with its retention, and prune cannot delete
 * it: it is kept and reported, exit 0, its data and versions untouched. Skipped where Ceph is not
 * installed (test/setup.sh installs it).
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { missingCephBinaries, startCephRgw, type CephRgw } from '../sandbox/s3/ceph-rgw.ts';
import { runCliInProcess } from '../support/cli.ts';
import { visibleState } from '../sandbox/cluster-state.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { ForbiddenError } from '../../src/core/errors.ts';
import { openObjectStore } from '../../src/s3/store.ts';

const MiB = 1024 * 1024;
const silent = { info: () => undefined, warn: () => undefined, debug: () => undefined };

const PLAIN = 'hcp-dr-plain';
const LOCKED = 'hcp-dr-locked';
const missing = missingCephBinaries();

describe.skipIf(missing.length > 0)(`Object Lock on Ceph RGW${missing.length ? ` (skipped: ${missing.join(', ')} missing)` : ''}`, () => {
  let rgw: CephRgw;
  let sb: Sandbox;
  let s3: S3Client;
  let saved: NodeJS.ProcessEnv;
  const flags = () => ['--endpoint', rgw.endpoint, '--path-style'];
  const backup = (bucket: string, ...extra: string[]) =>
    runCliInProcess([
      'backup',
      'demo',
      '-n',
      'clusters',
      '--kubeconfig',
      sb.kubeconfig,
      '--to',
      `s3://${bucket}/hcp`,
      ...flags(),
      ...extra,
    ]);

  beforeAll(async () => {
    [rgw, sb] = await Promise.all([startCephRgw({ buckets: [PLAIN] }), startSandbox()]);
    saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region });
    s3 = new S3Client({
      endpoint: rgw.endpoint,
      region: rgw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await s3.send(new CreateBucketCommand({ Bucket: LOCKED, ObjectLockEnabledForBucket: true }));
  }, 180_000);
  afterAll(async () => {
    if (saved) process.env = saved;
    s3?.destroy();
    await Promise.all([rgw?.stop(), sb?.stop()]);
  });

  it(
    'refuses a bucket without Object Lock in preflight: exit 3, one error line, nothing changed or written',
    { timeout: 60_000 },
    async () => {
      const before = visibleState(sb);
      const run = await backup(PLAIN, '--yes', '--lock-days', '1');
      expect(run.code).toBe(3);
      expect(run.stderr.split('\n').filter((l) => l.startsWith('error: '))).toEqual([
        expect.stringMatching(/s3:\/\/hcp-dr-plain \(--to\) does not have S3 Object Lock enabled/),
      ]);
      expect(visibleState(sb)).toEqual(before);
      expect((await s3.send(new ListObjectsV2Command({ Bucket: PLAIN }))).Contents ?? []).toEqual([]);
    },
  );

  it(
    'locks a multipart upload (RGW 16.2 drops its retention: set again with PutObjectRetention) and refuses to delete its version',
    { timeout: 60_000 },
    async () => {
      const { store } = await openObjectStore({ url: `s3://${LOCKED}`, endpoint: rgw.endpoint, pathStyle: true }, silent, {
        partSize: 5 * MiB,
      });
      const retainUntil = new Date(Date.now() + 86_400_000);
      await store.put('multipart/object', Readable.from([Buffer.alloc(12 * MiB, 3)]), { lock: { mode: 'governance', retainUntil } });
      expect((await store.head('multipart/object'))?.size).toBe(12 * MiB);
      expect((await store.retention?.('multipart/object'))?.mode).toBe('governance');
      expect(await store.delete('multipart/object', { allVersions: true }).catch((e: unknown) => e)).toBeInstanceOf(ForbiddenError);
      await store.delete('multipart/object', { allVersions: true, bypassGovernance: true });
      const left = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: 'multipart/' }));
      expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
    },
  );

  it('stores a locked backup, and prune keeps it: reported as retained, exit 0, nothing deleted', { timeout: 120_000 }, async () => {
    const ids: BackupManifest[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await backup(LOCKED, '--online', '--lock-days', '1', '--lock-mode', 'compliance', '-o', 'json');
      expect(run.stderr).not.toMatch(/^error:/m);
      expect(run.code).toBe(0);
      ids.push(JSON.parse(run.stdout) as BackupManifest);
    }
    const older = ids[0] as BackupManifest;
    const prefix = `hcp/clusters/demo/${older.id}/`;
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: LOCKED, Prefix: prefix }))).Contents ?? [];
    expect(objects.length).toBeGreaterThan(3);
    for (const o of objects) {
      const r = await s3.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key: o.Key }));
      expect([o.Key, r.Retention?.Mode, r.Retention?.RetainUntilDate?.toISOString()]).toEqual([
        o.Key,
        'COMPLIANCE',
        older.lock?.retainUntil,
      ]);
    }
    const prune = await runCliInProcess([
      'backup',
      'prune',
      '--from',
      `s3://${LOCKED}/hcp`,
      '--keep-last',
      '1',
      '--bypass-governance',
      ...flags(),
    ]);
    expect(prune.stderr).not.toMatch(/^error:/m);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toMatch(new RegExp(`${older.id} .*retained until ${older.lock?.retainUntil} \\(Object Lock, compliance\\)`));
    expect(((await s3.send(new ListObjectsV2Command({ Bucket: LOCKED, Prefix: prefix }))).Contents ?? []).length).toBe(objects.length);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: prefix }));
    expect(versions.DeleteMarkers ?? []).toEqual([]);
  });

  it('a staged copy only a delete marker hides is found by prune, and all its versions deleted', { timeout: 60_000 }, async () => {
    const { store } = await openObjectStore({ url: `s3://${LOCKED}`, endpoint: rgw.endpoint, pathStyle: true }, silent);
    const key = 'hidden/clusters/ghost/20261207T120000Z-abcdef/.hcp-dr-staging/clusters/ghost/snapshot.db';
    await store.put(key, Buffer.from('plaintext snapshot '.repeat(100)));
    await s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: key })); // a delete marker over it
    const versionsOf = async () => {
      const v = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: 'hidden/' }));
      return [...(v.Versions ?? []).map(() => 'version'), ...(v.DeleteMarkers ?? []).map(() => 'marker')];
    };
    expect(await versionsOf()).toEqual(['version', 'marker']);
    const prune = await runCliInProcess([
      'backup',
      'prune',
      '--from',
      `s3://${LOCKED}/hidden`,
      '--keep-last',
      '1',
      '-o',
      'json',
      ...flags(),
    ]);
    expect(prune.code, prune.stderr).toBe(0);
    const staged = (JSON.parse(prune.stdout) as { staged: { url: string; action: string; hidden?: boolean }[] }).staged;
    expect(staged).toEqual([expect.objectContaining({ url: `s3://${LOCKED}/${key}`, action: 'delete', hidden: true })]);
    expect(await versionsOf()).toEqual([]);
  });
});
