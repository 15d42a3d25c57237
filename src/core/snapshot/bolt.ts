/**
 * A read-only walker for bbolt files (the database inside an etcd snapshot), written from the
 * bbolt on-disk format: pages of `pageSize` bytes; a 16-byte page header (id u64, flags u16,
 * count u16, overflow u32, little endian); meta pages 0 and 1 (magic 0xED0CDAED, version 2,
 * FNV-64a checksum of the first 56 meta bytes; the valid one with the higher txid wins);
 * branch elements {pos u32, ksize u32, pgid u64}; leaf elements {flags u32, pos u32, ksize u32,
 * vsize u32}; a bucket value {root pgid u64, sequence u64}, with root 0 meaning an inline page
 * stored right after that header.
 * Every offset read from the file is bounds-checked: damaged input raises BoltFormatError,
 * never an exception from an out-of-range read, and page cycles are detected.
 */

export class BoltFormatError extends Error {}

export const BOLT_MAGIC = 0xed0cdaed;
const PAGE_HEADER = 16;
const ELEMENT = 16;
const FLAG_BRANCH = 0x01;
const FLAG_LEAF = 0x02;
const FLAG_META = 0x04;
const BUCKET_LEAF_FLAG = 0x01;
const MAX_DEPTH = 64;

/** Random access to the bytes of a file (or a prefix of it). */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export interface BoltMeta {
  pageSize: number;
  rootPgid: number;
  /** -1 when the freelist is not stored. */
  freelistPgid: number;
  /** High-water mark: pages in use; the database size is pgid x pageSize. */
  pgid: number;
  txid: number;
}

/** A key/value in a bucket; `value` is null for a nested bucket, as bbolt's ForEach gives it. */
export type Visit = (key: Buffer, value: Buffer | null) => void;

function u64(buf: Buffer, offset: number): number {
  const v = buf.readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BoltFormatError(`value ${v} at offset ${offset} is out of range`);
  return Number(v);
}

function fnv64a(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h;
}

/** The meta at `offset` when its magic, version and checksum are right; undefined otherwise. */
export function parseMeta(page: Buffer): BoltMeta | undefined {
  if (page.length < PAGE_HEADER + 64) return undefined;
  const m = page.subarray(PAGE_HEADER, PAGE_HEADER + 64);
  if (m.readUInt32LE(0) !== BOLT_MAGIC || m.readUInt32LE(4) !== 2) return undefined;
  if ((page.readUInt16LE(8) & FLAG_META) === 0) return undefined;
  if (fnv64a(m.subarray(0, 56)) !== m.readBigUInt64LE(56)) return undefined;
  const pageSize = m.readUInt32LE(8);
  if (pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) return undefined;
  try {
    // freelist is 0xffff... when the freelist is not synced (etcd's default): kept as -1.
    const freelist = m.readBigUInt64LE(32);
    const freelistPgid = freelist > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(freelist);
    return { pageSize, rootPgid: u64(m, 16), freelistPgid, pgid: u64(m, 40), txid: u64(m, 48) };
  } catch {
    return undefined;
  }
}

/** True when the first bytes carry a bbolt meta header (magic at its place), valid or not. */
export function hasBoltMagic(head: Buffer): boolean {
  return head.length >= PAGE_HEADER + 4 && head.readUInt32LE(PAGE_HEADER) === BOLT_MAGIC;
}

/** Finds the current meta: meta 0 gives the page size; meta 1 is tried at common sizes if meta 0 is damaged. */
export async function readMeta(src: ByteSource): Promise<BoltMeta> {
  const first = await src.read(0, Math.min(src.size, 4096));
  const m0 = parseMeta(first);
  const sizes = m0 ? [m0.pageSize] : [4096, 8192, 16384, 32768, 65536, 1024, 2048];
  let m1: BoltMeta | undefined;
  for (const size of sizes) {
    if (src.size < size + PAGE_HEADER + 64) continue;
    m1 = parseMeta(await src.read(size, PAGE_HEADER + 64));
    if (m1 && m1.pageSize === size) break;
    m1 = undefined;
  }
  const best = [m0, m1].filter((m): m is BoltMeta => m !== undefined).sort((a, b) => b.txid - a.txid)[0];
  if (!best) throw new BoltFormatError('neither meta page is valid (bad magic, version or checksum)');
  return best;
}

/** Walks buckets in key order, exactly the order bbolt cursors (and etcd's hash) use. */
export class BoltWalker {
  readonly meta: BoltMeta;
  readonly #src: ByteSource;
  readonly #pages: number;
  readonly #seen: Uint8Array;

