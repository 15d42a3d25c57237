/**
 * Staged plaintext copies (staging.ts) as `backup list` and `backup prune` see them: objects under
 * `<backup prefix>/.hcp-dr-staging/`, each the decoded snapshot of an encrypted or compressed backup.
 *
 * Contracts:
 *  - A copy's expiry is the STAGED_EXPIRES_META metadata it was written with (the expiry of the URL
 *    signed for it). A copy without it (written by an hcp-dr before it was recorded, or by hand)
 *    expires MAX_URL_EXPIRY_SECONDS after its LastModified: no URL hcp-dr signs lives longer. A copy
 *    with neither is never judged expired.
 *  - pruneStaged() deletes only copies whose expiry has passed (a copy ahead of it may be what a
 *    running restore's etcd-init is downloading), every version of each on a versioned bucket
 *    (deleteStaged); with dryRun it deletes nothing and reports the same decisions.
 *  - A copy a delete marker hides (a plain delete, or a lifecycle rule expiring current versions,
 *    on a versioned bucket) is no URL's any more, yet its plaintext stays as noncurrent versions:
 *    hiddenStaged() finds those (ListObjectVersions, where the store lists versions) and
 *    pruneStaged() deletes every version of each whatever its age.
 *  - Only keys and metadata are read, never a copy's bytes.
 */
import { forEachBounded } from '../concurrency.ts';
import { MAX_URL_EXPIRY_SECONDS } from '../controlplane/snapshot-url.ts';
import { ForbiddenError } from '../errors.ts';
import type { ObjectStore, ObjectVersion, Reporter, StoredObject } from '../ports.ts';
import { joinKey } from './layout.ts';
import { deleteStaged, keepsVersions, STAGED_EXPIRES_META, STAGING_DIR } from './staging.ts';

/** Whether `key` is a staged copy under the backup prefix `prefix` (no trailing slash). */
export const isStagedKeyOf = (prefix: string, key: string): boolean => key.startsWith(`${joinKey(prefix, STAGING_DIR)}/`);

export interface StagedCopy {
  /** s3://bucket/key of the copy. */
  url: string;
  size: number;
  /** When the copy's URL expires (ISO time); absent when it cannot be told. */
  expiresAt?: string;
  /** recorded: the copy's metadata; last-modified: LastModified + the longest URL lifetime (an older copy). */
  expiresFrom: 'recorded' | 'last-modified' | 'unknown';
  /** Only noncurrent versions are left of it, behind a delete marker (hiddenStaged). */
  hidden?: true;
}

/** A copy's expiry (see the contract above); `head` is the object as head() answers it. */
export function stagedExpiry(head: StoredObject): Pick<StagedCopy, 'expiresAt' | 'expiresFrom'> {
  const recorded = Date.parse(head.metadata?.[STAGED_EXPIRES_META] ?? '');
  if (!Number.isNaN(recorded)) return { expiresAt: new Date(recorded).toISOString(), expiresFrom: 'recorded' };
  if (head.lastModified)
    return { expiresAt: new Date(head.lastModified.getTime() + MAX_URL_EXPIRY_SECONDS * 1000).toISOString(), expiresFrom: 'last-modified' };
  return { expiresFrom: 'unknown' };
}

/** The listed copies with their expiry (one HEAD each: a listing carries no metadata); one gone since is left out. */
export async function describeStaged(
  store: ObjectStore,
  listed: readonly StoredObject[],
  o: { concurrency?: number } = {},
): Promise<StagedCopy[]> {
  const out: StagedCopy[] = [];
  await forEachBounded(listed, o.concurrency ?? 8, async (obj) => {
    const head = await store.head(obj.key);
    if (!head) return;
    out.push({
      url: store.url(obj.key),
      size: head.size,
      ...stagedExpiry({ ...head, lastModified: head.lastModified ?? obj.lastModified }),
    });
  });
  return out.sort((a, b) => a.url.localeCompare(b.url));
}

export interface StagedPruneItem extends StagedCopy {
  action: 'keep' | 'delete';
  reason: string;
  /** What may remain after the delete (a version the store refused to delete). */
  note?: string;
}

/**
 * Staged copies under `search` of which only noncurrent versions are left (see the contract
 * above); `current` holds the keys the listing found, `isStaged` tells a staged copy's key.
 * Empty where the bucket keeps no versions or the store does not list them; where listing them is
 * denied, also empty, with a warning (prune's own work does not depend on it).
 */
export async function hiddenStaged(
  store: ObjectStore,
  search: string,
  o: { current: ReadonlySet<string>; isStaged: (key: string) => boolean; reporter?: Reporter },
): Promise<StoredObject[]> {
  if (!store.listVersions || !(await keepsVersions(store))) return [];
  let versions: ObjectVersion[];
  try {
    versions = await store.listVersions(search);
  } catch (err) {
    if (!(err instanceof ForbiddenError)) throw err;
    o.reporter?.warn(`staged copies hidden behind delete markers were not looked for: ${err.message} (allow s3:ListBucketVersions)`);
    return [];
  }
  const { current, isStaged } = o;
  const hidden = new Map<string, StoredObject>();
  for (const v of versions) {
    if (v.deleteMarker || current.has(v.key) || !isStaged(v.key)) continue;
    const seen = hidden.get(v.key);
    hidden.set(v.key, { key: v.key, size: Math.max(seen?.size ?? 0, v.size), lastModified: v.lastModified });
  }
  return [...hidden.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** A hidden copy as list and prune show it: no expiry (no URL reads it), the largest of its versions. */
export const hiddenCopy = (store: ObjectStore, h: StoredObject): StagedCopy => ({
  url: store.url(h.key),
  size: h.size,
  expiresFrom: 'unknown',
  hidden: true,
});

/** Judges each copy against `now`, deletes the expired and the hidden ones unless dryRun (see the contract above). */
export async function pruneStaged(
  store: ObjectStore,
  listed: readonly StoredObject[],
  o: { now: Date; dryRun: boolean; reporter: Reporter; hidden?: readonly StoredObject[] },
): Promise<StagedPruneItem[]> {
  const hidden = o.hidden ?? [];
  const items: StagedPruneItem[] = [
    ...(await describeStaged(store, listed)).map((c) => judge(c, o.now)),
    ...hidden.map((h): StagedPruneItem => ({
      ...hiddenCopy(store, h),
      action: 'delete',
      reason: 'staged plaintext copy hidden behind a delete marker: no URL reads it, its noncurrent versions hold the data',
    })),
  ];
  const keyOf = new Map([...listed, ...hidden].map((obj) => [store.url(obj.key), obj.key]));
  for (const item of items) {
    const key = keyOf.get(item.url);
    if (item.action !== 'delete' || o.dryRun || key === undefined) continue;
    // A failure throws (the store's errors name the key): what was deleted before stays deleted.
    const note = await deleteStaged(store, key);
    if (note) {
      item.note = note;
      o.reporter.warn(note);
    }
  }
  return items;
}

function judge(c: StagedCopy, now: Date): StagedPruneItem {
  if (c.expiresAt === undefined) return { ...c, action: 'keep', reason: 'staged copy of unknown age (no expiry, no LastModified)' };
  const from = c.expiresFrom === 'recorded' ? 'its URL' : 'the longest URL hcp-dr signs, counted from LastModified,';
  return Date.parse(c.expiresAt) <= now.getTime()
    ? { ...c, action: 'delete', reason: `staged plaintext copy: ${from} expired at ${c.expiresAt}` }
    : { ...c, action: 'keep', reason: `staged plaintext copy: ${from} is valid until ${c.expiresAt} (a restore may be using it)` };
}
