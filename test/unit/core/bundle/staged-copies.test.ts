/**
 * How `backup prune` judges staged plaintext copies (bundle/staged-copies.ts) against an in-memory
 * bucket: the recorded expiry decides, LastModified + 7 days stands in for a copy without it, a copy
 * with neither is kept; only expired ones are deleted, none with dryRun.
 */
import { describe, expect, it } from 'vitest';
import { isStagedKeyOf, pruneStaged, stagedExpiry } from '../../../../src/core/bundle/staged-copies.ts';
import { STAGED_EXPIRES_META, stagingKey } from '../../../../src/core/bundle/staging.ts';
import type { StoredObject } from '../../../../src/core/ports.ts';
import { memoryReporter } from '../../../support/fakes/clock.ts';
import { MemoryStore } from '../../render/helpers.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const prefix = 'hcp/clusters/demo/20261201T000000Z-abcdef';
const meta = (iso: string) => ({ metadata: { [STAGED_EXPIRES_META]: iso } });

/** MemoryStore whose head() answers a LastModified set per key. */
class DatedStore extends MemoryStore {
  readonly modified = new Map<string, Date>();
  override async head(key: string): Promise<StoredObject | undefined> {
    const h = await super.head(key);
    return h ? { ...h, lastModified: this.modified.get(key) } : undefined;
  }
}

describe('staged plaintext copies', () => {
  it('lie under <backup prefix>/.hcp-dr-staging/, and nothing else does', () => {
    expect(isStagedKeyOf(prefix, stagingKey(prefix, 'clusters', 'demo'))).toBe(true);
    expect(isStagedKeyOf(prefix, `${prefix}/snapshot.db`)).toBe(false);
    expect(isStagedKeyOf(prefix, `${prefix}-other/.hcp-dr-staging/x`)).toBe(false);
  });

  it('expire when their metadata says; without it 7 days after LastModified; with neither, never', () => {
    const base = { key: 'k', size: 1 };
    expect(stagedExpiry({ ...base, lastModified: NOW, ...meta('2026-12-08T00:00:00Z') })).toEqual({
      expiresAt: '2026-12-08T00:00:00.000Z',
      expiresFrom: 'recorded',
    });
    expect(stagedExpiry({ ...base, lastModified: NOW, ...meta('not a time') })).toEqual({
      expiresAt: '2026-12-14T12:00:00.000Z',
      expiresFrom: 'last-modified',
    });
    expect(stagedExpiry({ ...base, lastModified: undefined })).toEqual({ expiresFrom: 'unknown' });
  });

  it('prune deletes the expired ones only (an expiry of exactly now included), and nothing with dryRun', async () => {
    const store = new DatedStore('b');
    const key = (name: string) => stagingKey(prefix, 'clusters', name);
    await store.put(key('past'), 'p', meta('2026-12-07T11:59:59Z'));
    await store.put(key('now'), 'n', meta(NOW.toISOString()));
    await store.put(key('ahead'), 'a', meta('2026-12-07T12:00:01Z'));
    await store.put(key('legacy-old'), 'o');
    store.modified.set(key('legacy-old'), new Date(NOW.getTime() - 7 * 86_400_000 - 1));
    await store.put(key('legacy-young'), 'y');
    store.modified.set(key('legacy-young'), new Date(NOW.getTime() - 6 * 86_400_000));
    await store.put(key('undated'), 'u');
    const listed = await store.list(`${prefix}/`);
    const decisions = async (dryRun: boolean) =>
      (await pruneStaged(store, listed, { now: NOW, dryRun, reporter: memoryReporter() })).map((c) => [
        c.url.split('/clusters/')[2]?.replace('/snapshot.db', ''),
        c.action,
      ]);
    const expected = [
      ['ahead', 'keep'],
      ['legacy-old', 'delete'],
      ['legacy-young', 'keep'],
      ['now', 'delete'],
      ['past', 'delete'],
      ['undated', 'keep'],
    ];
    expect(await decisions(true)).toEqual(expected);
    expect(store.objects.size).toBe(6);
    expect(await decisions(false)).toEqual(expected);
    expect([...store.objects.keys()].map((k) => k.split('/clusters/')[2]).sort()).toEqual([
      'ahead/snapshot.db',
      'legacy-young/snapshot.db',
      'undated/snapshot.db',
    ]);
  });
});
