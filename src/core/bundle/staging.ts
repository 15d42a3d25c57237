/**
 * Staging: etcd-init downloads a plain snapshot from restoreSnapshotURL, so a backup stored
 * compressed and/or encrypted (backup.json `storage`) is restored from a decoded copy written
 * beside it, under a short-lived key, and that key is what the HostedCluster's URL names.
 *
 * The key is deterministic (stagingKey): `<backup prefix>/.hcp-dr-staging/<namespace>/<name>/snapshot.db`,
 * of the backup and the HostedCluster restored into. Where its existence is known:
 *  - before the point of no return nothing is written on the cluster (restore/store.ts), so a
 *    re-run of the same restore recomputes this same key: it stages again over it and deletes it
 *    at the end as any run does; the undo of the `staged` phase deletes it on a failure or an
 *    interrupt before the point of no return;
 *  - from the point of no return the restore record on the HostedCluster names it
 *    (record.snapshot.staged), so `resume` and a re-run delete it once the verifying phase ends.
 * The copy is the plaintext snapshot for its lifetime: stage only when needed, delete as soon as
 * etcd-init and a split-brain repair no longer need it (the end of verifying).
 *
 * Every copy carries its expiry (user metadata STAGED_EXPIRES_META, ISO time): the expiry of the URL
 * pre-signed for it, after which etcd-init cannot download it. A copy whose run was killed and never
 * resumed is deleted by `backup prune` once that time has passed (staged-copies.ts). `render
 * --stage-snapshot` stages under its own key per run (renderStagingKey), for the same reason.
 */
import { ForbiddenError, NotFoundError, PreconditionError } from '../errors.ts';
import type { Keyring } from '../crypto/age-keys.ts';
import type { ObjectStore } from '../ports.ts';
import { openBackupObject } from './encoded.ts';
import { isVersioned } from './delete-objects.ts';
import { backupKey, joinKey } from './layout.ts';
import type { BackupManifest } from './manifest.ts';
import { DigestStream } from '../snapshot/digest-stream.ts';

export const STAGING_DIR = '.hcp-dr-staging';
/** User metadata on every staged copy: when the URL signed for it expires (ISO time). */
export const STAGED_EXPIRES_META = 'hcp-dr-expires';

/** When a URL signed at `now` for `seconds` expires: what a staged copy records (taken before signing, never later than the URL). */
export const urlExpiry = (now: Date, seconds: number): Date => new Date(now.getTime() + seconds * 1000);

/** Whether the backup's objects are stored in another form than the plain bytes etcd-init needs. */
export const needsStaging = (m: Pick<BackupManifest, 'storage'>): boolean => m.storage !== undefined;

/** The staged copy's key for a restore of the backup under `prefix` into namespace/name. */
export function stagingKey(prefix: string, namespace: string, name: string): string {
  return backupKey(joinKey(prefix), `${STAGING_DIR}/${namespace}/${name}/snapshot.db`);
}

/** The staged copy of one `render --stage-snapshot` run (`run`: its time and a random part), beside restore's keys. */
export function renderStagingKey(prefix: string, run: string): string {
  return backupKey(joinKey(prefix), `${STAGING_DIR}/render/${run}/snapshot.db`);
}

export interface StageInput {
  store: ObjectStore;
  /** The backup's stored snapshot object. */
  sourceKey: string;
  stagedKey: string;
  /** When the URL signed for the copy expires: stored with it (STAGED_EXPIRES_META) for `backup prune`. */
  expiresAt: Date;
  keyring: Keyring | undefined;
  /** backup.json's plain SHA-256 and size of the snapshot. */
  expected: { sha256: string; size: number };
  signal?: AbortSignal | undefined;
  onBytes?: ((n: number) => void) | undefined;
}

/**
 * Decodes the stored snapshot in the stream into `stagedKey` (a multipart upload with the store's
 * bounded memory), hashing the plain bytes on the way; a copy that differs from backup.json is
 * deleted and refused. Idempotent: it overwrites an earlier run's copy.
 */
export async function stageSnapshot(input: StageInput): Promise<{ sha256: string; size: number }> {
  const { store, stagedKey } = input;
  const signal = input.signal ? { signal: input.signal } : {};
  const plain = await openBackupObject(store, input.sourceKey, input.keyring, signal);
  const digest = new DigestStream(input.onBytes);
  plain.on('error', (err) => digest.destroy(err));
  plain.pipe(digest);
  try {
    // The least memory: decoding holds the download's, age's and zstd's buffers beside the upload's
    // parts. With the store's own (5 parts of 8 MiB) a staged restore peaked at 200-206 MiB
    // (bench/restore-staging.ts, 100 MiB, 2 cores; the bound is 200), with 5 MiB parts at
    // 177-185 MiB, for a slower copy: staging took 1.9-2.4 s against 1.6-2.3 s. 5 MiB parts hold
    // 48 GiB in S3's 10,000; etcd's database stops at 8 GiB.
    await store.put(stagedKey, digest, {
      leastMemory: true,
      contentType: 'application/octet-stream',
      metadata: { [STAGED_EXPIRES_META]: input.expiresAt.toISOString() },
      ...signal,
    });
  } catch (err) {
    plain.destroy();
    throw err;
  }
  const { sha256, size } = digest.result();
  const stored = await store.head(stagedKey);
  if (sha256 !== input.expected.sha256 || size !== input.expected.size || stored?.size !== size) {
    await deleteStaged(store, stagedKey);
    throw new PreconditionError(
      `failed to stage the snapshot: the decoded copy (${size} bytes, SHA-256 ${sha256}${stored?.size !== size ? `, ${stored?.size ?? 'no'} bytes stored` : ''}) differs from backup.json (${input.expected.size} bytes, ${input.expected.sha256})`,
      {
        hint: 'the staged copy was deleted; verify the backup with "{cmd} backup verify <backup-url> --decrypt-with <identity>" or pick another',
      },
    );
  }
  return { sha256, size };
}

/** Whether a plain delete in the bucket only hides an object (versioned, or with Object Lock); false where it cannot be told. */
export async function keepsVersions(store: ObjectStore): Promise<boolean> {
  return (await isVersioned(store)) || ((await store.objectLockEnabled?.().catch(() => false)) ?? false);
}

/**
 * Deletes the staged copy; one already gone is no error. On a bucket with Object Lock (always
 * versioned) every version of it, by version id: a plain delete there only adds a delete marker
 * and the plaintext stays as a noncurrent version. Where that is refused (no permission for
 * versions, a default retention), a plain delete and a note saying what may remain. A versioned
 * bucket without Object Lock is treated the same way (GetBucketVersioning).
 */
export async function deleteStaged(store: ObjectStore, stagedKey: string): Promise<string | undefined> {
  const versioned = await keepsVersions(store);
  try {
    await store.delete(stagedKey, versioned ? { allVersions: true } : {});
    return undefined;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    if (!versioned || !(err instanceof ForbiddenError)) throw err;
    await store.delete(stagedKey);
    return `its versions could not be deleted (${err.message}): the plaintext may remain as a noncurrent version of ${store.url(stagedKey)}`;
  }
}