  constructor(src: ByteSource, meta: BoltMeta) {
    this.#src = src;
    this.meta = meta;
    this.#pages = Math.floor(src.size / meta.pageSize);
    if (meta.pgid > this.#pages) {
      throw new BoltFormatError(
        `the database is ${meta.pgid} pages (${meta.pgid * meta.pageSize} bytes) but only ${src.size} bytes are present`,
      );
    }
    this.#seen = new Uint8Array(meta.pgid);
  }

  /** The root bucket's entries: bucket names and their bucket values. */
  walkRoot(visit: (key: Buffer, value: Buffer | null, isBucket: boolean, rawValue: Buffer) => void): Promise<void> {
    return this.#walkPage(this.meta.rootPgid, 0, visit);
  }

  /** Every key/value of the bucket whose bucket value (from its parent's leaf) is `bucketValue`. */
  async walkBucket(bucketValue: Buffer, visit: Visit): Promise<void> {
    if (bucketValue.length < 16) throw new BoltFormatError(`a bucket header is ${bucketValue.length} bytes, expected at least 16`);
    const root = u64(bucketValue, 0);
    const each = (k: Buffer, v: Buffer | null) => visit(k, v);
    if (root === 0) {
      this.#leaf(bucketValue.subarray(16), 'an inline bucket', each);
      return;
    }
    await this.#walkPage(root, 0, each);
  }

  async #walkPage(
    pgid: number,
    depth: number,
    visit: (k: Buffer, v: Buffer | null, isBucket: boolean, raw: Buffer) => void,
  ): Promise<void> {
    if (depth > MAX_DEPTH) throw new BoltFormatError(`the tree is deeper than ${MAX_DEPTH} levels (page ${pgid})`);
    const page = await this.#page(pgid);
    const flags = page.readUInt16LE(8);
    if (flags & FLAG_LEAF) return this.#leaf(page, `page ${pgid}`, visit);
    if (!(flags & FLAG_BRANCH)) throw new BoltFormatError(`page ${pgid} has flags 0x${flags.toString(16)}, expected a branch or leaf page`);
    const count = page.readUInt16LE(10);
    const children: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER + i * ELEMENT;
      if (at + ELEMENT > page.length) throw new BoltFormatError(`branch page ${pgid}: element ${i} is outside the page`);
      children.push(u64(page, at + 8));
    }
    for (const child of children) await this.#walkPage(child, depth + 1, visit);
  }

  #leaf(page: Buffer, where: string, visit: (k: Buffer, v: Buffer | null, isBucket: boolean, raw: Buffer) => void): void {
    if (page.length < PAGE_HEADER) throw new BoltFormatError(`${where}: shorter than a page header`);
    const flags = page.readUInt16LE(8);
    if (!(flags & FLAG_LEAF)) throw new BoltFormatError(`${where} is not a leaf page (flags 0x${flags.toString(16)})`);
    const count = page.readUInt16LE(10);
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER + i * ELEMENT;
      if (at + ELEMENT > page.length) throw new BoltFormatError(`${where}: element ${i} is outside the page`);
      const eflags = page.readUInt32LE(at);
      const kStart = at + page.readUInt32LE(at + 4);
      const kEnd = kStart + page.readUInt32LE(at + 8);
      const vEnd = kEnd + page.readUInt32LE(at + 12);
      if (vEnd > page.length) throw new BoltFormatError(`${where}: element ${i} points outside the page`);
      const isBucket = (eflags & BUCKET_LEAF_FLAG) !== 0;
      const raw = page.subarray(kEnd, vEnd);
      visit(page.subarray(kStart, kEnd), isBucket ? null : raw, isBucket, raw);
    }
  }

  async #page(pgid: number): Promise<Buffer> {
    const ps = this.meta.pageSize;
    if (pgid < 2 || pgid >= this.meta.pgid)
      throw new BoltFormatError(`page ${pgid} is outside the database (pages 2..${this.meta.pgid - 1})`);
    if (this.#seen[pgid]) throw new BoltFormatError(`page ${pgid} is referenced twice (damaged tree)`);
    const head = await this.#src.read(pgid * ps, ps);
    const id = head.readBigUInt64LE(0);
    if (id !== BigInt(pgid)) throw new BoltFormatError(`page ${pgid} carries id ${id}: the file is damaged`);
    const overflow = head.readUInt32LE(12);
    if (pgid + overflow >= this.meta.pgid) throw new BoltFormatError(`page ${pgid} overflows past the end of the database`);
    for (let p = pgid; p <= pgid + overflow; p++) this.#seen[p] = 1;
    return overflow === 0 ? head : this.#src.read(pgid * ps, (overflow + 1) * ps);
  }
}
