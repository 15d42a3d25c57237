/**
 * Reading a backup whose objects may be compressed and/or encrypted (backup.json `storage`).
 * The reader API of every command that reads a backup:
 *  - openBackupObject: one object as its plain bytes, whatever its stored form;
 *  - plainStore: the store seen through openBackupObject (get decodes; everything else as is), so
 *    a reader written for plain backups reads encoded ones unchanged;
 *  - requireReadable: refuses, before anything is read or changed, an encrypted backup without a
 *    matching identity;
 *  - storedChecks: the stored bytes of every recorded object against backup.json (no key needed),
 *    and with a keyring their plain bytes too.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { NotFoundError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { requireKeyFor, type Keyring } from '../crypto/age-keys.ts';
import { decodeStream, MeterStream } from '../crypto/codec.ts';
import type { BackupManifest, StoredObjectRecord } from './manifest.ts';
import { BackupFiles, backupKey, joinKey, parseObjectUrl } from './layout.ts';
import { readManifest } from './read.ts';

/** The plain bytes of `key`: decrypted with `keyring` when age-encrypted, decompressed when zstd. */
export async function openBackupObject(
  store: ObjectStore,
  key: string,
  keyring: Keyring | undefined,
  options: { signal?: AbortSignal } = {},
): Promise<Readable> {
  return decodeStream(await store.get(key, options), keyring, store.url(key));
}

/** Marks a plainStore: a check that reads through a store without it sees stored (encoded) bytes. */
export const DECODES = Symbol('hcp-dr.decodes');
export const decodes = (store: ObjectStore): boolean => (store as unknown as Record<symbol, unknown>)[DECODES] === true;

/** `store` with get() giving plain bytes (openBackupObject). */
export function plainStore(store: ObjectStore, keyring: Keyring | undefined): ObjectStore {
  const get: ObjectStore['get'] = (key, options = {}) => openBackupObject(store, key, keyring, options);
  // A proxy, not a copy: the adapter's optional methods stay as they are, called on the adapter itself.
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'get') return get;
      if (prop === DECODES) return true;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export const isEncrypted = (m: Pick<BackupManifest, 'storage'>): boolean => (m.storage?.encryption?.recipients.length ?? 0) > 0;

/** Throws (PreconditionError, nothing changed) when `m` is encrypted and `keyring` opens none of its recipients. */
export function requireReadable(m: Pick<BackupManifest, 'storage'>, keyring: Keyring | undefined, what: string): void {
  if (isEncrypted(m)) requireKeyFor(m.storage?.encryption?.recipients ?? [], keyring, what);
}

/** backup.json's record of the object at `url`, if it was encoded. */
export const storedRecord = (m: Pick<BackupManifest, 'storage'>, url: string): StoredObjectRecord | undefined =>
  m.storage?.objects.find((o) => o.url === url);

interface StoredCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * Every recorded object of this bucket but `skipUrl` (the snapshot, which the caller streams once
 * itself): its stored SHA-256 and size, and with `keyring` its plain SHA-256 and size.
 */
export async function storedChecks(
  store: ObjectStore,
  m: BackupManifest,
  keyring: Keyring | undefined,
  skipUrl: string,
  signal?: AbortSignal,
): Promise<StoredCheck[]> {
  if (!m.storage) return [];
  const bad: string[] = [];
  let checked = 0;
  for (const rec of m.storage.objects) {
    const loc = parseObjectUrl(rec.url);
    if (rec.url === skipUrl || !loc || loc.bucket !== store.bucket) continue;
    let raw: Readable;
    try {
      raw = await store.get(loc.key, signal ? { signal } : {});
    } catch (err) {
      if (err instanceof NotFoundError) continue; // the files check names it
      throw err;
    }
    const meter = new MeterStream();
    raw.pipe(meter);
    const plain = keyring || !isEncrypted(m) ? await decodeStream(meter, keyring, rec.url) : meter;
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of plain as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    checked++;
    if (meter.sha256() !== rec.storedSha256 || meter.size !== rec.storedSize) bad.push(`${rec.url} (stored bytes)`);
    else if (plain !== meter && (hash.digest('hex') !== rec.sha256 || size !== rec.size)) bad.push(`${rec.url} (content)`);
  }
  const what = [m.storage.compression ? `${m.storage.compression}-compressed` : '', isEncrypted(m) ? 'age-encrypted' : '']
    .filter(Boolean)
    .join(', ');
  const scope = isEncrypted(m) && !keyring ? 'stored bytes only (no identity given: contents not checked)' : 'stored bytes and contents';
  return [
    bad.length === 0
      ? { name: 'stored', ok: true, detail: `${checked} ${what} objects match backup.json: ${scope}` }
      : { name: 'stored', ok: false, detail: `differ from backup.json: ${bad.join(', ')}` },
  ];
}

/**
 * The backup under `prefix` opened for reading: backup.json read and, when it is encrypted, the
 * identity checked against its recipients (before anything else is read); the store given back
 * decodes (plainStore). A missing backup.json is the caller's to report: this only refuses keys.
 */
export async function openEncodedBackup(store: ObjectStore, prefix: string, keyring: Keyring | undefined): Promise<ObjectStore> {
  const read = await readManifest(store, backupKey(joinKey(prefix), BackupFiles.manifest));
  if (read.ok) requireReadable(read.manifest, keyring, `backup ${store.url(joinKey(prefix))}/`);
  return plainStore(store, keyring);
}
