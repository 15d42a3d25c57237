/**
 * hiddenStaged(): which staged copies only noncurrent versions are left of, from a store's version
 * listing, and what it does where the bucket keeps no versions or listing them is denied. The S3
 * side (test server and Ceph RGW) is in staged-copies.test.ts and rgw-object-lock.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { hiddenStaged } from '../../src/core/bundle/staged-copies.ts';
import { ForbiddenError } from '../../src/core/errors.ts';
import type { ObjectStore, ObjectVersion } from '../../src/core/ports.ts';

const STAGED = 'hcp/clusters/demo/20261207T120000Z-abcdef/.hcp-dr-staging/clusters/demo/snapshot.db';
const LIVE = 'hcp/clusters/demo/20261207T120000Z-abcdef/.hcp-dr-staging/clusters/other/snapshot.db';
const BACKUP_OBJECT = 'hcp/clusters/demo/20261207T120000Z-abcdef/snapshot.db';

const version = (key: string, id: string, o: Partial<ObjectVersion> = {}): ObjectVersion => ({
  key,
  versionId: id,
  latest: false,
  deleteMarker: false,
  size: 100,
  lastModified: new Date('2026-12-07T12:00:00Z'),
  ...o,
});

/** A store of the given versions; `versioned` and `listVersions` as a bucket would answer them. */
function storeOf(versions: ObjectVersion[] | Error, versioned = true): ObjectStore & { listed: string[] } {
  const listed: string[] = [];
  return {
    listed,
    versioned: () => Promise.resolve(versioned),
    listVersions: (prefix: string) => {
      listed.push(prefix);
      return versions instanceof Error ? Promise.reject(versions) : Promise.resolve(versions.filter((v) => v.key.startsWith(prefix)));
    },
  } as unknown as ObjectStore & { listed: string[] };
}

const warnings: string[] = [];
const reporter = { info: () => undefined, debug: () => undefined, warn: (m: string) => void warnings.push(m) };
const isStaged = (key: string) => key.includes('/.hcp-dr-staging/');

describe('hiddenStaged', () => {
  it('finds a staged copy with versions but no current object, its largest version as its size; skips live copies, markers and other objects', async () => {
    const store = storeOf([
      version(STAGED, 'v2', { latest: true, deleteMarker: true, size: 0 }),
      version(STAGED, 'v1', { size: 300 }),
      version(STAGED, 'v0', { size: 200 }),
      version(LIVE, 'l1', { latest: true }),
      version(BACKUP_OBJECT, 'b2', { latest: true, deleteMarker: true, size: 0 }),
      version(BACKUP_OBJECT, 'b1'),
    ]);
    const found = await hiddenStaged(store, 'hcp/', { current: new Set([LIVE]), isStaged, reporter });
    expect(found).toEqual([{ key: STAGED, size: 300, lastModified: new Date('2026-12-07T12:00:00Z') }]);
    expect(store.listed).toEqual(['hcp/']);
  });

  it('an unversioned bucket: no listing of versions at all', async () => {
    const store = storeOf([version(STAGED, 'v1')], false);
    expect(await hiddenStaged(store, 'hcp/', { current: new Set(), isStaged, reporter })).toEqual([]);
    expect(store.listed).toEqual([]);
  });

  it('listing versions denied: nothing found, one warning naming the permission; any other failure throws', async () => {
    warnings.length = 0;
    const denied = storeOf(new ForbiddenError('failed to list s3://b/hcp/: AccessDenied'));
    expect(await hiddenStaged(denied, 'hcp/', { current: new Set(), isStaged, reporter })).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(/were not looked for: failed to list s3:\/\/b\/hcp\/: AccessDenied \(allow s3:ListBucketVersions\)$/),
    ]);
    const broken = storeOf(new Error('connection reset'));
    await expect(hiddenStaged(broken, 'hcp/', { current: new Set(), isStaged, reporter })).rejects.toThrow('connection reset');
  });
});
