/**
 * Random access to a local file for the bbolt walk, through a small cache of 1 MiB blocks:
 * a compacted etcd snapshot is laid out almost in tree order, so most page reads hit a block
 * already read, and memory stays at `cacheBlocks` MiB whatever the file size.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ByteSource } from './bolt.ts';

const BLOCK = 1024 * 1024;

export class FileByteSource implements ByteSource {
  readonly size: number;
  readonly #fh: FileHandle;
  readonly #cache = new Map<number, Buffer>();
  readonly #max: number;

  /** `size` may be smaller than the file (e.g. the snapshot body without its trailer). */
  constructor(fh: FileHandle, size: number, cacheBlocks = 32) {
    this.#fh = fh;
    this.size = size;
    this.#max = cacheBlocks;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`read of ${length} bytes at ${offset} is outside the ${this.size}-byte file`);
    }
    const first = Math.floor(offset / BLOCK);
    const last = Math.floor((offset + length - 1) / BLOCK);
    if (length === 0) return Buffer.alloc(0);
    if (first === last) {
      const block = await this.#block(first);
      return block.subarray(offset - first * BLOCK, offset - first * BLOCK + length);
    }
    const out = Buffer.allocUnsafe(length);
    let written = 0;
    for (let b = first; b <= last; b++) {
      const block = await this.#block(b);
      const start = b === first ? offset - first * BLOCK : 0;
      const end = Math.min(block.length, offset + length - b * BLOCK);
      written += block.copy(out, written, start, end);
    }
    return out;
  }

  async #block(index: number): Promise<Buffer> {
    const hit = this.#cache.get(index);
    if (hit) {
      this.#cache.delete(index);
      this.#cache.set(index, hit);
      return hit;
    }
    const want = Math.min(BLOCK, this.size - index * BLOCK);
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.#fh.read(buf, got, want - got, index * BLOCK + got);
      if (bytesRead === 0) throw new RangeError(`the file ended at ${index * BLOCK + got} bytes (expected ${this.size})`);
      got += bytesRead;
    }
    this.#cache.set(index, buf);
    if (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value as number);
    return buf;
  }
}
