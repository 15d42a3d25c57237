/**
 * How a backup's object is stored: as written, zstd-compressed, age-encrypted, or compressed then
 * encrypted (compression of ciphertext gains nothing). Streaming both ways: the age STREAM format
 * works in 64 KiB chunks and zstd in its own window, so memory stays the store's part buffers.
 *
 * Reading needs no record: an age file starts with "age-encryption.org/v1\n" and a zstd frame with
 * its magic number, neither of which an etcd snapshot (bbolt page) or YAML starts with. backup.json
 * says what each object must be (storage.objects), and readers compare SHA-256s against it.
 */
import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { constants as zlibConstants, createZstdCompress, createZstdDecompress } from 'node:zlib';
import { PreconditionError, RemoteError } from '../errors.ts';
import { IDENTITY_ENV, type Keyring } from './age-keys.ts';

export interface Codec {
  compress?: 'zstd';
  /** age recipients; empty or absent: not encrypted. */
  recipients?: readonly string[];
}

/**
 * zstd level of `--compress zstd` (backup.json storage.compressionLevel records it; any level
 * decompresses the same way). 1 rather than zstd's default 3: on Kubernetes objects it compressed
 * as well (bench/backup-encoded-pipeline.ts: ratio 3.66 against 3.60) at about a third of the CPU,
 * and the backup's rate is CPU-bound on a small machine.
 */
export const ZSTD_LEVEL = 1;
/**
 * zstd's pieces. Each write is a round trip to the threadpool: 64 KiB writes (as exec frames come)
 * cost the main thread about 1 s of CPU per GiB, 1 MiB ones a quarter of that, for one copy
 * (ZSTD_IN). The output in pieces of ZSTD_OUT rather than zlib's 16 KiB, not larger: each is a
 * buffer left for the GC, and larger ones raised the peak RSS (bench/backup-encoded-pipeline.ts).
 */
const ZSTD_IN = 1024 * 1024;
const ZSTD_OUT = 256 * 1024;

export const isPlainCodec = (c: Codec | undefined): boolean => !c || (!c.compress && !c.recipients?.length);

/**
 * Counts, and unless `{ hash: false }` hashes, what passes through. The readable side hands out
 * the chunks as they came (object mode, as DigestStream): in byte mode a reader that fell behind
 * (the uploader waiting for a part) gets them joined into a fresh buffer, a copy of every byte.
 */
