/**
 * Staged plaintext copies (bundle/staging.ts, staged-copies.ts) in the SigV4-verifying S3 test
 * server, through the real S3 adapter and the CLI: every copy carries its URL's expiry as object
 * metadata (also through a multipart upload); `backup prune` deletes the copies whose expiry has
 * passed (and, without the metadata, those older than the longest URL hcp-dr signs), every version
 * on an Object Lock bucket, keeps those ahead even when their backup goes, reports them apart, and
 * with --dry-run deletes nothing; `backup list` marks a backup with a copy beside it. And a move's
 * rollback of its incomplete upload (move/backup-phase.ts) on an Object Lock bucket: no version left.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { zstdCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openObjectStore } from '../../src/s3/store.ts';
import { BackupFiles } from '../../src/core/bundle/layout.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { backupManifest } from '../support/fakes/backup-manifest.ts';
import type { BackupList } from '../../src/core/bundle/list.ts';
import type { PruneResult } from '../../src/core/backup/prune.ts';
import { keptWarnings } from '../../src/core/bundle/delete-objects.ts';
import { stageSnapshot, STAGED_EXPIRES_META, stagingKey } from '../../src/core/bundle/staging.ts';
import { deleteIncompleteUploadAt } from '../../src/core/move/backup-phase.ts';
import type { ObjectStore } from '../../src/core/ports.ts';
import { runCliInProcess } from '../support/cli.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { silentReporter, useS3Env } from './s3-env.ts';

const MiB = 1024 * 1024;
const DAY = 86_400_000;
const dir = path.join(os.tmpdir(), `hcpdr-staged-${process.pid}-${Date.now()}`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A backup id for a time; the tag names the backup in this test. */
const idAt = (at: Date, tag: string) =>
  `${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, '')}Z-${tag}`;

function manifest(id: string, name: string, createdAt: string, plain: Buffer): BackupManifest {
  const base = backupManifest(id, createdAt, { name });
  return {
    ...base,
    snapshot: { ...base.snapshot, sha256: sha(plain), size: plain.length },
    storage: { compression: 'zstd', objects: [] },
  };
}

