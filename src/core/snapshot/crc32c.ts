/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), incremental, as Go's
 * crc32.New(crc32.MakeTable(crc32.Castagnoli)) computes it: etcd's `snapshot status` hash.
 * Slice-by-16 over one flat table (16 x 256 entries, table k at k*256): 16 bytes per step
 * instead of 1 (the hash covers the whole database). The table is a module constant, not set up
 * per call: the walk calls update() for every key and value, most of them a few dozen bytes.
 */
const T: Uint32Array = (() => {
  const t = new Uint32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  // Table k gives the CRC of a byte followed by k zero bytes.
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 16; k++) {
      c = (t[c & 0xff]! ^ (c >>> 8)) >>> 0;
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** Continues `crc` (the inverted running register) over `data`. */
function step(crc: number, data: Uint8Array): number {
  let i = 0;
  const n = data.length;
  const end16 = n - (n & 15);
  for (; i < end16; i += 16) {
    const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      T[3840 + (a & 0xff)]! ^
      T[3584 + ((a >>> 8) & 0xff)]! ^
      T[3328 + ((a >>> 16) & 0xff)]! ^
      T[3072 + (a >>> 24)]! ^
      T[2816 + data[i + 4]!]! ^
      T[2560 + data[i + 5]!]! ^
      T[2304 + data[i + 6]!]! ^
      T[2048 + data[i + 7]!]! ^
      T[1792 + data[i + 8]!]! ^
      T[1536 + data[i + 9]!]! ^
      T[1280 + data[i + 10]!]! ^
      T[1024 + data[i + 11]!]! ^
      T[768 + data[i + 12]!]! ^
      T[512 + data[i + 13]!]! ^
      T[256 + data[i + 14]!]! ^
      T[data[i + 15]!]!;
  }
  for (; i < n; i++) crc = T[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return crc;
}

export class Crc32c {
  #crc = 0xffffffff;

  update(data: Uint8Array): this {
    this.#crc = step(this.#crc, data) >>> 0;
    return this;
  }

  /** The checksum so far (unsigned 32-bit). */
  digest(): number {
    return (this.#crc ^ 0xffffffff) >>> 0;
  }
}

export function crc32c(data: Uint8Array): number {
  return (step(0xffffffff, data) ^ 0xffffffff) >>> 0;
}