export class MeterStream extends Transform {
  readonly #hash: Hash | undefined;
  size = 0;
  constructor(options: { hash?: boolean } = {}) {
    super({ readableObjectMode: true, readableHighWaterMark: 32 });
    this.#hash = options.hash === false ? undefined : createHash('sha256');
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    this.#hash?.update(chunk);
    cb(null, chunk);
  }
  /** Only for a meter that hashes. */
  sha256(): string {
    if (!this.#hash) throw new Error('MeterStream: created without a hash');
    return this.#hash.copy().digest('hex');
  }
}

/** Joins the chunks that pass into pieces of `size` bytes (the last one shorter), copied once. */
class Coalesce extends Transform {
  readonly #size: number;
  #buf: Buffer | undefined;
  #fill = 0;
  constructor(size: number) {
    super({ readableObjectMode: true, readableHighWaterMark: 2 });
    this.#size = size;
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    for (let off = 0; off < chunk.length;) {
      this.#buf ??= Buffer.allocUnsafeSlow(this.#size);
      const n = Math.min(this.#size - this.#fill, chunk.length - off);
      chunk.copy(this.#buf, this.#fill, off, off + n);
      this.#fill += n;
      off += n;
      if (this.#fill === this.#size) {
        this.push(this.#buf);
        this.#buf = undefined;
        this.#fill = 0;
      }
    }
    cb();
  }
  override _flush(cb: TransformCallback): void {
    if (this.#buf && this.#fill) this.push(this.#buf.subarray(0, this.#fill));
    cb();
  }
}

export interface Encoded {
  /** The bytes to store. */
  body: Readable;
  /** Valid once body has ended: SHA-256 and size of the stored bytes, size after compression. */
  result(): { storedSha256: string; storedSize: number; compressedSize?: number };
}

/**
 * `plain` as it is to be stored under `codec`. An error of any stage fails `body`; `body` closing
 * (ended, failed or destroyed by its reader) stops the encryption; nothing outlives it (no
 * thread, no timer). Everything runs on the calling thread, the snapshot's age sealing too: on a
 * worker thread the cipher and the stored bytes' SHA-256 cost no less CPU in all, while the
 * worker's own isolate and the sealed pieces it handed over raised the backup's peak RSS past its
 * bound (bench/backup-encoded.ts measures rate and peak RSS of each encoding against plain).
 */
export async function encodeStream(plain: Readable, codec: Codec): Promise<Encoded> {
  const encrypted = Boolean(codec.recipients?.length);
  const stored = new MeterStream();
  let compressed: MeterStream | undefined;
  let current: Readable = plain;
  const fail = (err: Error) => stored.destroy(err);
  if (codec.compress === 'zstd') {
    compressed = new MeterStream({ hash: false });
    const z = createZstdCompress({ chunkSize: ZSTD_OUT, params: { [zlibConstants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
    const joined = new Coalesce(ZSTD_IN);
    plain.on('error', (e) => joined.destroy(e));
    joined.on('error', (e) => z.destroy(e));
    z.on('error', (e) => compressed?.destroy(e));
    current = plain.pipe(joined).pipe(z).pipe(compressed);
  }
  if (encrypted) {
    // The age library is loaded only for an encrypted object.
    const age = await (await import('./age-stream.ts')).ageEncryptStream(codec.recipients ?? []);
    const source = current;
    source.on('error', (e) => age.destroy(e));
    stored.on('close', () => age.destroy());
    current = source.pipe(age);
  }
  current.on('error', fail);
  if (compressed && current !== compressed) compressed.on('error', fail);
  current.pipe(stored);
  return {
    body: stored,
    result: () => ({
      storedSha256: stored.sha256(),
      storedSize: stored.size,
      ...(compressed ? { compressedSize: compressed.size } : {}),
    }),
  };
}

/** A small object (YAML) encoded whole: the bytes to store and their measures. */
export async function encodeBuffer(
  plain: string | Buffer,
  codec: Codec,
): Promise<{ body: Buffer; storedSha256: string; storedSize: number; compressedSize?: number }> {
  const enc = await encodeStream(Readable.from([Buffer.from(plain)]), codec);
  const chunks: Buffer[] = [];
  for await (const c of enc.body) chunks.push(c as Buffer);
  return { body: Buffer.concat(chunks), ...enc.result() };
}

const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n');
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** What a stored object's first bytes say it is. */
export type StoredForm = 'age' | 'zstd' | 'plain';
const formOf = (head: Buffer): StoredForm =>
  head.subarray(0, AGE_MAGIC.length).equals(AGE_MAGIC) ? 'age' : head.subarray(0, 4).equals(ZSTD_MAGIC) ? 'zstd' : 'plain';

/** Reads the first bytes of `stream` and gives them back in front of the rest. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = stream[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    got.push(r.value as Buffer);
    size += (r.value as Buffer).length;
  }
  const head = Buffer.concat(got);
  async function* rest() {
    if (head.length) yield head;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
  }
  const out = Readable.from(rest(), { objectMode: false, highWaterMark: 64 * 1024 });
  out.on('close', () => {
    if (!stream.destroyed) stream.destroy();
  });
  return { head, stream: out };
}

/**
 * The plain bytes of a stored object, whatever its form: age-decrypted with `keyring` (the header
 * is checked before this resolves: a wrong or missing identity rejects here, before any byte is
 * used), then zstd-decompressed. `what` names the object in errors (never a pre-signed URL).
 */
export async function decodeStream(stored: Readable, keyring: Keyring | undefined, what: string): Promise<Readable> {
  let { head, stream } = await peek(stored, AGE_MAGIC.length);
  if (formOf(head) === 'age') {
    if (!keyring) {
      stream.destroy();
      throw new PreconditionError(
        `failed to read ${what}: it is encrypted (age) and no identity was given`,
        {
          hint: `pass the identity of one of its recipients: --decrypt-with <identity-file> (or ${IDENTITY_ENV}); nothing was changed`,
        },
        'HCPDR_ENCRYPTED',
      );
    }
    // The age library is loaded only for an encrypted object.
    const { AGE_HEAD_BYTES, ageDecryptStream } = await import('./age-stream.ts');
    ({ head, stream } = await peek(stream, AGE_HEAD_BYTES));
    let opened: Awaited<ReturnType<typeof ageDecryptStream>>;
    try {
      opened = await ageDecryptStream(keyring.identities, head);
    } catch (err) {
      stream.destroy();
      throw new PreconditionError(`failed to decrypt ${what} with the identity ${keyring.source}: ${(err as Error).message}`, {
        hint: 'pass the identity file of one of the recipients "backup list -o json" shows for this backup (nothing was changed)',
      });
    }
    const source = stream;
    const plain = source.pipe(skipBytes(opened.consumed)).pipe(opened.transform);
    source.on('error', (e) => opened.transform.destroy(e));
    ({ head, stream } = await peek(plain, 4));
  }
  if (formOf(head) !== 'zstd') return stream;
  const z = createZstdDecompress();
  const out = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  stream.on('error', (e) => out.destroy(e));
  z.on('error', (e) => out.destroy(new RemoteError(`failed to decompress ${what}: ${e.message}`)));
  stream.pipe(z).pipe(out);
  return out;
}

/** Drops the first `n` bytes (what was already read of the header). */
function skipBytes(n: number): Transform {
  let left = n;
  return new Transform({
    transform(chunk: Buffer, _e, cb: TransformCallback) {
      if (left >= chunk.length) {
        left -= chunk.length;
        return cb();
      }
      const rest = chunk.subarray(left);
      left = 0;
      cb(null, rest);
    },
  });
}
