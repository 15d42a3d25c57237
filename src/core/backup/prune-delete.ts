/**
 * The deleting half of `backup prune` (prune.ts decides). Per backup, in this order:
 *  1. backup.json, alone and first: from then on the backup is no longer listed as complete, so
 *     a run cut short never leaves a half-deleted backup that list, verify or restore would take;
 *  2. the objects its backup.json recorded outside the prefix (Secrets under --keys-to): right
 *     after, since once backup.json is gone nothing else says where they are;
 *  3. the rest of the prefix. What a cut-short run leaves of it is an incomplete prefix whose id
 *     is old, so the next prune deletes it as debris.
 * Keys go in batches where the store takes them (ObjectStore.deleteMany), one by one otherwise.
 */
import type { ObjectStore } from '../ports.ts';
import type { PlannedDeletion, PruneDeps } from './prune.ts';

export async function deletePlanned(store: ObjectStore, planned: readonly PlannedDeletion[], deps: PruneDeps): Promise<void> {
  const stores = new Map<string, ObjectStore>([[store.bucket, store]]);
  const storeFor = async (bucket: string): Promise<ObjectStore> => {
    const known = stores.get(bucket);
    if (known) return known;
    const opened = await deps.openBucket(bucket);
    stores.set(bucket, opened);
    return opened;
  };
  for (const p of planned) {
    deps.signal?.throwIfAborted();
    if (p.manifestKey) await store.delete(p.manifestKey);
    for (const [bucket, keys] of p.external) await deleteKeys(await storeFor(bucket), keys, deps.signal);
    await deleteKeys(store, p.rest, deps.signal);
    const extra = p.item.externalObjects.length ? ` and ${p.item.externalObjects.length} under --keys-to` : '';
    deps.reporter.info(`deleted ${p.item.url} (${p.item.objects} objects${extra})`);
  }
}

async function deleteKeys(store: ObjectStore, keys: readonly string[], signal: AbortSignal | undefined): Promise<void> {
  if (keys.length === 0) return;
  if (store.deleteMany) {
    await store.deleteMany(keys, signal ? { signal } : {});
    return;
  }
  for (const key of keys) {
    signal?.throwIfAborted();
    await store.delete(key);
  }
}
