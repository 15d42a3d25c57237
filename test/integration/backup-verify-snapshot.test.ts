import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSnapshotFile, checkSnapshotStream, type SnapshotFileReport } from '../../src/core/snapshot/snapshot-file.ts';
import { makeRealSnapshot, type RealSnapshot } from './backup-verify-fixtures.ts';

const dir = path.join(os.tmpdir(), `hcpdr-snapfile-${process.pid}-${Date.now()}`);
let snap: RealSnapshot;
let bytes: Buffer;

async function variant(name: string, content: Buffer | string): Promise<SnapshotFileReport> {
  const file = path.join(dir, name);
  await writeFile(file, content, { mode: 0o600 });
  return checkSnapshotFile(file);
}

/** Re-seals a modified body with a correct trailer, so only the bbolt checks can catch it. */
function reseal(body: Buffer): Buffer {
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

describe('etcd snapshot file checks against real etcd 3.4 snapshots', () => {
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    // 20k keys of 200 bytes: a multi-level bbolt tree (branch pages, overflow-free leaves).
    snap = await makeRealSnapshot(dir, { keys: 20_000, valueSize: 200 });
    bytes = await readFile(snap.file);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports exactly what `etcdctl snapshot status -w json` reports (hash, revision, totalKey, totalSize)', async () => {
    const report = await checkSnapshotFile(snap.file);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ valid: true, format: 'etcd-snapshot', trailer: 'valid', pageSize: 4096, size: bytes.length });
    expect(report.status).toEqual(snap.status);
    expect(report.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(snap.status.totalKey).toBeGreaterThan(20_000);
  });

  it('gives the same result from a stream, spooled to a private temp file that is removed', async () => {
    const tmp = path.join(dir, 'spool');
    await mkdir(tmp);
    let seen = 0;
    const report = await checkSnapshotStream(createReadStream(snap.file, { highWaterMark: 7777 }), {
      tmpDir: tmp,
      onBytes: (n) => {
        seen = n;
      },
    });
    expect(report.valid).toBe(true);
    expect(report.status).toEqual(snap.status);
    expect(seen).toBe(bytes.length);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('skips only the etcd hash when asked (restore preflight): revision, key count and integrity still checked', async () => {
    const full = await checkSnapshotFile(snap.file);
    const quick = await checkSnapshotFile(snap.file, { etcdHash: false });
    expect(full.hashComputed).toBe(true);
    expect(quick).toMatchObject({ valid: true, hashComputed: false, sha256: full.sha256, trailer: 'valid' });
    expect(quick.status).toEqual({ ...snap.status, hash: 0 });
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 3)] = flipped[Math.floor(bytes.length / 3)]! ^ 0x01;
    const file = path.join(dir, 'quick-flipped.db');
    await writeFile(file, flipped);
    expect((await checkSnapshotFile(file, { etcdHash: false })).valid).toBe(false);
  });

  it('rejects truncated files (mid-page, one byte short, a whole page short) without calling etcdctl', async () => {
    for (const [name, len] of [
      ['half', Math.floor(bytes.length / 2)],
      ['minus1', bytes.length - 1],
      ['minus-page', bytes.length - 4096],
    ] as const) {
      const r = await variant(`trunc-${name}`, bytes.subarray(0, len));
      expect(r.valid, name).toBe(false);
      expect(r.problems.join(' '), name).toMatch(/truncated|does not match/);
    }
    const r = await variant('trunc-minus-page-resealed', reseal(bytes.subarray(0, bytes.length - 32 - 4096)));
    expect(r.valid).toBe(false);
    expect(r.trailer).toBe('valid');
    expect(r.problems.join(' ')).toMatch(/^truncated: the database is \d+ pages/);
  });

  it('rejects a flipped byte (content or trailer) as corrupted', async () => {
    for (const at of [Math.floor(bytes.length / 3), bytes.length - 5]) {
      const copy = Buffer.from(bytes);
      copy[at] = copy[at]! ^ 0x01;
      const r = await variant(`flip-${at}`, copy);
      expect(r.valid).toBe(false);
      expect(r.trailer).toBe('mismatch');
      expect(r.problems[0]).toMatch(/^corrupted: the SHA-256 trailer does not match the content/);
    }
  });

  it('detects a damaged tree behind a valid trailer, and a changed value through the etcd hash', async () => {
    const broken = Buffer.from(bytes.subarray(0, bytes.length - 32));
    const root = broken.readBigUInt64LE(4096 * 0 + 16 + 16); // meta 0 root pgid
    broken.writeBigUInt64LE(root + 12345n, Number(root) * 4096); // the root page claims another id
    const pageIdBroken = await variant('bad-page-id', reseal(broken));
    expect(pageIdBroken.valid).toBe(false);
    expect(pageIdBroken.problems.join(' ')).toMatch(/damaged/);
    // Same structure, one value byte changed: structurally fine, but etcd's hash differs.
    const valueChanged = Buffer.from(bytes.subarray(0, bytes.length - 32));
    const at = valueChanged.indexOf('vvvvvvvvvvvvvvvv', 4096 * 2);
    valueChanged[at] = 'w'.charCodeAt(0);
    const r = await variant('value-changed', reseal(valueChanged));
    expect(r.valid).toBe(true);
    expect(r.status!.hash).not.toBe(snap.status.hash);
    expect(r.status!.totalKey).toBe(snap.status.totalKey);
  });

  it('recognises a raw member/snap/db copy: bbolt without the trailer', async () => {
    const r = await checkSnapshotFile(snap.rawDb);
    expect(r.valid).toBe(false);
    expect(r.format).toBe('bbolt-without-trailer');
    expect(r.problems[0]).toMatch(/raw bbolt database without the SHA-256 trailer .* \(e\.g\. a copy of member\/snap\/db\)/);
    expect(r.status?.revision).toBe(snap.status.revision);
    expect(r.size % 4096).toBe(0);
  });

  it('rejects foreign files: random bytes, empty, text, a directory, a missing path', async () => {
    const random = await variant('random', randomBytes(64 * 1024 + 32));
    expect(random).toMatchObject({ valid: false, format: 'not-bbolt' });
    expect(random.problems[0]).toMatch(/no bbolt database header/);
    const empty = await variant('empty', Buffer.alloc(0));
    expect(empty).toMatchObject({ valid: false, format: 'empty', problems: ['the file is empty'] });
    const text = await variant('notes.txt', 'hello\nthis is not a snapshot\n'.repeat(200));
    expect(text.problems[0]).toMatch(/this is a text file/);
    const tiny = await variant('tiny', Buffer.from([1, 2, 3]));
    expect(tiny.valid).toBe(false);
    await expect(checkSnapshotFile(dir)).rejects.toThrow(/not a regular file/);
    await expect(checkSnapshotFile(path.join(dir, 'nope'))).rejects.toThrow(/no such file/);
    // A bbolt header over garbage: no crash, a clear reason.
    const headerOnly = Buffer.concat([bytes.subarray(0, 8192), randomBytes(4096 * 6)]);
    const h = await variant('header-over-garbage', reseal(headerOnly));
    expect(h.valid).toBe(false);
    expect(h.problems.length).toBeGreaterThan(0);
    expect((await stat(snap.file)).size).toBe(bytes.length);
  });
});
