import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c, Crc32c } from '../../../../src/core/snapshot/crc32c.ts';
import { FileByteSource } from '../../../../src/core/snapshot/file-source.ts';

/** Bitwise CRC-32C, the definition: the table-driven version must agree with it on every length. */
function crcReference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function pseudoRandom(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('crc32c', () => {
  it('gives the published CRC-32C check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    // RFC 3720 (iSCSI) B.4 test vectors.
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('agrees with the bitwise definition on every length and split point', () => {
    const data = pseudoRandom(300, 7);
    for (let n = 0; n <= data.length; n += n < 40 ? 1 : 13) {
      const part = data.subarray(0, n);
      expect(crc32c(part)).toBe(crcReference(part));
      const cut = Math.floor(n / 3);
      expect(new Crc32c().update(part.subarray(0, cut)).update(part.subarray(cut)).digest()).toBe(crcReference(part));
    }
  });

  it('reads a view at an odd offset of a larger buffer correctly', () => {
    const data = pseudoRandom(4099, 11);
    const view = data.subarray(3, 4000);
    expect(crc32c(view)).toBe(crcReference(Buffer.from(view)));
  });
});

describe('FileByteSource', () => {
  const MiB = 1024 * 1024;
  let dir: string;
  let file: string;
  const content = pseudoRandom(3 * MiB + 12345, 99);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-source-'));
    file = join(dir, 'data');
    await writeFile(file, content);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the file bytes for reads inside, across and larger than its blocks', async () => {
    const fh = await open(file, 'r');
    try {
      const src = new FileByteSource(fh, content.length, 2);
      const spans: [number, number][] = [
        [0, 4096],
        [MiB - 100, 200], // crosses a block boundary
        [MiB - 1, 1],
        [MiB, 1],
        [5, 2 * MiB + 17], // spans three blocks
        [0, content.length], // the whole file
        [3 * MiB, 12345], // the short last block
        [content.length - 1, 1],
        [2 * MiB + 3, 0],
        [4096, 4096], // back to a block that may have been evicted
      ];
      for (const [offset, length] of spans) {
        const got = await src.read(offset, length);
        expect(got.length).toBe(length);
        expect(got.equals(content.subarray(offset, offset + length))).toBe(true);
      }
    } finally {
      await fh.close();
    }
  });

  it('keeps earlier views intact after their block is evicted', async () => {
    const fh = await open(file, 'r');
    try {
      const src = new FileByteSource(fh, content.length, 1);
      const early = await src.read(10, 64);
      for (let b = 1; b <= 3; b++) await src.read(b * MiB + 1, 64);
      expect(early.equals(content.subarray(10, 74))).toBe(true);
    } finally {
      await fh.close();
    }
  });

  it('refuses reads outside its size and reports a file shorter than announced', async () => {
    const fh = await open(file, 'r');
    try {
      const src = new FileByteSource(fh, content.length);
      await expect(src.read(content.length - 10, 11)).rejects.toThrow(RangeError);
      await expect(src.read(-1, 1)).rejects.toThrow(RangeError);
      const longer = new FileByteSource(fh, content.length + 2 * MiB);
      await expect(longer.read(content.length - 10, 100)).rejects.toThrow(/the file ended at/);
      await expect(longer.read(4 * MiB, 20)).rejects.toThrow(/the file ended at/);
    } finally {
      await fh.close();
    }
  });
});
