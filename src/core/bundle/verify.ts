/**
 * `backup verify`: is this backup (or local snapshot file) restorable? The snapshot is streamed
 * once (spooled to a private temp file, see snapshot/snapshot-file.ts) and checked against its own
 * SHA-256 trailer and its bbolt content, and, for a stored backup, against backup.json: SHA-256,
 * size, revision, key count and etcd hash; the other files backup.json names must exist.
 * A verdict, not an exception: a damaged backup is a result (NotRestorable with reasons).
 * Exceptions are for "cannot look": no backup.json at all (PreconditionError), store errors.
 */
import { NotFoundError } from '../errors.ts';
import type { ObjectStore, Reporter } from '../ports.ts';
import { checkSnapshotFile, checkSnapshotStream, type SnapshotFileReport } from '../snapshot/snapshot-file.ts';
import { BackupFiles, backupKey, isRelativeKey, joinKey } from './layout.ts';
import { checkBackup } from './check.ts';
import { BACKUP_API_VERSION, type BackupLock, type BackupManifest } from './manifest.ts';
import { checkObjectLock } from './lock-check.ts';
import type { Keyring } from '../crypto/age-keys.ts';
import { decodeStream, MeterStream } from '../crypto/codec.ts';
import { isEncrypted, openEncodedBackup, plainStore, requireReadable, storedChecks, storedRecord } from './encoded.ts';

export type VerifyVerdict = 'Restorable' | 'NotRestorable';

export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BackupVerification {
  apiVersion: typeof BACKUP_API_VERSION;
  kind: 'BackupVerification';
  /** The backup's s3:// URL (with a trailing slash) or the local file path. */
  source: string;
  verdict: VerifyVerdict;
  /** The details of the failed checks. */
  reasons: string[];
  checks: VerifyCheck[];
  /** What was measured of the snapshot; null when it could not be read. */
  snapshot: Omit<SnapshotFileReport, 'problems' | 'valid'> | null;
  /** From backup.json, for a stored backup. */
  backup: { id: string; hostedCluster: string; createdAt: string; mode: string; lock?: BackupLock } | null;
}

export interface VerifyOptions {
  reporter?: Reporter;
  signal?: AbortSignal;
  tmpDir?: string;
  onBytes?: (total: number) => void;
  /** See SnapshotCheckOptions.etcdHash: skip etcd's CRC-32C when backup.json's SHA-256 is what counts. */
  etcdHash?: boolean;
  /**
   * How to read a compressed/encrypted backup (backup.json `storage`). Absent: the caller cannot
   * use one (it pre-signs the stored object for etcd-init), and such a backup is NotRestorable.
   * storedOnly: an encrypted backup without a keyring is checked by its stored bytes only.
   */
  decoding?: { keyring?: Keyring; storedOnly?: boolean };
}

export async function verifyLocalSnapshot(file: string, options: VerifyOptions = {}): Promise<BackupVerification> {
  const report = await checkSnapshotFile(file, snapshotOptions(options));
  return result(file, null, snapshotChecks(report), report);
}

/** Verifies the backup stored under `prefix` (the backup's own prefix, holding backup.json). */
export async function verifyStoredBackup(store: ObjectStore, prefix: string, options: VerifyOptions = {}): Promise<BackupVerification> {
  const base = joinKey(prefix);
  const at = (rel: string) => backupKey(base, rel);
  const source = store.url(base ? `${base}/` : '');
  const keyring = options.decoding?.keyring;
  // A wrong identity is refused before anything is decrypted (openEncodedBackup reads backup.json first).
  const checked = await checkBackup(
    keyring ? await openEncodedBackup(store, base, keyring) : plainStore(store, undefined),
    base,
    options.signal,
  );
  const m = checked.manifest;
  if (!m || checked.checks.some((c) => c.name === 'format' && !c.ok)) return result(source, m, checked.checks, null);
  const checks: VerifyCheck[] = [...checked.checks];
  if (m.storage && !options.decoding)
    checks.push({
      name: 'storage',
      ok: false,
      detail: 'its objects are stored compressed or encrypted: this command reads plain backups only',
    });
  // Encrypted and no identity: the stored bytes against backup.json, not the content (said in the checks).
  const contentReadable = !isEncrypted(m) || keyring !== undefined;
  if (!contentReadable && !options.decoding?.storedOnly) {
    requireReadable(m, keyring, `backup ${source}`);
  }
  let report: SnapshotFileReport | null = null;
  if (isRelativeKey(m.snapshot.file)) {
    const url = store.url(at(m.snapshot.file));
    try {
      const raw = await store.get(at(m.snapshot.file), options.signal ? { signal: options.signal } : {});
      options.reporter?.debug(`verifying ${url}`);
      const rec = storedRecord(m, url);
      // A plain backup's snapshot goes straight to the check: no second hash pass.
      const meter = new MeterStream();
      if (rec) {
        raw.on('error', (e) => meter.destroy(e));
        raw.pipe(meter);
      }
      const stored = rec ? meter : raw;
      if (contentReadable)
        report = await checkSnapshotStream(rec ? await decodeStream(meter, keyring, url) : raw, snapshotOptions(options));
      else for await (const _chunk of stored) options.onBytes?.(meter.size);
      if (rec && (rec.storedSha256 !== meter.sha256() || rec.storedSize !== meter.size))
        checks.push({
          name: 'stored',
          ok: false,
          detail: `the stored snapshot (${meter.size} bytes) differs from backup.json's storedSha256/storedSize`,
        });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      checks.push({ name: 'snapshot', ok: false, detail: `${m.snapshot.file} is missing (${store.url(at(m.snapshot.file))})` });
    }
  }
  if (report) checks.push(...snapshotChecks(report), ...manifestChecks(m, report));
  checks.push(...(await storedChecks(store, m, keyring, store.url(at(m.snapshot.file)), options.signal)));
  if (!contentReadable)
    checks.push({
      name: 'content',
      ok: true,
      detail:
        'encrypted (age) and no identity given: the stored bytes were checked, not the snapshot inside; pass --decrypt-with to check it',
    });
  if (m.lock) checks.push(await checkObjectLock(store, [at(BackupFiles.manifest), at(m.snapshot.file)], m.lock, new Date()));
  return result(source, m, checks, report);
}