describe('staged plaintext copies and a move rollback on the S3 test server', { timeout: 60_000 }, () => {
  let server: S3Server;
  let env: { restore(): void };
  let plain: ObjectStore;
  let locked: ObjectStore;
  const started = new Date();
  const open = async (bucket: string) =>
    (await openObjectStore({ url: `s3://${bucket}`, endpoint: server.endpoint }, silentReporter, { partSize: 5 * MiB })).store;
  const cli = (now: Date, ...args: string[]) =>
    runCliInProcess([...args, '--endpoint', server.endpoint], { clock: { now: () => now, sleep: async () => undefined } });

  /** A complete zstd backup of clusters/<name> created `ageMs` before the test started; its prefix. */
  async function putBackup(store: ObjectStore, name: string, tag: string, ageMs: number, snapshot: Buffer): Promise<string> {
    const at = new Date(started.getTime() - ageMs);
    const id = idAt(at, tag);
    const prefix = `hcp/clusters/${name}/${id}`;
    await store.put(`${prefix}/${BackupFiles.snapshot}`, zstdCompressSync(snapshot));
    await store.put(`${prefix}/${BackupFiles.hostedCluster}`, 'kind: HostedCluster\n');
    await store.put(`${prefix}/${BackupFiles.manifest}`, JSON.stringify(manifest(id, name, at.toISOString(), snapshot)));
    return prefix;
  }

  /** The real staging path: decoded in the stream, checked, written with its expiry. */
  async function stage(store: ObjectStore, prefix: string, target: string, expiresAt: Date, snapshot: Buffer): Promise<string> {
    const stagedKey = stagingKey(prefix, 'clusters', target);
    await stageSnapshot({
      store,
      sourceKey: `${prefix}/${BackupFiles.snapshot}`,
      stagedKey,
      expiresAt,
      keyring: undefined,
      expected: { sha256: sha(snapshot), size: snapshot.length },
    });
    return stagedKey;
  }

  beforeAll(async () => {
    server = await startS3Server({ dir: path.join(dir, 's3'), buckets: ['plain'], objectLockBuckets: ['locked'] });
    env = useS3Env(server, { AWS_REGION: server.region });
    [plain, locked] = await Promise.all([open('plain'), open('locked')]);
  });
  afterAll(async () => {
    env?.restore();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prune deletes expired copies (recorded expiry, or LastModified + 7d without it), keeps those ahead; --dry-run deletes nothing; list marks them', async () => {
    const small = Buffer.from('a bbolt file '.repeat(1000));
    const big = Buffer.alloc(11 * MiB, 7); // a multipart upload: its metadata goes with CreateMultipartUpload
    const newest = await putBackup(plain, 'demo', 'aaaaa1', 60_000, small);
    const older = await putBackup(plain, 'demo', 'bbbbb2', DAY, big);
    const later = new Date(started.getTime() + 8 * DAY); // prune runs 8 days on
    const expired = await stage(plain, newest, 'expired', new Date(started.getTime() + 3 * DAY), small);
    const ahead = await stage(plain, newest, 'ahead', new Date(started.getTime() + 30 * DAY), small);
    // Ahead, beside a backup the policy deletes: the copy stays (a restore may be using it).
    const aheadOfGone = await stage(plain, older, 'multipart', new Date(started.getTime() + 9 * DAY), big);
    expect((await plain.head(aheadOfGone))?.metadata).toEqual({
      [STAGED_EXPIRES_META]: new Date(started.getTime() + 9 * DAY).toISOString(),
    });
    // An older hcp-dr's copy: no metadata; LastModified is now, and no URL lives past 7 days.
    const legacy = `${newest}/.hcp-dr-staging/clusters/legacy/snapshot.db`;
    await plain.put(legacy, small);

    const list = await cli(started, 'backup', 'list', '--from', 's3://plain/hcp', '-o', 'json');
    expect(list.code, list.stderr).toBe(0);
    const items = (JSON.parse(list.stdout) as BackupList).items;
    expect(items.map((i) => (i.stagedCopies ?? []).map((c) => [c.url.split('/.hcp-dr-staging/')[1], c.expiresFrom]))).toEqual([
      [
        ['clusters/ahead/snapshot.db', 'recorded'],
        ['clusters/expired/snapshot.db', 'recorded'],
        ['clusters/legacy/snapshot.db', 'last-modified'],
      ],
      [['clusters/multipart/snapshot.db', 'recorded']],
    ]);
    const table = await cli(started, 'backup', 'list', '--from', 's3://plain/hcp');
    expect(table.stdout).toMatch(/zstd,plaintext-staged/);
    expect(table.stderr).toContain(
      `a staged plaintext copy of the snapshot of s3://plain/${newest}/ is in the bucket: s3://plain/${expired}`,
    );

    const prune = (...extra: string[]) => cli(later, 'backup', 'prune', '--from', 's3://plain/hcp', '--keep-last', '1', ...extra);
    const dry = await prune('--dry-run', '-o', 'json');
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as PruneResult;
    const actions = (r: PruneResult) => r.staged.map((c) => [c.url.replace('s3://plain/', ''), c.action]);
    expect(actions(planned)).toEqual([
      [aheadOfGone, 'keep'], // by URL: the older backup's id sorts first
      [ahead, 'keep'],
      [expired, 'delete'],
      [legacy, 'delete'],
    ]);
    expect(planned.summary.stagedDeleted).toBe(2);
    expect(planned.items.map((i) => [i.id.slice(-6), i.state, i.action])).toEqual([
      ['aaaaa1', 'complete', 'keep'],
      ['bbbbb2', 'complete', 'delete'],
    ]);
    for (const key of [expired, legacy, ahead, aheadOfGone]) expect(await plain.head(key)).toBeDefined();
    const dryTable = await prune('--dry-run');
    expect(dryTable.stdout).toMatch(/ACTION +STAGED PLAINTEXT COPY/);
    expect(dryTable.stdout).toMatch(/delete +s3:\/\/plain\/\S+\/clusters\/expired\/snapshot\.db .*its URL expired at/);
    expect(dryTable.stderr).toMatch(/dry run: would delete 1 backup and 2 expired staged plaintext copies/);

    const run = await prune('-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    expect(actions(JSON.parse(run.stdout) as PruneResult)).toEqual(actions(planned));
    expect(await plain.head(expired)).toBeUndefined();
    expect(await plain.head(legacy)).toBeUndefined();
    expect(await plain.head(ahead)).toBeDefined();
    // The older backup went, its copy stayed, and alone it is no incomplete backup.
    expect((await plain.list(`${older}/`)).map((o) => o.key)).toEqual([aheadOfGone]);
    const again = JSON.parse((await prune('-o', 'json')).stdout) as PruneResult;
    expect(again.items.map((i) => i.id.slice(-6))).toEqual(['aaaaa1']);
    expect(actions(again)).toEqual([
      [aheadOfGone, 'keep'],
      [ahead, 'keep'],
    ]);
  });

  it("stages with the least memory: 5 MiB parts where the store's own are 8 MiB (an 11 MiB copy in 3 parts, not 2)", async () => {
    const store = (await openObjectStore({ url: 's3://plain', endpoint: server.endpoint }, silentReporter)).store;
    const snapshot = Buffer.alloc(11 * MiB, 3);
    const prefix = await putBackup(store, 'parts', 'ccccc3', 60_000, snapshot);
    const stagedKey = await stage(store, prefix, 'parts', new Date(started.getTime() + DAY), snapshot);
    // A multipart object's entity tag ends in its number of parts.
    expect((await store.head(stagedKey))?.etag).toMatch(/-3"?$/);
    // The same bytes through the store's own part size: 2 parts.
    await store.put('hcp/parts-default', Readable.from([snapshot]));
    expect((await store.head('hcp/parts-default'))?.etag).toMatch(/-2"?$/);
  });

  it('on an Object Lock bucket prune deletes every version of an expired copy', async () => {
    const snapshot = Buffer.from('locked bucket snapshot '.repeat(500));
    const prefix = await putBackup(locked, 'vers', 'ccccc3', 60_000, snapshot);
    const expiresAt = new Date(started.getTime() + DAY);
    const key = await stage(locked, prefix, 'demo', expiresAt, snapshot);
    await stage(locked, prefix, 'demo', expiresAt, snapshot); // a re-run's copy over it: a second version
    expect(server.versions('locked', key).filter((v) => !v.marker)).toHaveLength(2);
    const run = await cli(
      new Date(started.getTime() + 2 * DAY),
      'backup',
      'prune',
      '--from',
      's3://locked/hcp',
      '--keep-last',
      '1',
      '-o',
      'json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as PruneResult).staged.map((c) => c.action)).toEqual(['delete']);
    expect(server.versions('locked', key)).toEqual([]);
    expect(await locked.head(`${prefix}/${BackupFiles.manifest}`)).toBeDefined();
  });

  it('a copy only a delete marker hides (a plain delete, as a lifecycle rule makes) is found and every version deleted, however far its URL; --dry-run keeps it', async () => {
    const snapshot = Buffer.from('hidden copy snapshot '.repeat(500));
    const prefix = await putBackup(locked, 'hide', 'ddddd4', 60_000, snapshot);
    const key = await stage(locked, prefix, 'demo', new Date(started.getTime() + 30 * DAY), snapshot);
    const live = await stage(locked, prefix, 'other', new Date(started.getTime() + 30 * DAY), snapshot);
    await locked.delete(key); // a plain delete: a marker over the plaintext, which stays as a noncurrent version
    expect(await locked.head(key)).toBeUndefined();
    expect(server.versions('locked', key).map((v) => v.marker)).toEqual([false, true]);
    const prune = (...extra: string[]) =>
      cli(started, 'backup', 'prune', 'hide', '-n', 'clusters', '--from', 's3://locked/hcp', '--keep-last', '1', ...extra);
    const asJson = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as PruneResult).staged.map((c) => [c.url.replace('s3://locked/', ''), c.action, c.hidden ?? false]);

    const listed = await cli(started, 'backup', 'list', 'hide', '-n', 'clusters', '--from', 's3://locked/hcp', '-o', 'json');
    expect(listed.code, listed.stderr).toBe(0);
    const [item] = (JSON.parse(listed.stdout) as BackupList).items;
    expect(item?.stagedCopies?.map((c) => [c.url.replace('s3://locked/', ''), c.hidden ?? false])).toEqual([
      [live, false],
      [key, true],
    ]);
    const listTable = await cli(started, 'backup', 'list', 'hide', '-n', 'clusters', '--from', 's3://locked/hcp');
    expect(listTable.stderr).toContain(`is hidden behind a delete marker, its data in noncurrent versions of s3://locked/${key}`);

    const dry = await prune('--dry-run', '-o', 'json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(asJson(dry)).toEqual([
      [live, 'keep', false],
      [key, 'delete', true],
    ]);
    expect(server.versions('locked', key)).toHaveLength(2);
    const table = await prune('--dry-run');
    expect(table.stdout).toMatch(/delete +s3:\/\/locked\/\S+\/clusters\/demo\/snapshot\.db .*hidden behind a delete marker/);
    expect(table.stderr).toMatch(/would delete 0 backups and 1 expired or hidden staged plaintext copy/);

    const run = await prune('-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    expect(asJson(run)).toEqual(asJson(dry));
    expect(server.versions('locked', key)).toEqual([]);
    expect(await locked.head(live)).toBeDefined();
    expect(asJson(await prune('-o', 'json'))).toEqual([[live, 'keep', false]]);
  });

  it("a move's rollback deletes every version of its incomplete upload and reports what Object Lock retains", async () => {
    const prefix = 'hcp/clusters/moved/20261207T120000Z-d0d0d0';
    await locked.put(`${prefix}/snapshot.db`, Readable.from([Buffer.alloc(6 * MiB, 1)]));
    await locked.put(`${prefix}/snapshot.db`, 'a second version');
    await locked.put(`${prefix}/manifests/hostedcluster.yaml`, 'kind: HostedCluster\n');
    const out = await deleteIncompleteUploadAt(locked, prefix, new Date());
    expect(out).toEqual({ deleted: 2, retained: [], hidden: [] });
    for (const f of ['snapshot.db', 'manifests/hostedcluster.yaml']) expect(server.versions('locked', `${prefix}/${f}`)).toEqual([]);

    const retainUntil = new Date(Date.now() + DAY);
    await locked.put(`${prefix}/secrets/key.yaml`, 'kind: Secret\n', { lock: { mode: 'compliance', retainUntil } });
    await locked.put(`${prefix}/snapshot.db`, 'partial');
    const kept = await deleteIncompleteUploadAt(locked, prefix, new Date());
    expect(kept.deleted).toBe(1);
    expect(kept.retained.map((r) => r.url)).toEqual([`s3://locked/${prefix}/secrets/key.yaml`]);
    expect(server.versions('locked', `${prefix}/snapshot.db`)).toEqual([]);
    expect(keptWarnings([`s3://locked/${prefix}/`], kept)).toEqual([
      expect.stringMatching(
        /^rollback kept 1 object\(s\) of the incomplete backup under s3:\/\/locked\/.* retained until .*`backup prune` deletes/,
      ),
    ]);
  });
});
