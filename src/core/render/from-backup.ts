/**
 * Restore inputs from an hcp-dr backup: backup.json, a pre-signed URL for snapshot.db, and the
 * original encryption key Secret recorded in it. The one part of render/ that does I/O, and
 * only through the ObjectStore port; the pre-signed URL is a credential and never appears
 * in a message.
 *
 * A snapshot stored compressed and/or encrypted cannot be signed as it is (etcd-init downloads a
 * plain snapshot): it is refused, unless the caller asked for a staged copy (`stage`, render
 * --stage-snapshot). Then the URL is signed for the copy's key (bundle/staging.ts
 * renderStagingKey, one per run) and the copy to write is returned (`staging`): nothing is
 * written here, so the caller stages it only once its output is known to be valid.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { causeText, NotFoundError, PreconditionError } from '../errors.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import { BackupFiles, backupKey, backupRootOf } from '../bundle/layout.ts';
import { checkBackup, refuseUnsound } from '../bundle/check.ts';
import type { ObjectStore } from '../ports.ts';
import { renderStagingKey, urlExpiry } from '../bundle/staging.ts';
import { parseKeyMaterial, type KeySource } from './encryption.ts';
import { factsFromBackup, parseBackupManifest, type RestoreFacts } from './facts.ts';

export interface BackupInputsRequest {
  store: ObjectStore;
  /** Key prefix of the backup (…/<namespace>/<name>/<id>), without slashes at the ends. */
  prefix: string;
  /** Pre-sign snapshot.db for this many seconds; undefined = the caller has a URL. */
  expiresInSeconds?: number;
  /**
   * The key the user gave (--encryption-key-file or --encryption-key-secret); undefined = take
   * the key Secret backup.json records. Key material given is checked against the backup's.
   */
  givenKey?: KeySource;
  /** Opens the store of another bucket (a backup taken with --keys-to). */
  openBucket(bucket: string): Promise<ObjectStore>;
  /** Sign an encoded snapshot's staged copy instead of refusing it: this run's name (a time and a random part) and time. */
  stage?: { run: string; now: Date };
}

/** The decoded copy the signed URL names, to be written by stageSnapshot (bundle/staging.ts). */
export interface StagingPlan {
  sourceKey: string;
  stagedKey: string;
  /** When the URL expires: stored with the copy. */
  expiresAt: Date;
  expected: { sha256: string; size: number };
}

export interface BackupInputs {
  manifest: BackupManifest;
  facts: RestoreFacts;
  snapshotUrl?: string;
  key?: KeySource;
  /** Set when the URL names a staged copy not written yet (see the contract above). */
  staging?: StagingPlan;
}

export async function readBackupInputs(req: BackupInputsRequest): Promise<BackupInputs> {
  const { store, prefix } = req;
  const join = (file: string) => backupKey(prefix, file);
  const manifestKey = join(BackupFiles.manifest);
  const manifestUrl = store.url(manifestKey);
  const text = await readText(store, manifestKey).catch((err: unknown) => {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(
        `failed to read backup ${store.url(prefix)}: ${BackupFiles.manifest} not found (not a backup, or one that did not complete)`,
        {
          hint: `list the backups with "{cmd} backup list --from ${store.url(backupRootOf(prefix))}" and pass one of the URLs it shows`,
        },
      );
    }
    throw err;
  });
  const manifest = parseBackupManifest(text, manifestUrl);
  // The one reader of a backup: format, identity (path, backup.json, manifests) and files, as `backup verify` checks them.
  const refusal = refuseUnsound(await checkBackup(store, prefix));
  if (refusal) throw refusal;
  const result: BackupInputs = { manifest, facts: factsFromBackup(manifest, `backup ${store.url(prefix)}/`) };

  if (req.expiresInSeconds !== undefined && manifest.storage) {
    const stored = [manifest.storage.compression, manifest.storage.encryption ? 'age-encrypted' : ''].filter(Boolean).join(' and ');
    // etcd-init downloads restoreSnapshotURL as a plain snapshot: an encoded one needs a staged plain copy first.
    if (!req.stage)
      throw new PreconditionError(
        `failed to sign the snapshot of backup ${store.url(prefix)}/: it is stored ${stored}, and etcd-init downloads a plain snapshot`,
        {
          hint: `add --stage-snapshot${manifest.storage.encryption ? ' --decrypt-with <identity>' : ''} to stage a decoded (plaintext) copy in the bucket for the URL, restore in place with "{cmd} etcd restore ${manifest.hostedCluster.name} -n ${manifest.hostedCluster.namespace} --from-backup ${store.url(prefix)}/ --decrypt-with <identity>", or decrypt a copy by hand (docs/backups.md) and render with --snapshot-url`,
        },
      );
    const stagedKey = renderStagingKey(prefix, req.stage.run);
    result.staging = {
      sourceKey: join(manifest.snapshot.file || BackupFiles.snapshot),
      stagedKey,
      expiresAt: urlExpiry(req.stage.now, req.expiresInSeconds),
      expected: { sha256: manifest.snapshot.sha256, size: manifest.snapshot.size },
    };
    result.snapshotUrl = await store.presignGet(stagedKey, req.expiresInSeconds);
  } else if (req.expiresInSeconds !== undefined) {
    const snapshotKey = join(manifest.snapshot.file || BackupFiles.snapshot);
    const head = await store.head(snapshotKey);
    if (!head)
      throw new NotFoundError(`failed to read backup ${store.url(prefix)}: ${store.url(snapshotKey)} not found`, {
        hint: `check the backup with "{cmd} backup verify ${store.url(prefix)}/"`,
      });
    if (head.size !== manifest.snapshot.size) {
      throw new PreconditionError(
        `failed to verify ${store.url(snapshotKey)}: it is ${head.size} bytes, backup.json records ${manifest.snapshot.size}`,
        { hint: `check the backup with "{cmd} backup verify ${store.url(prefix)}/"; restore another one` },
      );
    }
    result.snapshotUrl = await store.presignGet(snapshotKey, req.expiresInSeconds);
  }

  if (manifest.encryption.type === 'aescbc') {
    const given = req.givenKey;
    if (given === undefined) result.key = await readStoredKey(store, manifest.encryption, manifestUrl, (bucket) => req.openBucket(bucket));
    else if (given.type === 'material')
      await checkGivenKey(given, store, manifest.encryption, manifestUrl, (bucket) => req.openBucket(bucket));
  }
  return result;
}

