/**
 * Where `etcd restore` gets its snapshot, and the proof that it is sound, before any change:
 *  - --from-backup: backup.json read, the snapshot streamed once through SHA-256 and etcd's
 *    trailer check (nothing written to the local disk) and compared with backup.json, whose
 *    revision and key count were measured from these very bytes (the SHA-256 proves it); etcd
 *    reads it again in the helper pod (`snapshot status`) before any data is moved;
 *  - --from-file: the file checked in place (size, SHA-256, trailer, bbolt revision and keys);
 *    a raw member/snap/db is accepted with --skip-hash-check semantics, said in the output;
 *  - --from-member: taken after the lock (takeMemberSnapshot): `etcdctl snapshot save` in that
 *    member while it answers, else a copy of its raw member/snap/db (--skip-hash-check).
 * openSnapshot gives the bytes once more during the restore, to be fanned out to every helper.
 */
import { createReadStream } from 'node:fs';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PreconditionError, RemoteError } from '../errors.ts';
import { Etcd } from '../model.ts';
import type { ObjectStore, PodExec } from '../ports.ts';
import { BackupFiles, backupKey, isRelativeKey, joinKey } from '../bundle/layout.ts';
import { readManifest } from '../bundle/read.ts';
import { checkBackup, refuseUnsound } from '../bundle/check.ts';
import { openBackupObject, plainStore, requireReadable } from '../bundle/encoded.ts';
import type { Keyring } from '../crypto/age-keys.ts';
import { DigestStream, type DigestResult } from '../snapshot/digest-stream.ts';
import { checkSnapshotFile } from '../snapshot/snapshot-file.ts';
import { saveSnapshot, snapshotStatus, streamSnapshot, type PodRef } from './pod-snapshot.ts';
import { helperExec, lastLine } from './restore-helpers.ts';
import type { VolumePaths } from './restore-scripts.ts';
import { q } from './shell.ts';

export type SourceSpec =
  | { kind: 'backup'; store: ObjectStore; prefix: string; keyring?: Keyring | undefined }
  | { kind: 'file'; path: string }
  | { kind: 'member'; pod: string };

export interface SnapshotInfo {
  /** For messages and the record: never a pre-signed URL. */
  description: string;
  sha256: string;
  size: number;
  revision: number;
  totalKeys: number;
  /** A raw bbolt copy (no trailer): restored with --skip-hash-check. */
  skipHashCheck: boolean;
  notes: string[];
  backupId?: string;
  backupUrl?: string;
  /** --from-backup: the snapshot's key in the store. */
  key?: string;
  /** The server version of the member the snapshot was taken from (backup.json), when known. */
  etcdVersion?: string;
  /** Live keys at the snapshot's revision, when known: what etcdutl 3.6 counts as totalKey. */
  liveKeys?: number;
}

const drain = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

