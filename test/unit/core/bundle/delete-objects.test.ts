/**
 * bundle/delete-objects.ts against a stateful store that keeps versions as S3 does (a plain delete
 * on a versioned bucket adds a delete marker; a retained version refuses a delete by version).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../../../src/core/errors.ts';
import { isVersioned, removeObjects } from '../../../../src/core/bundle/delete-objects.ts';
import type { DeleteOptions, ObjectLock, ObjectStore, StoredObject } from '../../../../src/core/ports.ts';

interface Version {
  marker: boolean;
  lock?: ObjectLock;
}

class VersionedStore implements ObjectStore {
  readonly bucket = 'b';
  readonly versions = new Map<string, Version[]>();
  /** Credentials without s3:DeleteObjectVersion. */
  denyVersionDeletes = false;
  readonly versioning: boolean | 'refused';
  readonly now: Date;
  constructor(versioning: boolean | 'refused', now: Date) {
    this.versioning = versioning;
    this.now = now;
  }
  url(key: string): string {
    return `s3://b/${key}`;
  }
  async put(key: string, _body: Buffer | string | Readable, options: { lock?: ObjectLock } = {}): Promise<void> {
    const v: Version = { marker: false, ...(options.lock ? { lock: options.lock } : {}) };
    this.versions.set(key, this.versioning === true ? [...(this.versions.get(key) ?? []), v] : [v]);
  }
  async get(): Promise<Readable> {
    return Readable.from([]);
  }
  async head(): Promise<StoredObject | undefined> {
    return undefined;
  }
  async list(prefix: string): Promise<StoredObject[]> {
    return [...this.versions]
      .filter(([k, vs]) => k.startsWith(prefix) && vs.length > 0 && !vs.at(-1)?.marker)
      .map(([key]) => ({ key, size: 1, lastModified: undefined }));
  }
  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const vs = this.versions.get(key) ?? [];
    if (!options.allVersions) {
      if (this.versioning === true) vs.push({ marker: true });
      else this.versions.delete(key);
      return;
    }
    if (this.denyVersionDeletes) throw new ForbiddenError(`failed to delete ${this.url(key)}: access denied`);
    const kept = vs.filter((v) => v.lock && v.lock.retainUntil > this.now);
    this.versions.set(key, kept);
    if (kept.length > 0) throw new ForbiddenError(`failed to delete ${this.url(key)}: access denied`);
  }
  async retention(key: string): Promise<ObjectLock | undefined> {
    return this.versions.get(key)?.findLast((v) => !v.marker)?.lock;
  }
  async versioned(): Promise<boolean> {
    if (this.versioning === 'refused') throw new ForbiddenError('GetBucketVersioning: access denied');
    return this.versioning;
  }
  async presignGet(): Promise<string> {
    return '';
  }
}

const now = new Date('2026-12-07T10:00:00Z');
const lock: ObjectLock = { mode: 'governance', retainUntil: new Date('2026-12-09T10:00:00Z') };
const keys = ['p/snapshot.db', 'p/secrets/a.yaml', 'p/secrets/b.yaml'];

async function storeWith(versioning: boolean | 'refused', locked: readonly string[] = []): Promise<VersionedStore> {
  const store = new VersionedStore(versioning, now);
  for (const k of keys) await store.put(k, 'x', locked.includes(k) ? { lock } : {});
  return store;
}

describe('removeObjects (a rollback of uploaded objects)', () => {
  it('deletes plainly on an unversioned bucket', async () => {
    const store = await storeWith(false);
    const out = await removeObjects(store, keys, { versioned: await isVersioned(store), now });
    expect(out).toEqual({ deleted: 3, retained: [], hidden: [] });
    expect([...store.versions.keys()]).toEqual([]);
  });

  it('on a versioned bucket deletes every version by id: no version and no delete marker is left', async () => {
    const store = await storeWith(true);
    await store.put('p/snapshot.db', 'again');
    const out = await removeObjects(store, keys, { versioned: await isVersioned(store), now });
    expect(out).toEqual({ deleted: 3, retained: [], hidden: [] });
    expect([...store.versions.values()].flat()).toEqual([]);
  });

  it('keeps a version under Object Lock without a delete marker and reports it with its date; deletes the rest', async () => {
    const store = await storeWith(true, ['p/snapshot.db', 'p/secrets/a.yaml']);
    const out = await removeObjects(store, keys, { versioned: true, now });
    expect(out.deleted).toBe(1);
    expect(out.retained.map((r) => r.url).sort()).toEqual(['s3://b/p/secrets/a.yaml', 's3://b/p/snapshot.db']);
    expect(out.retained.every((r) => r.lock.retainUntil.getTime() === lock.retainUntil.getTime())).toBe(true);
    expect([...store.versions.values()].flat().some((v) => v.marker)).toBe(false);
    expect((await store.list('p/')).map((o) => o.key).sort()).toEqual(['p/secrets/a.yaml', 'p/snapshot.db']);
  });

  it('a retention whose date has passed is no reason to keep: a refusal then is not taken for a lock', async () => {
    const store = await storeWith(true, ['p/snapshot.db']);
    store.denyVersionDeletes = true;
    const later = new Date(lock.retainUntil.getTime() + 1000);
    const out = await removeObjects(store, ['p/snapshot.db'], { versioned: true, now: later });
    expect(out).toEqual({ deleted: 0, retained: [], hidden: ['s3://b/p/snapshot.db'] });
  });

  it('with credentials that may not delete versions, deletes plainly and says the data stays behind a marker', async () => {
    const store = await storeWith(true);
    store.denyVersionDeletes = true;
    const out = await removeObjects(store, keys, { versioned: true, now });
    expect(out.hidden.sort()).toEqual(keys.map((k) => `s3://b/${k}`).sort());
    expect(await store.list('p/')).toEqual([]);
  });

  it('isVersioned: a store that cannot say (no method, or the call refused) is taken as unversioned', async () => {
    expect(await isVersioned(await storeWith('refused'))).toBe(false);
    expect(await isVersioned({ ...(await storeWith(true)), versioned: undefined } as unknown as ObjectStore)).toBe(false);
    expect(await isVersioned(await storeWith(true))).toBe(true);
  });
});
