/**
 * `render --from-backup --stage-snapshot`: the decoded (plaintext) copy of an encoded snapshot that
 * the rendered restoreSnapshotURL names (from-backup.ts signs it, this writes it).
 *
 * Contracts:
 *  - The copy is written with stageSnapshot (bundle/staging.ts): decoded in the stream, checked
 *    against backup.json's plain SHA-256 and size (a differing copy is deleted and refused), with
 *    the URL's expiry stored on it, so that `backup prune` deletes it once the URL has expired.
 *  - Each run has its own key (time and random part): a later render never overwrites a copy whose
 *    URL an earlier one handed out, and each copy carries its own URL's expiry.
 *  - stderr names where the plaintext is and when prune deletes it; render never deletes it
 *    itself (it does not know when etcd-init has downloaded it).
 */
import type { Keyring } from '../crypto/age-keys.ts';
import type { ObjectStore, Reporter } from '../ports.ts';
import { newBackupId } from '../bundle/layout.ts';
import { stageSnapshot } from '../bundle/staging.ts';
import type { StagingPlan } from './from-backup.ts';

/** What staging reads: the backup's store as stored (get gives the encoded bytes) and the identities that decode it. */
export interface StageSource {
  store: ObjectStore;
  keyring: Keyring | undefined;
}

/** This run's staging name and time, for from-backup.ts. */
export function stagingRun(now: Date): { run: string; now: Date } {
  return { run: newBackupId(now), now };
}

export async function stagePlan(source: StageSource, plan: StagingPlan, reporter: Reporter): Promise<void> {
  const url = source.store.url(plan.stagedKey);
  reporter.info(`staging a decoded (plaintext) copy of the snapshot at ${url} for the URL`);
  await stageSnapshot({
    store: source.store,
    sourceKey: plan.sourceKey,
    stagedKey: plan.stagedKey,
    expiresAt: plan.expiresAt,
    keyring: source.keyring,
    expected: plan.expected,
  });
  reporter.warn(
    `${url} holds the snapshot in plain text (verified against backup.json) until the URL expires at ${plan.expiresAt.toISOString()}; ` +
      `"backup prune" deletes it after that time, or delete it yourself once etcd has restored`,
  );
}
