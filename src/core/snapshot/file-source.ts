/**
 * Random access to a local file for the bbolt walk, through a small cache of 1 MiB blocks:
 * a compacted etcd snapshot is laid out almost in tree order, so most page reads hit a block
 * already read, and memory stays at `cacheBlocks` MiB whatever the file size.
 *
 * A read inside one block is a view into the cached block (no copy). A read that crosses a block
 * boundary or is larger than a block (overflow pages holding big values) is one positioned read
 * into a buffer of exactly its size, not cached: such spans are read once by the walk.
 * Cached blocks are never reused or written after they are filled, so views handed out stay
 * valid after their block leaves the cache (the walk keeps the previous key to check the order).
 */
import type { FileHandle } from 'node:fs/promises';
import type { ByteSource } from './bolt.ts';

const BLOCK = 1024 * 1024;

export class FileByteSource implements ByteSource {
  readonly size: number;
  readonly #fh: FileHandle;
  readonly #cache = new Map<number, Buffer>();
  readonly #max: number;
  /** The block of the last read: most consecutive page reads hit it, skipping the LRU update. */
  #lastIndex = -1;
  #lastBlock: Buffer | undefined;

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
    if (length === 0) return Buffer.alloc(0);
    const index = Math.floor(offset / BLOCK);
    const start = offset - index * BLOCK;
    if (start + length > BLOCK) return this.#readExact(Buffer.allocUnsafe(length), offset);
    const block = index === this.#lastIndex && this.#lastBlock ? this.#lastBlock : await this.#block(index);
    return block.subarray(start, start + length);
  }

  async #block(index: number): Promise<Buffer> {
    let block = this.#cache.get(index);
    if (block) {
      this.#cache.delete(index);
      this.#cache.set(index, block);
    } else {
      block = await this.#readExact(Buffer.allocUnsafe(Math.min(BLOCK, this.size - index * BLOCK)), index * BLOCK);
      this.#cache.set(index, block);
      if (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value as number);
    }
    this.#lastIndex = index;
    this.#lastBlock = block;
    return block;
  }

  /** Fills `buf` from the file at `position` (a positioned read may return fewer bytes). */
  async #readExact(buf: Buffer, position: number): Promise<Buffer> {
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.#fh.read(buf, got, buf.length - got, position + got);
      if (bytesRead === 0) throw new RangeError(`the file ended at ${position + got} bytes (expected ${this.size})`);
      got += bytesRead;
    }
    return buf;
  }
}
