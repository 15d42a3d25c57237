/**
 * S3 Object Lock in `backup prune`: a backup that no retention rule keeps but whose objects the
 * store still retains is reported as "retained until <date> (Object Lock)" and kept, not failed:
 * the store would refuse to delete its data anyway. Whether the bucket has Object Lock is asked
 * once (GetObjectLockConfiguration), and only when something is to be deleted.
 *
 * Contracts:
 *  - The retention is the store's (GetObjectRetention of backup.json, or of the first object of
 *    an incomplete prefix), else what backup.json records: the store's is what holds.
 *  - The governance bypass is used only when asked (--bypass-governance), and only for governance
 *    locks; a compliance lock is always kept until its date.
 *  - In a bucket with Object Lock (always versioned) the deletion goes by version id
 *    (DeleteOptions.allVersions): a plain delete would only add a delete marker, hiding the
 *    backup from list while its data stays.
 */
import type { DeleteOptions, ObjectLock, ObjectStore, Reporter } from '../ports.ts';
import type { PlannedDeletion } from './prune.ts';

export interface LockDecision {
  /** The deletions that may go ahead. */
  planned: PlannedDeletion[];
  /** How they are deleted. */
  deleteOptions: DeleteOptions;
}

export async function holdLockedBackups(
  store: ObjectStore,
  planned: PlannedDeletion[],
  o: { now: Date; bypassGovernance: boolean; reporter: Reporter; manifestLock: (p: PlannedDeletion) => ObjectLock | undefined },
): Promise<LockDecision> {
  if (planned.length === 0 || !store.objectLockEnabled || !(await store.objectLockEnabled())) {
    return { planned, deleteOptions: {} };
  }
  const go: PlannedDeletion[] = [];
  for (const p of planned) {
    const probe = p.manifestKey ?? p.rest[0];
    const lock = (probe && store.retention ? await store.retention(probe) : undefined) ?? o.manifestLock(p);
    if (!lock || lock.retainUntil.getTime() <= o.now.getTime()) {
      go.push(p);
      continue;
    }
    const until = lock.retainUntil.toISOString();
    if (lock.mode === 'governance' && o.bypassGovernance) {
      o.reporter.warn(`deleting ${p.item.url} before its Object Lock date ${until} (--bypass-governance)`);
      p.item.reasons = [...p.item.reasons, `governance lock until ${until} bypassed (--bypass-governance)`];
      go.push(p);
      continue;
    }
    p.item.action = 'keep';
    p.item.retainedUntil = until;
    p.item.reasons = [`retained until ${until} (Object Lock, ${lock.mode})`];
    o.reporter.info(`keeping ${p.item.url}: retained until ${until} (Object Lock, ${lock.mode})`);
  }
  return { planned: go, deleteOptions: { allVersions: true, ...(o.bypassGovernance ? { bypassGovernance: true } : {}) } };
}