type AescbcRecord = Extract<BackupManifest['encryption'], { type: 'aescbc' }>;

/** The key Secret backup.json records, its SHA-256 checked against the recorded one. */
async function readStoredKey(
  store: ObjectStore,
  record: AescbcRecord,
  manifestUrl: string,
  openBucket: BackupInputsRequest['openBucket'],
): Promise<KeySource> {
  const { keyUrl, keySha256, activeKeySecret } = record;
  const location = parseObjectUrl(keyUrl, manifestUrl);
  const keyStore = location.bucket === store.bucket ? store : await openBucket(location.bucket);
  const body = await readBuffer(keyStore, location.key);
  if (keySha256 && sha256(body) !== keySha256) {
    throw new PreconditionError(
      `failed to verify the encryption key Secret ${keyUrl}: its SHA-256 differs from the one backup.json records`,
      {
        hint: 'the stored key was changed or replaced after the backup; find the original key',
      },
    );
  }
  return { ...parseKeyMaterial(body, keyUrl), secretName: activeKeySecret };
}

/**
 * Refuses (PreconditionError, exit 3) key material that is not the backup's: a snapshot restored
 * with another key has every Secret unreadable. The given file matches when it is the stored
 * Secret itself (its SHA-256 is the one backup.json records) or holds the same key bytes as the
 * stored Secret; when the stored Secret cannot be read, the key cannot be checked and is refused.
 */
async function checkGivenKey(
  given: Extract<KeySource, { type: 'material' }>,
  store: ObjectStore,
  record: AescbcRecord,
  manifestUrl: string,
  openBucket: BackupInputsRequest['openBucket'],
): Promise<void> {
  if (record.keySha256 && given.fileSha256 === record.keySha256) return;
  let stored: KeySource;
  try {
    stored = await readStoredKey(store, record, manifestUrl, openBucket);
  } catch (err) {
    throw new PreconditionError(
      `failed to check the encryption key from ${given.origin} against the backup: the key Secret it records (${record.keyUrl}) could not be read and checked: ${causeText(err)}`,
      {
        hint: 'give read access to that object, pass the key Secret file exactly as the backup stored it, or pass --encryption-key-secret <name> for a Secret you created yourself',
        cause: err,
      },
    );
  }
  if (stored.type === 'material' && stored.keyBase64 !== given.keyBase64) {
    throw new PreconditionError(
      `failed to render: the encryption key from ${given.origin} is not the key of the backup (${record.keyUrl}, SHA-256 recorded in backup.json)`,
      {
        hint: 'a restore with another key cannot read any Secret of the cluster; pass the original key, or omit --encryption-key-file to use the one the backup stored',
      },
    );
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function parseObjectUrl(url: string, manifestUrl: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match)
    throw new PreconditionError(`failed to read backup manifest ${manifestUrl}: encryption.keyUrl "${url}" is not an s3:// object URL`, {
      hint: 'pass the original key with --encryption-key-file or --encryption-key-secret',
    });
  return { bucket: match[1] as string, key: match[2] as string };
}

async function readBuffer(store: ObjectStore, key: string): Promise<Buffer> {
  const stream: Readable = await store.get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

async function readText(store: ObjectStore, key: string): Promise<string> {
  return (await readBuffer(store, key)).toString('utf8');
}
