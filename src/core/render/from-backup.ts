/**
 * Restore inputs from an hcp-dr backup: backup.json, a pre-signed URL for snapshot.db, and the
 * original encryption key Secret recorded in it. The one part of render/ that does I/O, and
 * only through the ObjectStore port; the pre-signed URL is a credential and never appears
 * in a message.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { NotFoundError, PreconditionError } from '../errors.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import { BackupFiles } from '../bundle/layout.ts';
import type { ObjectStore } from '../ports.ts';
import { parseKeyMaterial, type KeySource } from './encryption.ts';
import { factsFromBackup, parseBackupManifest, type RestoreFacts } from './facts.ts';

export interface BackupInputsRequest {
  store: ObjectStore;
  /** Key prefix of the backup (…/<namespace>/<name>/<id>), without slashes at the ends. */
  prefix: string;
  /** Pre-sign snapshot.db for this many seconds; undefined = the caller has a URL. */
  expiresInSeconds?: number;
  /** Read the encryption key Secret recorded in backup.json (false when the key comes from flags). */
  readKey: boolean;
  /** Opens the store of another bucket (a backup taken with --keys-to). */
  openBucket(bucket: string): Promise<ObjectStore>;
}

export interface BackupInputs {
  manifest: BackupManifest;
  facts: RestoreFacts;
  snapshotUrl?: string;
  key?: KeySource;
}

export async function readBackupInputs(req: BackupInputsRequest): Promise<BackupInputs> {
  const { store, prefix } = req;
  const join = (file: string) => (prefix ? `${prefix}/${file}` : file);
  const manifestKey = join(BackupFiles.manifest);
  const manifestUrl = store.url(manifestKey);
  const text = await readText(store, manifestKey).catch((err: unknown) => {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`failed to read backup ${store.url(prefix)}: ${BackupFiles.manifest} not found (not a backup, or one that did not complete)`, {
        hint: 'list the backups with "{cmd} backup list s3://..." and pass one of them',
      });
    }
    throw err;
  });
  const manifest = parseBackupManifest(text, manifestUrl);
  const result: BackupInputs = { manifest, facts: factsFromBackup(manifest, `backup ${store.url(prefix)}/`) };

  if (req.expiresInSeconds !== undefined) {
    const snapshotKey = join(manifest.snapshot.file || BackupFiles.snapshot);
    const head = await store.head(snapshotKey);
    if (!head) throw new NotFoundError(`failed to read backup ${store.url(prefix)}: ${store.url(snapshotKey)} not found`);
    if (head.size !== manifest.snapshot.size) {
      throw new PreconditionError(`failed to verify ${store.url(snapshotKey)}: it is ${head.size} bytes, backup.json records ${manifest.snapshot.size}`);
    }
    result.snapshotUrl = await store.presignGet(snapshotKey, req.expiresInSeconds);
  }

  if (req.readKey && manifest.encryption.type === 'aescbc') {
    const { keyUrl, keySha256, activeKeySecret } = manifest.encryption;
    const location = parseObjectUrl(keyUrl, manifestUrl);
    const keyStore = location.bucket === store.bucket ? store : await req.openBucket(location.bucket);
    const body = await readBuffer(keyStore, location.key);
    const digest = createHash('sha256').update(body).digest('hex');
    if (keySha256 && digest !== keySha256) {
      throw new PreconditionError(`failed to verify the encryption key Secret ${keyUrl}: its SHA-256 differs from the one backup.json records`, {
        hint: 'the stored key was changed or replaced after the backup; find the original key',
      });
    }
    const material = parseKeyMaterial(body, keyUrl);
    result.key = { ...material, secretName: activeKeySecret };
  }
  return result;
}

function parseObjectUrl(url: string, manifestUrl: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new PreconditionError(`failed to read backup manifest ${manifestUrl}: encryption.keyUrl "${url}" is not an s3:// object URL`);
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