async function digestOf(source: Readable, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<DigestResult> {
  const digest = new DigestStream(onBytes);
  await pipeline(source, digest, drain(), ...(signal ? [{ signal }] : []));
  return digest.result();
}

/** backup.json and one streamed pass over the snapshot: SHA-256, size and trailer as recorded. */
export async function verifyBackupSource(
  spec: { store: ObjectStore; prefix: string; keyring?: Keyring | undefined },
  target: { namespace: string; name: string },
  signal?: AbortSignal,
  onBytes?: (n: number) => void,
): Promise<SnapshotInfo> {
  const base = joinKey(spec.prefix);
  const url = spec.store.url(base ? `${base}/` : '');
  const read = await readManifest(spec.store, backupKey(base, BackupFiles.manifest), signal);
  const refuse = (why: string, hint = 'pick another backup with "{cmd} backup list --from s3://..." (nothing was changed)') =>
    new PreconditionError(`failed to verify backup ${url}: ${why}`, { hint });
  if (!read.ok && read.missing)
    throw refuse('no backup.json there', 'pass the prefix of one backup, as "{cmd} backup list --from s3://<bucket>/<prefix>" prints it');
  if (!read.ok) throw refuse(read.reason);
  // Encrypted (backup --encrypt-to): the identity must open it, before anything else is read.
  requireReadable(read.manifest, spec.keyring, `backup ${url}`);
  // The one reader of a backup: format, identity (path, backup.json, manifests) and files, as `backup verify` checks them.
  const refusal = refuseUnsound(await checkBackup(plainStore(spec.store, spec.keyring), base, signal));
  if (refusal) throw refusal;
  const m = read.manifest;
  if (m.hostedCluster.namespace !== target.namespace || m.hostedCluster.name !== target.name) {
    throw refuse(
      `it is a backup of ${m.hostedCluster.namespace}/${m.hostedCluster.name}, not of ${target.namespace}/${target.name}: its data is encrypted with that cluster's keys`,
      'restore a backup of this cluster, or restore that cluster elsewhere with "{cmd} restore <backup-url>"',
    );
  }
  if (!isRelativeKey(m.snapshot.file)) throw refuse(`backup.json names the snapshot "${m.snapshot.file}", not a file of this backup`);
  const key = backupKey(base, m.snapshot.file);
  // Compressed/encrypted snapshots are decoded in the stream: the digest is of the plain bytes backup.json records.
  const d = await digestOf(await openBackupObject(spec.store, key, spec.keyring, signal ? { signal } : {}), signal, onBytes);
  if (d.size !== m.snapshot.size) throw refuse(`the snapshot is ${d.size} bytes, backup.json records ${m.snapshot.size}`);
  if (d.sha256 !== m.snapshot.sha256) throw refuse(`the snapshot's SHA-256 is ${d.sha256}, backup.json records ${m.snapshot.sha256}`);
  if (!d.trailerValid) throw refuse("the snapshot's SHA-256 trailer does not match its content");
  return {
    description: `backup ${url}`,
    sha256: d.sha256,
    size: d.size,
    revision: m.snapshot.revision,
    totalKeys: m.snapshot.totalKeys,
    skipHashCheck: false,
    notes: [],
    backupId: m.id,
    backupUrl: url,
    key,
    ...(m.etcd.version ? { etcdVersion: m.etcd.version } : {}),
  };
}

/** A local snapshot file, checked in place (no copy). */
export async function verifyFileSource(path: string, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<SnapshotInfo> {
  const r = await checkSnapshotFile(path, { ...(signal ? { signal } : {}), ...(onBytes ? { onBytes } : {}) });
  const raw = r.format === 'bbolt-without-trailer' && r.status !== null && r.problems.length === 1;
  if ((!r.valid && !raw) || !r.status) {
    throw new PreconditionError(`failed to verify ${path}: ${r.problems.join('; ') || 'not an etcd snapshot'}`, {
      hint: 'pass a file written by "etcdctl snapshot save" (or a copy of member/snap/db); nothing was changed',
    });
  }
  return {
    description: `file ${path}`,
    sha256: r.sha256,
    size: r.size,
    revision: r.status.revision,
    totalKeys: r.status.totalKey,
    skipHashCheck: raw,
    notes: raw ? [`${path} is a raw bbolt database without a SHA-256 trailer: restored with --skip-hash-check`] : [],
    // Which etcd wrote it: the storage version (3.6+), else the cluster version (3.4 on; a new 3.6
    // cluster records it first, so an early snapshot of one has no storage version yet).
    ...(r.status.version || r.status.clusterVersion ? { etcdVersion: r.status.version ?? r.status.clusterVersion } : {}),
    ...(r.status.liveKeys !== undefined ? { liveKeys: r.status.liveKeys } : {}),
  };
}

/**
 * --from-member: `etcdctl snapshot save` in that member's pod onto its own volume; when the member
 * does not answer, a copy of its raw member/snap/db (consistent only if etcd is not writing).
 * Then etcd's status of the file and one streamed pass for its SHA-256.
 */
export async function takeMemberSnapshot(exec: PodExec, namespace: string, pod: string, paths: VolumePaths): Promise<SnapshotInfo> {
  const ref: PodRef = { exec, namespace, pod };
  const run = (command: string[]) => exec.exec({ namespace, pod, container: Etcd.container, command });
  const caPath = (await run(['test', '-f', Etcd.caPath]).catch(() => undefined))?.exitCode === 0 ? Etcd.caPath : Etcd.legacyCaPath;
  const notes: string[] = [];
  let raw = false;
  try {
    await saveSnapshot(ref, { caPath }, paths.source);
  } catch (err) {
    const db = `${Etcd.dataDir}/member/snap/db`;
    const copy = await run([
      '/bin/sh',
      '-c',
      `set -e\ncp ${q(db)} ${q(paths.source + '.part')}\nmv ${q(paths.source + '.part')} ${q(paths.source)}`,
    ]);
    if (copy.exitCode !== 0) {
      throw new RemoteError(
        `failed to take a snapshot from member ${pod}: snapshot save failed (${(err as Error).message}) and its ${db} could not be copied (${lastLine(copy.stderr)})`,
        { hint: 'take it from another member (--from-member), or restore from a backup (--from-backup) or a file (--from-file)' },
      );
    }
    raw = true;
    notes.push(
      `member ${pod} did not answer "etcdctl snapshot save" (${(err as Error).message}): its raw member/snap/db was copied instead and is restored with --skip-hash-check (not a consistent snapshot: no integrity hash to check)`,
    );
  }
  const status = await snapshotStatus(ref, { caPath }, paths.source);
  const digest = new DigestStream();
  const consumed = pipeline(digest, drain());
  await streamSnapshot(ref, paths.source, digest).then(
    () => void digest.end(),
    (err: unknown) => {
      digest.destroy(err as Error);
      throw err;
    },
  );
  await consumed;
  const d = digest.result();
  if (!raw && !d.trailerValid) throw new RemoteError(`the snapshot taken from member ${pod} has no valid SHA-256 trailer`);
  return {
    description: `member ${pod}${raw ? ' (raw member/snap/db)' : ''}`,
    sha256: d.sha256,
    size: d.size,
    revision: status.revision,
    totalKeys: status.totalKey,
    skipHashCheck: raw,
    notes,
  };
}

/** The snapshot's bytes once more, for the fan-out; a member's file is read from its helper pod. */
export async function openSnapshot(
  spec: SourceSpec,
  info: SnapshotInfo,
  ctx: { exec: PodExec; controlPlaneNamespace: string; signal?: AbortSignal | undefined },
  paths: VolumePaths,
): Promise<Readable> {
  if (spec.kind === 'backup') return openBackupObject(spec.store, info.key ?? '', spec.keyring, ctx.signal ? { signal: ctx.signal } : {});
  if (spec.kind === 'file') return createReadStream(spec.path);
  const ordinal = Number(spec.pod.slice('etcd-'.length));
  const out = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  void ctx.exec
    .exec({
      namespace: ctx.controlPlaneNamespace,
      pod: `hcp-dr-etcd-restore-${ordinal}`,
      container: 'restore',
      command: ['cat', paths.source],
      stdout: out,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    })
    .then(
      (r) => {
        if (r.exitCode !== 0) out.destroy(new RemoteError(`failed to read ${paths.source} in helper ${ordinal}: ${lastLine(r.stderr)}`));
        else out.end();
      },
      (err: unknown) => out.destroy(err as Error),
    );
  return out;
}

export { helperExec };
