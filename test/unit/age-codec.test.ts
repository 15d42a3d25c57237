/**
 * crypto/codec.ts and crypto/age-keys.ts against Debian's `age` CLI (test/setup.sh installs it):
 * what hcp-dr encrypts, `age -d` decrypts, and what `age -e` encrypts, hcp-dr reads, byte for byte,
 * across several 64 KiB STREAM chunks; zstd before encryption; keys refused with a one-line error.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import { zstdDecompressSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStream, encodeBuffer, encodeStream } from '../../src/core/crypto/codec.ts';
import { loadKeyring, loadRecipients, requireKeyFor } from '../../src/core/crypto/age-keys.ts';

const hasAge = spawnSync('age', ['--version']).status === 0 && spawnSync('age-keygen', ['--help']).status !== null;
const dir = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-age-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}
function keygen(name: string): { file: string; recipient: string } {
  const file = path.join(dir, name);
  expect(spawnSync('age-keygen', ['-o', file]).status).toBe(0);
  const recipient = spawnSync('age-keygen', ['-y', file], { encoding: 'utf8' }).stdout.trim();
  return { file, recipient };
}
/** `data` as a stream of `size`-byte pieces, across chunk boundaries. */
function inPieces(data: Buffer, size: number): Readable {
  const pieces = [];
  for (let i = 0; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
  return Readable.from(pieces);
}
// Over three STREAM chunks, not a multiple of 64 KiB, half compressible.
const plain = Buffer.concat([randomBytes(100_000), Buffer.alloc(150_000, 'etcd ')]);

if (!hasAge) console.warn("skipping the age codec tests: Debian's age is not installed (run test/setup.sh)");

describe.skipIf(!hasAge)("age codec against Debian's age", () => {
  it('what hcp-dr encrypts, `age -d -i` decrypts to the same bytes; zstd comes first and decompresses to them', async () => {
    const key = keygen('a.txt');
    const recipients = await loadRecipients([key.recipient], []);
    const codecs = [{ recipients }, { recipients, compress: 'zstd' as const }];
    for (const codec of codecs) {
      const enc = await encodeStream(Readable.from([plain]), codec);
      const stored = await collect(enc.body);
      expect(enc.result()).toMatchObject({ storedSha256: sha(stored), storedSize: stored.length });
      expect(stored.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      const file = path.join(dir, 'obj.age');
      writeFileSync(file, stored);
      const out = spawnSync('age', ['-d', '-i', key.file, file]);
      expect(out.status, out.stderr.toString()).toBe(0);
      const decrypted = codec.compress ? zstdDecompressSync(out.stdout) : out.stdout;
      expect(sha(decrypted)).toBe(sha(plain));
      if (codec.compress) expect(enc.result().compressedSize).toBe(out.stdout.length);
    }
  });

  it('STREAM chunk boundaries agree with Debian age both ways: empty, one full chunk, a chunk and a byte, two full chunks', async () => {
    const key = keygen('f.txt');
    const keyring = await loadKeyring(key.file, {});
    for (const size of [0, 1, 65_536, 65_537, 131_072]) {
      const data = randomBytes(size);
      const ours = await collect((await encodeStream(Readable.from([data]), { recipients: [key.recipient] })).body);
      const file = path.join(dir, `sized-${size}.age`);
      writeFileSync(file, ours);
      const theirs = spawnSync('age', ['-d', '-i', key.file, file]);
      expect(theirs.status, `${size}: ${theirs.stderr.toString()}`).toBe(0);
      expect(sha(theirs.stdout)).toBe(sha(data));
      writeFileSync(file, data);
      const fromAge = spawnSync('age', ['-e', '-r', key.recipient, file]);
      expect(sha(await collect(await decodeStream(inPieces(fromAge.stdout, 7001), keyring, 'obj')))).toBe(sha(data));
    }
  });

  it('fed in odd pieces (as exec frames come): Debian age decrypts it at chunk edges and past several MiB, and its stored SHA-256 is that of the bytes', async () => {
    const key = keygen('h.txt');
    const MiB = 1024 * 1024;
    for (const size of [0, 1, 65_536, 65_537, MiB, MiB + 1, 3 * MiB - 5]) {
      const data = randomBytes(size);
      const enc = await encodeStream(inPieces(data, 7001), { recipients: [key.recipient] });
      const ours = await collect(enc.body);
      expect(enc.result(), `${size}`).toEqual({ storedSha256: sha(ours), storedSize: ours.length });
      const file = path.join(dir, `pieces-${size}.age`);
      writeFileSync(file, ours);
      const theirs = spawnSync('age', ['-d', '-i', key.file, file], { maxBuffer: 64 * 1024 * 1024 });
      expect(theirs.status, `${size}: ${theirs.stderr.toString()}`).toBe(0);
      expect(sha(theirs.stdout), `${size}`).toBe(sha(data));
    }
  });

  it('nothing outlives the stream: a process whose encoding is destroyed, abandoned or failed mid-way exits by itself', () => {
    const codec = pathToFileURL(path.resolve('src/core/crypto/codec.ts')).href;
    const recipient = keygen('i.txt').recipient;
    for (const ending of ['destroy', 'abandon', 'fail']) {
      const script = `
        import { PassThrough } from 'node:stream';
        import { encodeStream } from ${JSON.stringify(codec)};
        const source = new PassThrough();
        const enc = await encodeStream(source, { recipients: [${JSON.stringify(recipient)}] });
        enc.body.on('error', (e) => console.log(${JSON.stringify(ending)} === 'fail' ? '' : e.message));
        // Once 2 MiB came out sealed the encoding is under way; its last chunk waits for more input.
        let sealed = 0;
        const running = new Promise((r) => enc.body.on('data', (c) => (sealed += c.length) > 2 * 1024 * 1024 && r()));
        source.write(Buffer.alloc(3 * 1024 * 1024, 1));
        await running;
        if (${JSON.stringify(ending)} === 'destroy') enc.body.destroy();
        if (${JSON.stringify(ending)} === 'fail') source.destroy(new Error('pod went away'));
        console.log('left');`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      expect(child.stdout.trim(), `${ending}: ${child.stderr}`).toBe('left');
      expect(child.status, `${ending}: ${child.signal ?? ''} ${child.stderr}`).toBe(0);
    }
  });

  it('a flipped byte in the payload fails the stream, never yields bad plaintext silently', async () => {
    const key = keygen('g.txt');
    const enc = await encodeBuffer(plain, { recipients: [key.recipient] });
    const bad = Buffer.from(enc.body);
    bad.writeUInt8((bad[bad.length - 70_000] ?? 0) ^ 1, bad.length - 70_000);
    const keyring = await loadKeyring(key.file, {});
    await expect((async () => collect(await decodeStream(Readable.from([bad]), keyring, 'obj')))()).rejects.toThrow(
      /failed authentication/,
    );
  });

  it('what `age -e -r` encrypts, hcp-dr decrypts in the stream', async () => {
    const key = keygen('b.txt');
    const file = path.join(dir, 'plain.bin');
    writeFileSync(file, plain);
    const out = spawnSync('age', ['-e', '-r', key.recipient, file]);
    expect(out.status).toBe(0);
    const keyring = await loadKeyring(key.file, {});
    const decoded = await collect(await decodeStream(Readable.from([out.stdout]), keyring, 'obj'));
    expect(sha(decoded)).toBe(sha(plain));
  });

  it('a wrong or missing identity is refused when the stream is opened, with a hint', async () => {
    const right = keygen('c.txt');
    const wrong = keygen('d.txt');
    const enc = await encodeBuffer('secret', { recipients: [right.recipient] });
    const wrongRing = await loadKeyring(wrong.file, {});
    await expect(decodeStream(Readable.from([enc.body]), wrongRing, 's3://b/k')).rejects.toThrow(/failed to decrypt s3:\/\/b\/k/);
    await expect(decodeStream(Readable.from([enc.body]), undefined, 's3://b/k')).rejects.toMatchObject({
      code: 'HCPDR_ENCRYPTED',
      message: expect.stringMatching(/encrypted \(age\) and no identity was given/),
    });
    expect(() => requireKeyFor([right.recipient], wrongRing, 'backup x')).toThrow(/is not one of its recipients/);
    // An uncompressed, unencrypted object passes through as it is.
    expect((await collect(await decodeStream(Readable.from([Buffer.from('a: 1\n')]), undefined, 'x'))).toString()).toBe('a: 1\n');
  });

  it('recipients and identity files are checked; the identity never appears in an error', async () => {
    const key = keygen('e.txt');
    const list = path.join(dir, 'recipients.txt');
    writeFileSync(list, `# team\n${key.recipient}\n\n${key.recipient}\n`);
    expect(await loadRecipients([], [list])).toEqual([key.recipient]);
    await expect(loadRecipients(['age1notakey'], [])).rejects.toThrow(/not an age public key/);
    await expect(loadKeyring(list, {})).rejects.toThrow(/holds no "AGE-SECRET-KEY-1\.\.\." line/);
    const broken = path.join(dir, 'broken.txt');
    const secret = readFileSync(key.file, 'utf8').replace(/AGE-SECRET-KEY-1\w{6}/, 'AGE-SECRET-KEY-1QQQQQQ');
    writeFileSync(broken, secret);
    const err = (await loadKeyring(broken, {}).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/not a valid key/);
    expect(err.message).not.toMatch(/AGE-SECRET-KEY-1Q/);
    expect((await loadKeyring(undefined, { HCP_DR_AGE_IDENTITY: key.file }))?.recipients).toEqual([key.recipient]);
    expect(await loadKeyring(undefined, {})).toBeUndefined();
  });
});

describe('zstd in the stream', () => {
  it('pieces joined across 1 MiB edges and fed in odd sizes decompress to the same bytes; the sizes recorded are those of the bytes', async () => {
    const MiB = 1024 * 1024;
    for (const size of [0, 5, MiB, MiB + 1, 3 * MiB + 7]) {
      const data = Buffer.concat([randomBytes(size >> 1), Buffer.alloc(size - (size >> 1), 'etcd ')]);
      const enc = await encodeStream(inPieces(data, 7001), { compress: 'zstd' });
      const stored = await collect(enc.body);
      expect(sha(zstdDecompressSync(stored)), `${size}`).toBe(sha(data));
      expect(enc.result(), `${size}`).toEqual({ storedSha256: sha(stored), storedSize: stored.length, compressedSize: stored.length });
    }
  });
});
