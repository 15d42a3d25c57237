/**
 * The undo of a backup's `uploaded` phase: what an incomplete backup wrote is deleted, under its
 * prefix and, with --keys-to, under its keys prefix (only backup.json would name those).
 *
 * Contracts:
 *  - Never a complete backup: the caller does not undo once backup.json is written.
 *  - On a versioned bucket (every Object Lock bucket; a --lock-days backup's bucket is one, checked
 *    in preflight) objects are deleted by version id, so no delete marker hides data left behind
 *    (bundle/delete-objects.ts).
 *  - Objects the store retains (Object Lock) stay as they are and are reported with their date:
 *    `backup prune` deletes the incomplete prefix once it has passed. The governance bypass is
 *    never used here.
 *  - Best effort: a failure is a warning naming what is left, never a failed rollback (an
 *    incomplete prefix is not a backup: list shows it as incomplete and prune deletes it).
 */
import { causeText } from '../errors.ts';
import { isVersioned, keptWarnings, removeObjects, type RetainedObject } from '../bundle/delete-objects.ts';
import type { Clock, ObjectStore, Reporter } from '../ports.ts';

export interface WrittenPrefix {
  store: ObjectStore;
  /** Key prefix without the trailing slash. */
  prefix: string;
}

/** See the contract above; the returned text is the rollback's action. */
export async function deleteIncompleteBackup(
  written: readonly WrittenPrefix[],
  o: { locked: boolean; clock: Clock; reporter: Reporter },
): Promise<string | undefined> {
  const retained: RetainedObject[] = [];
  const hidden: string[] = [];
  try {
    for (const w of written) {
      const objects = await w.store.list(`${w.prefix}/`);
      const versioned = o.locked || (await isVersioned(w.store));
      const out = await removeObjects(
        w.store,
        objects.map((obj) => obj.key),
        { versioned, now: o.clock.now() },
      );
      retained.push(...out.retained);
      hidden.push(...out.hidden);
    }
  } catch (err) {
    o.reporter.warn(`rollback could not delete the incomplete upload: ${causeText(err)}`);
    return undefined;
  }
  const where = written.map((w) => `${w.store.url(w.prefix)}/`);
  for (const line of keptWarnings(where, { retained, hidden })) o.reporter.warn(line);
  if (retained.length === 0) return 'deleted the incomplete upload';
  return `kept ${retained.length} locked object(s) of the incomplete upload`;
}