function snapshotOptions(options: VerifyOptions) {
  return {
    ...(options.tmpDir ? { tmpDir: options.tmpDir } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
    ...(options.etcdHash === false ? { etcdHash: false } : {}),
  };
}

function snapshotChecks(r: SnapshotFileReport): VerifyCheck[] {
  const trailer: VerifyCheck =
    r.trailer === 'valid'
      ? { name: 'trailer', ok: true, detail: 'the SHA-256 trailer matches the content' }
      : { name: 'trailer', ok: false, detail: r.problems[0] ?? `SHA-256 trailer ${r.trailer}` };
  const rest = r.trailer === 'valid' ? r.problems : r.problems.slice(1);
  const database: VerifyCheck =
    rest.length === 0 && r.status
      ? {
          name: 'database',
          ok: true,
          detail: `bbolt readable: revision ${r.status.revision}, ${r.status.totalKey} keys${r.hashComputed ? `, hash ${r.status.hash}` : ''}`,
        }
      : { name: 'database', ok: false, detail: rest.join('; ') || 'the database could not be read' };
  return r.format === 'empty' || r.format === 'not-bbolt'
    ? [{ ...trailer, name: 'format', detail: r.problems.join('; ') }]
    : [trailer, database];
}

function manifestChecks(m: BackupManifest, r: SnapshotFileReport): VerifyCheck[] {
  const same = (name: string, want: string | number, got: string | number | undefined, what: string): VerifyCheck =>
    want === got
      ? { name, ok: true, detail: `${what} ${String(got)} as recorded` }
      : { name, ok: false, detail: `${what} is ${got === undefined ? 'unknown' : String(got)}, backup.json records ${String(want)}` };
  const checks = [same('sha256', m.snapshot.sha256, r.sha256, 'SHA-256'), same('size', m.snapshot.size, r.size, 'size')];
  if (r.status) {
    checks.push(same('revision', m.snapshot.revision, r.status.revision, 'revision'));
    // backup.json holds the etcd tool's totalKey: every entry (3.4, 3.5) or the live keys (etcdutl 3.6).
    const liveMatch = r.status.liveKeys === m.snapshot.totalKeys && r.status.totalKey !== m.snapshot.totalKeys;
    checks.push(
      liveMatch
        ? { name: 'keys', ok: true, detail: `${m.snapshot.totalKeys} live keys as recorded (etcd 3.6 counts live keys)` }
        : same('keys', m.snapshot.totalKeys, r.status.totalKey, 'key count'),
    );
    if (r.hashComputed && typeof m.snapshot.hash === 'number' && m.snapshot.hash !== 0)
      checks.push(same('hash', m.snapshot.hash, r.status.hash, 'etcd hash'));
  }
  return checks;
}

function result(source: string, m: BackupManifest | null, checks: VerifyCheck[], r: SnapshotFileReport | null): BackupVerification {
  const reasons = checks.filter((c) => !c.ok).map((c) => c.detail);
  const snapshot = r
    ? {
        format: r.format,
        size: r.size,
        sha256: r.sha256,
        trailer: r.trailer,
        pageSize: r.pageSize,
        status: r.status,
        hashComputed: r.hashComputed,
      }
    : null;
  return {
    apiVersion: BACKUP_API_VERSION,
    kind: 'BackupVerification',
    source,
    verdict: reasons.length === 0 ? 'Restorable' : 'NotRestorable',
    reasons,
    checks,
    snapshot,
    backup: m
      ? {
          id: m.id,
          hostedCluster: `${m.hostedCluster.namespace}/${m.hostedCluster.name}`,
          createdAt: m.createdAt,
          mode: m.mode,
          ...(m.lock ? { lock: m.lock } : {}),
        }
      : null,
  };
}
