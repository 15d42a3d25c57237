/**
 * The Object Lock check of `backup verify`: a backup.json that records a lock (backup
 * --lock-days) is checked against the store's own retention of backup.json and the snapshot
 * (GetObjectRetention): same mode, retained at least until the recorded date. A lock that has
 * expired is reported, not failed: the data is intact, only no longer protected.
 */
import type { ObjectStore } from '../ports.ts';
import type { BackupLock } from './manifest.ts';

export interface LockCheck {
  name: 'object-lock';
  ok: boolean;
  detail: string;
}

export async function checkObjectLock(store: ObjectStore, keys: readonly string[], lock: BackupLock, now: Date): Promise<LockCheck> {
  const recorded = `${lock.mode} until ${lock.retainUntil}`;
  if (!store.retention) return { name: 'object-lock', ok: true, detail: `${recorded} (recorded; the store was not asked)` };
  const until = Date.parse(lock.retainUntil);
  for (const key of keys) {
    const held = await store.retention(key);
    const name = key.slice(key.lastIndexOf('/') + 1);
    if (!held)
      return { name: 'object-lock', ok: false, detail: `backup.json records ${recorded}, but ${name} has no retention in the store` };
    if (held.mode !== lock.mode || held.retainUntil.getTime() < until - 1000) {
      return {
        name: 'object-lock',
        ok: false,
        detail: `backup.json records ${recorded}, but the store holds ${name} in ${held.mode} mode until ${held.retainUntil.toISOString()}`,
      };
    }
  }
  const expired = until <= now.getTime() ? ' (expired: no longer protected)' : '';
  return { name: 'object-lock', ok: true, detail: `${recorded}${expired}, held by the store for ${keys.length} objects checked` };
}
