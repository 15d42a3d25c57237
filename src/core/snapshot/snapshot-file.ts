/**
 * Pure-TypeScript checks of an etcd snapshot file, the way `etcdctl snapshot save` writes it:
 * a bbolt database followed by a 32-byte SHA-256 of everything before it.
 *
 *  1. Integrity: size, SHA-256 of the whole file, and the trailer, computed while streaming
 *     with only the last 32 bytes held back (DigestStream).
 *  2. Content: the bbolt tree is walked to compute what `etcdctl snapshot status -w json`
 *     reports: revision (main revision of the last key in bucket "key"), totalKey (every
 *     key/value of every bucket, as etcd counts), totalSize (meta pgid x page size) and hash
 *     (CRC-32C over bucket names and each key and value, in key order).
 *
 * Streaming choice: bbolt pages reference each other in no particular file order, so a tree
 * walk needs random access. A stream (an S3 download) is therefore spooled to a private temp
 * file (dir 0700, file 0600, removed afterwards) while it is hashed; the walk then reads it
 * through a 32 MiB block cache. Memory stays bounded whatever the snapshot size; disk use is
 * the snapshot size. A local file is read in place (one hashing pass, then the walk).
 *
 * Never throws for bad input: damaged, truncated or foreign files give valid=false and the
 * reasons in `problems`. (etcdctl 3.4 segfaults on a truncated file: this never calls it.)
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, UsageError } from '../errors.ts';
import type { SnapshotStatus } from '../etcd/etcdctl.ts';
import { BoltFormatError, BoltWalker, hasBoltMagic, readMeta, type BoltMeta } from './bolt.ts';
import { computeStatus } from './snapshot-status.ts';
import { DigestStream } from './digest-stream.ts';
import { FileByteSource } from './file-source.ts';

export type { SnapshotStatus };

export const TRAILER_BYTES = 32;

/** etcd-snapshot: bbolt + trailer. bbolt-without-trailer: e.g. a copy of member/snap/db. */
export type SnapshotFormat = 'etcd-snapshot' | 'bbolt-without-trailer' | 'not-bbolt' | 'empty';

export interface SnapshotFileReport {
  /** True only for a complete etcd snapshot: trailer valid, size consistent, tree readable. */
  valid: boolean;
  format: SnapshotFormat;
  size: number;
  /** SHA-256 (hex) of the whole file, trailer included: what backup.json records. */
  sha256: string;
  trailer: 'valid' | 'mismatch' | 'absent';
  pageSize: number | null;
  /** What `etcdctl snapshot status -w json` would print; null when the tree could not be read. */
  status: SnapshotStatus | null;
  /** False when the etcd hash was not computed (options.etcdHash false): status.hash is then 0. */
  hashComputed: boolean;
  /** Why the file is not valid, one sentence each; empty when valid. */
  problems: string[];
}

export interface SnapshotCheckOptions {
  /** Where a stream is spooled (default os.tmpdir()). */
  tmpDir?: string;
  signal?: AbortSignal;
  /** Bytes read so far, for a progress line. */
  onBytes?: (total: number) => void;
  /**
   * Compute etcd's hash (CRC-32C over every key and value; default true). A caller that holds
   * the SHA-256 the backup recorded may skip it: equal SHA-256 already proves the same bytes,
   * and the CRC is most of the walk's CPU (about 0.3 s per 100 MiB here).
   */
  etcdHash?: boolean;
}

/** Checks a local snapshot file (NotFoundError / UsageError when it cannot be opened at all). */
export async function checkSnapshotFile(file: string, options: SnapshotCheckOptions = {}): Promise<SnapshotFileReport> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`failed to read ${file}: no such file`);
    throw new UsageError(`failed to read ${file}: ${code ?? String(err)}`);
  }
  if (!info.isFile()) throw new UsageError(`failed to read ${file}: not a regular file`);
  const digest = new DigestStream(options.onBytes);
  await pipeline(
    createReadStream(file),
    digest,
    async (s) => {
      for await (const _ of s) void _;
    },
    { ...(options.signal ? { signal: options.signal } : {}) },
  );
  return analyse(file, digest, options.etcdHash ?? true);
}

