/** Offline checks of the snapshot reader: CRC-32C, meta parsing, and foreign inputs. */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { crc32c, Crc32c } from '../../../../src/core/snapshot/crc32c.ts';
import { parseMeta, BOLT_MAGIC } from '../../../../src/core/snapshot/bolt.ts';
import { checkSnapshotStream } from '../../../../src/core/snapshot/snapshot-file.ts';

function fnv64a(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h;
}

/** A meta page as bbolt writes it. */
function metaPage(pageSize: number, pgid: number, txid: number): Buffer {
  const page = Buffer.alloc(pageSize);
  page.writeUInt16LE(0x04, 8);
  const m = page.subarray(16, 80);
  m.writeUInt32LE(BOLT_MAGIC, 0);
  m.writeUInt32LE(2, 4);
  m.writeUInt32LE(pageSize, 8);
  m.writeBigUInt64LE(3n, 16);
  m.writeBigUInt64LE(0xffffffffffffffffn, 32);
  m.writeBigUInt64LE(BigInt(pgid), 40);
  m.writeBigUInt64LE(BigInt(txid), 48);
  m.writeBigUInt64LE(fnv64a(m.subarray(0, 56)), 56);
  return page;
}

describe('crc32c', () => {
  it('matches the Castagnoli check value and is incremental', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const data = randomBytes(10_001);
    expect(new Crc32c().update(data.subarray(0, 13)).update(data.subarray(13)).digest()).toBe(crc32c(data));
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });
});

describe('bbolt meta', () => {
  it('accepts a well-formed meta and rejects a changed byte or wrong magic', () => {
    const page = metaPage(4096, 10, 7);
    expect(parseMeta(page)).toEqual({ pageSize: 4096, rootPgid: 3, freelistPgid: -1, pgid: 10, txid: 7 });
    const flipped = Buffer.from(page);
    flipped[16 + 40]! ^= 1;
    expect(parseMeta(flipped)).toBeUndefined();
    const foreign = Buffer.from(page);
    foreign.writeUInt32LE(0xdeadbeef, 16);
    expect(parseMeta(foreign)).toBeUndefined();
  });
});

describe('checkSnapshotStream on foreign input', () => {
  const check = (b: Buffer) => checkSnapshotStream(Readable.from([b]));
  it('never throws: empty, random, text, header-only', async () => {
    expect((await check(Buffer.alloc(0))).problems).toEqual(['the file is empty']);
    expect((await check(randomBytes(5000))).problems[0]).toMatch(/no bbolt database header/);
    expect((await check(Buffer.from('apiVersion: v1\nkind: Secret\n'))).problems[0]).toMatch(/text file/);
    // Two valid metas announcing 10 pages, but only the metas present: truncated.
    const metas = Buffer.concat([metaPage(4096, 10, 1), metaPage(4096, 10, 2)]);
    metas.writeBigUInt64LE(1n, 4096);
    const sealed = Buffer.concat([metas, createHash('sha256').update(metas).digest()]);
    const r = await check(sealed);
    expect(r).toMatchObject({ valid: false, trailer: 'valid', pageSize: 4096 });
    expect(r.problems.join(' ')).toMatch(/truncated: the database is 10 pages/);
  });
});
