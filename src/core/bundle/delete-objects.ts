/**
 * Deleting a backup's objects so that the data goes, not just its listing: shared by `backup
 * prune` (backup/prune-delete.ts) and the rollback of a backup's upload (backup/undo-upload.ts).
 *
 * Contracts:
 *  - deleteKeys(): batches where the store takes them (ObjectStore.deleteMany), one by one
 *    otherwise; with options.allVersions every version of each key is deleted by version id.
 *    The first failure throws.
 *  - removeObjects(), for a rollback: on a versioned bucket each key is deleted by version id
 *    (a plain delete there adds a delete marker and the data stays). A key the store refuses
 *    because a version of it is retained (Object Lock, ForbiddenError with a retention date
 *    ahead) is kept as it is, with no delete marker, and returned as retained; the governance
 *    bypass is never sent. A key refused for any other reason (credentials without
 *    s3:DeleteObjectVersion) is deleted plainly and returned as hidden: it is no longer listed,
 *    while its data stays behind a delete marker. Any other failure throws.
 */
import { ForbiddenError } from '../errors.ts';
import { mapBounded } from '../concurrency.ts';
import type { DeleteOptions, ObjectLock, ObjectStore } from '../ports.ts';

export async function deleteKeys(store: ObjectStore, keys: readonly string[], options: DeleteOptions = {}): Promise<void> {
  if (keys.length === 0) return;
  if (store.deleteMany) {
    await store.deleteMany(keys, options);
    return;
  }
  for (const key of keys) await store.delete(key, options);
}

export interface RetainedObject {
  /** s3://bucket/key */
  url: string;
  lock: ObjectLock;
}

export interface RemovedObjects {
  deleted: number;
  /** Kept: the store retains a version of each until its date (Object Lock). */
  retained: RetainedObject[];
  /** Deleted with a delete marker: the store refused to delete by version without a lock. */
  hidden: string[];
}

/** Whether the store keeps versions; a store that cannot say (no method, or the call refused) is taken as unversioned. */
export async function isVersioned(store: ObjectStore): Promise<boolean> {
  if (!store.versioned) return false;
  try {
    return await store.versioned();
  } catch {
    return false;
  }
}

/** See the contract above. `now` decides whether a retention still holds. */
export async function removeObjects(
  store: ObjectStore,
  keys: readonly string[],
  o: { versioned: boolean; now: Date; signal?: AbortSignal },
): Promise<RemovedObjects> {
  if (!o.versioned) {
    await mapBounded(keys, 8, (key) => store.delete(key, o.signal ? { signal: o.signal } : {}));
    return { deleted: keys.length, retained: [], hidden: [] };
  }
  const out: RemovedObjects = { deleted: 0, retained: [], hidden: [] };
  await mapBounded(keys, 8, async (key) => {
    try {
      await store.delete(key, { allVersions: true, ...(o.signal ? { signal: o.signal } : {}) });
      out.deleted++;
    } catch (err) {
      if (!(err instanceof ForbiddenError)) throw err;
      const lock = store.retention ? await store.retention(key) : undefined;
      if (lock && lock.retainUntil.getTime() > o.now.getTime()) {
        out.retained.push({ url: store.url(key), lock });
        return;
      }
      await store.delete(key, o.signal ? { signal: o.signal } : {});
      out.hidden.push(store.url(key));
    }
  });
  return out;
}

/**
 * What a rollback's removeObjects left, as warnings: objects deleted only behind delete markers,
 * and objects the store retains with the latest date (`where`: the prefixes, s3://.../). The same
 * lines for every rollback of an upload (a backup's, a move's).
 */
export function keptWarnings(where: readonly string[], out: Pick<RemovedObjects, 'retained' | 'hidden'>): string[] {
  const lines: string[] = [];
  if (out.hidden.length > 0) {
    lines.push(
      `rollback could not delete ${out.hidden.length} object(s) by version (allow s3:DeleteObjectVersion): their data stays behind delete markers, e.g. ${[...out.hidden].sort()[0]}`,
    );
  }
  if (out.retained.length === 0) return lines;
  const latest = out.retained.reduce((a, b) => (b.lock.retainUntil > a.lock.retainUntil ? b : a));
  const modes = [...new Set(out.retained.map((r) => r.lock.mode))].join('/');
  lines.push(
    `rollback kept ${out.retained.length} object(s) of the incomplete backup under ${where.join(' and ')}: ` +
      `retained until ${latest.lock.retainUntil.toISOString()} (Object Lock, ${modes}); the store refuses to delete them before, ` +
      `and \`backup prune\` deletes the incomplete backup after that date`,
  );
  return lines;
}
