import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestStream } from '../../src/core/snapshot/digest-stream.ts';

/** A snapshot-shaped byte string: a body and, when `valid`, etcd's trailer (SHA-256 of the body). */
function snapshotBytes(size: number, valid: boolean): Buffer {
  const body = randomBytes(size);
  const trailer = valid ? createHash('sha256').update(body).digest() : randomBytes(32);
  return Buffer.concat([body, trailer]);
}

function split(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

async function digestOf(chunks: Buffer[]) {
  const digest = new DigestStream();
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks, { objectMode: true }), digest, async (s: AsyncIterable<Buffer>) => {
    for await (const c of s) out.push(c);
  });
  return { result: digest.result(), out };
}

describe('DigestStream', () => {
  const chunkings: Record<string, number[]> = {
    'one chunk': [1 << 20],
    'chunks of 32': [32],
    'chunks under 32': [1, 7, 31, 5],
    'mixed, trailer split across chunks': [100_003, 3, 29, 64 * 1024, 0, 17],
  };

  for (const [name, sizes] of Object.entries(chunkings)) {
    it(`finds a valid trailer and the whole file's SHA-256 (${name})`, async () => {
      const data = snapshotBytes(300_000, true);
      const { result, out } = await digestOf(split(data, sizes));
      expect(result).toEqual({ size: data.length, sha256: createHash('sha256').update(data).digest('hex'), trailerValid: true });
      expect(Buffer.concat(out).equals(data)).toBe(true);
    });

    it(`rejects a wrong trailer (${name})`, async () => {
      const data = snapshotBytes(300_000, false);
      expect((await digestOf(split(data, sizes))).result.trailerValid).toBe(false);
    });
  }

  it('passes the chunks on as they came, without joining them', async () => {
    const chunks = split(randomBytes(10_000), [1000]);
    const { out } = await digestOf(chunks);
    expect(out.map((c) => c.length)).toEqual(chunks.map((c) => c.length));
  });

  it('a file shorter than its trailer has no valid trailer', async () => {
    expect((await digestOf([Buffer.from('short')])).result).toMatchObject({ size: 5, trailerValid: false });
  });
});