/** Checks a snapshot arriving as a stream (spooled to a 0600 temp file, removed afterwards). */
export async function checkSnapshotStream(source: Readable, options: SnapshotCheckOptions = {}): Promise<SnapshotFileReport> {
  const dir = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'hcpdr-verify-'));
  try {
    const file = path.join(dir, 'snapshot.db');
    const digest = new DigestStream(options.onBytes);
    await pipeline(source, digest, createWriteStream(file, { mode: 0o600 }), { ...(options.signal ? { signal: options.signal } : {}) });
    return await analyse(file, digest, options.etcdHash ?? true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function analyse(file: string, digest: DigestStream, etcdHash: boolean): Promise<SnapshotFileReport> {
  const d = digest.result();
  const report: SnapshotFileReport = {
    valid: false,
    format: 'not-bbolt',
    size: d.size,
    sha256: d.sha256,
    trailer: d.trailerValid ? 'valid' : 'absent',
    pageSize: null,
    status: null,
    hashComputed: false,
    problems: [],
  };
  if (d.size === 0) {
    report.format = 'empty';
    report.problems.push('the file is empty');
    return report;
  }
  const fh = await open(file, 'r');
  try {
    const whole = new FileByteSource(fh, d.size);
    const head = await whole.read(0, Math.min(d.size, 4096));
    let meta: BoltMeta;
    try {
      meta = await readMeta(whole);
    } catch (err) {
      report.problems.push(
        hasBoltMagic(head)
          ? `not a readable etcd snapshot: it starts like a bbolt database but ${(err as Error).message}`
          : notBoltMessage(head),
      );
      return report;
    }
    report.pageSize = meta.pageSize;
    const ps = meta.pageSize;
    const withTrailer = d.size > TRAILER_BYTES && (d.size - TRAILER_BYTES) % ps === 0;
    let bodySize: number;
    if (d.trailerValid && withTrailer) {
      report.format = 'etcd-snapshot';
      bodySize = d.size - TRAILER_BYTES;
    } else if (withTrailer) {
      report.format = 'etcd-snapshot';
      report.trailer = 'mismatch';
      bodySize = d.size - TRAILER_BYTES;
      report.problems.push('corrupted: the SHA-256 trailer does not match the content (the file was changed after it was written)');
    } else if (d.size % ps === 0) {
      report.format = 'bbolt-without-trailer';
      bodySize = d.size;
      report.problems.push(
        'a raw bbolt database without the SHA-256 trailer of `etcdctl snapshot save` (e.g. a copy of member/snap/db): not a snapshot; its integrity cannot be checked and a restore would need --skip-hash-check',
      );
    } else {
      report.format = 'etcd-snapshot';
      bodySize = Math.floor(d.size / ps) * ps;
      report.problems.push(
        `truncated or damaged: ${d.size} bytes is not a whole number of ${ps}-byte pages plus the ${TRAILER_BYTES}-byte trailer`,
      );
    }
    const expected = meta.pgid * ps;
    if (expected !== bodySize && bodySize >= expected) {
      report.problems.push(
        `the database is ${expected} bytes (${meta.pgid} pages) but the file holds ${bodySize} bytes before the trailer`,
      );
    }
    try {
      report.status = await computeStatus(new BoltWalker(new FileByteSource(fh, bodySize), meta), etcdHash);
      report.hashComputed = etcdHash;
    } catch (err) {
      if (!(err instanceof BoltFormatError) && !(err instanceof RangeError)) throw err;
      const truncated = /only \d+ bytes are present/.test(err.message);
      report.problems.push(truncated ? `truncated: ${err.message}` : `the database inside is damaged: ${err.message}`);
    }
  } finally {
    await fh.close();
  }
  report.valid = report.problems.length === 0;
  return report;
}

function notBoltMessage(head: Buffer): string {
  const sample = head.subarray(0, 512);
  const printable = sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128);
  return printable
    ? 'not an etcd snapshot: this is a text file, not a bbolt database'
    : 'not an etcd snapshot: no bbolt database header (magic 0xED0CDAED) at the start of the file';
}
