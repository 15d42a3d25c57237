/**
 * The deleting half of `backup prune` (prune.ts decides). Per backup, in this order:
 *  1. backup.json, alone and first: from then on the backup is no longer listed as complete, so
 *     a run cut short never leaves a half-deleted backup that list, verify or restore would take;
 *  2. the objects its backup.json recorded outside the prefix (Secrets under --keys-to): right
 *     after, since once backup.json is gone nothing else says where they are;
 *  3. the rest of the prefix. What a cut-short run leaves of it is an incomplete prefix whose id
 *     is old, so the next prune deletes it as debris.
 * Keys go in batches where the store takes them, one by one otherwise (bundle/delete-objects.ts);
 * in a bucket with Object Lock every version of each key (options.allVersions, prune-lock.ts).
 * SIGINT/SIGTERM (the signal) is honoured between backups only: a backup begun is finished first,
 * since once its backup.json is gone nothing names its --keys-to objects. A request the signal cut
 * is sent once more (the S3 adapter lets requests made after the signal run, each bounded; a
 * second signal still exits at once); then the run stops with the interrupt.
 */
import type { DeleteOptions, ObjectStore } from '../ports.ts';
import { deleteKeys } from '../bundle/delete-objects.ts';
import type { PlannedDeletion, PruneDeps } from './prune.ts';

export async function deletePlanned(
  store: ObjectStore,
  planned: readonly PlannedDeletion[],
  deps: PruneDeps,
  options: DeleteOptions = {},
): Promise<void> {
  const stores = new Map<string, ObjectStore>([[store.bucket, store]]);
  const storeFor = async (bucket: string): Promise<ObjectStore> => {
    const known = stores.get(bucket);
    if (known) return known;
    const opened = await deps.openBucket(bucket);
    stores.set(bucket, opened);
    return opened;
  };
  /** A step cut by the signal is sent again: the backup begun is finished before the run stops. */
  const finish = async (step: () => Promise<void>): Promise<void> => {
    try {
      await step();
    } catch (err) {
      if (!deps.signal?.aborted) throw err;
      await step();
    }
  };
  for (const p of planned) {
    deps.signal?.throwIfAborted();
    const manifestKey = p.manifestKey;
    if (manifestKey) await finish(() => store.delete(manifestKey, options));
    for (const [bucket, keys] of p.external) {
      const other = await storeFor(bucket);
      await finish(() => deleteKeys(other, keys, options));
    }
    await finish(() => deleteKeys(store, p.rest, options));
    const extra = p.item.externalObjects.length ? ` and ${p.item.externalObjects.length} under --keys-to` : '';
    deps.reporter.info(`deleted ${p.item.url} (${p.item.objects} objects${extra})`);
  }
}
