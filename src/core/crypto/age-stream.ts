/**
 * age v1 files (https://age-encryption.org/v1) in Node streams. The header (X25519 stanzas, the
 * header HMAC, recipient and identity handling) is age-encryption's; the payload is the age STREAM
 * exactly as the spec defines it, on OpenSSL's ChaCha20-Poly1305 (node:crypto) instead of the
 * library's pure-JS one, which runs at about 44 MiB/s against OpenSSL's 500 (measured on the
 * project's 2-core runner): a backup must not be ten times slower for being encrypted.
 *
 * STREAM: payload key = HKDF-SHA256(file key, salt = 16-byte nonce, info "payload"); 64 KiB
 * plaintext chunks; chunk nonce = 11-byte big-endian counter || last-chunk flag (1 on the last);
 * the last chunk may be full, and empty only when the whole plaintext is. Byte-compatibility with
 * Debian's `age` is tested both ways (test/unit/age-codec.test.ts).
 *
 * Every object is sealed on the calling thread, the snapshot too (codec.ts says why not on a
 * worker). Memory: at most one 64 KiB chunk held back (as views of the pieces it came in), and
 * the readable side's high-water mark of sealed pieces; no copy of a chunk's bytes beyond
 * OpenSSL's output.
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { Decrypter, Encrypter, type Recipient } from 'age-encryption';

const CHUNK = 64 * 1024;
const TAG = 16;
const NONCE = 16;
/** A header larger than this is not one hcp-dr wrote (an X25519 stanza is about 120 bytes). */
const MAX_HEADER = 64 * 1024;

/**
 * The payload key as a KeyObject: a cipher per 64 KiB chunk is the STREAM format, and OpenSSL
 * takes a KeyObject without the copy and checks a Buffer key costs (about a third of the cipher).
 */
const payloadKey = (fileKey: Uint8Array, nonce: Uint8Array): KeyObject =>
  createSecretKey(Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32)));

function chunkNonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(counter, 5, 6); // 11-byte counter; 2^48 chunks (16 EiB) are more than any snapshot
  n[11] = last ? 1 : 0;
  return n;
}

/**
 * Seals one chunk given as the pieces it arrived in: OpenSSL's ChaCha20-Poly1305 takes a chunk in
 * several updates, so no piece is copied to make the chunk whole, and each sealed piece goes out
 * as OpenSSL returns it, the tag after them. Copying every chunk (exec frames never fall on chunk
 * boundaries) cost one more 64 KiB buffer per chunk, and their garbage collection more than the copy.
 */
function sealPieces(out: Transform, key: KeyObject, counter: number, last: boolean, pieces: readonly Buffer[]): void {
  const c = createCipheriv('chacha20-poly1305', key, chunkNonce(counter, last), { authTagLength: TAG });
  for (const piece of pieces) {
    const sealed = c.update(piece);
    if (sealed.length) out.push(sealed);
  }
  c.final(); // an AEAD's final adds no bytes; it computes the tag
  out.push(c.getAuthTag());
}

/** One chunk's plaintext; throws when the tag does not authenticate it. */
function open(key: KeyObject, counter: number, last: boolean, sealed: Buffer): Buffer {
  const d = createDecipheriv('chacha20-poly1305', key, chunkNonce(counter, last), { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  const plain = d.update(sealed.subarray(0, sealed.length - TAG));
  d.final();
  return plain;
}

/**
 * Collects chunks and hands out fixed-size pieces: a piece inside one chunk is a view of it, one
 * that spans chunks is copied once into a buffer of its own (never the rest of the chunks).
 */
class Pending {
  #parts: Buffer[] = [];
  size = 0;
  push(b: Buffer): void {
    if (b.length === 0) return;
    this.#parts.push(b);
    this.size += b.length;
  }
  take(n: number): Buffer {
    const first = this.#parts[0];
    if (!first || n === 0) return Buffer.alloc(0);
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#parts.shift();
      else this.#parts[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const part = this.#parts[0] as Buffer;
        const used = Math.min(part.length, n - filled);
        out.set(used === part.length ? part : part.subarray(0, used), filled);
        filled += used;
        if (used === part.length) this.#parts.shift();
        else this.#parts[0] = part.subarray(used);
      }
    }
    this.size -= n;
    return out;
  }
}

/**
 * The readable side hands out the chunks as they were pushed (object mode, as DigestStream): in
 * byte mode a reader that fell behind gets them joined into a fresh buffer, one more copy.
 */
const chunked: TransformOptions = { readableObjectMode: true, readableHighWaterMark: 32 };

/** The age header and payload nonce for `recipients`, and the file key they wrap (kept in memory only). */
async function newHeader(recipients: readonly string[]): Promise<{ prefix: Buffer; fileKey: Uint8Array }> {
  let fileKey: Uint8Array | undefined;
  // age-encryption draws the file key and writes the header; this recipient only sees the key (no stanza of its own).
  const witness: Recipient = {
    wrapFileKey: (key: Uint8Array) => {
      fileKey = Uint8Array.from(key);
      return [];
    },
  };
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  e.addRecipient(witness);
  const empty = Buffer.from(await e.encrypt(new Uint8Array(0)));
  if (!fileKey) throw new Error('age: no file key');
  // An empty file is header || nonce || one sealed empty last chunk (the tag alone).
  return { prefix: empty.subarray(0, empty.length - TAG), fileKey };
}

/** Encrypts a byte stream to `recipients` as an age file. */
export async function ageEncryptStream(recipients: readonly string[]): Promise<Transform> {
  const { prefix, fileKey } = await newHeader(recipients);
  const key = payloadKey(fileKey, prefix.subarray(prefix.length - NONCE));
  // The current chunk's plaintext as views of the pieces it came in; sealed once a byte beyond it
  // arrives (only then is it known not to be the last, whose nonce differs) or at the end.
  let held: Buffer[] = [];
  let heldSize = 0;
  let counter = 0;
  let started = false;
  return new Transform({
    ...chunked,
    transform(chunk: Buffer, _e, cb: TransformCallback) {
      if (!started) this.push(prefix);
      started = true;
      for (let offset = 0; offset < chunk.length;) {
        if (heldSize === CHUNK) {
          sealPieces(this, key, counter++, false, held);
          held = [];
          heldSize = 0;
        }
        const n = Math.min(CHUNK - heldSize, chunk.length - offset);
        held.push(n === chunk.length ? chunk : chunk.subarray(offset, offset + n));
        heldSize += n;
        offset += n;
      }
      cb();
    },
    flush(cb: TransformCallback) {
      if (!started) this.push(prefix);
      // The last chunk may be a full one, and is empty only when the whole plaintext is.
      sealPieces(this, key, counter, true, held);
      cb();
    },
  });
}

/** The end of the header: the "--- <mac>" line. -1 while not there yet. */
function headerEnd(buf: Buffer): number {
  const at = buf.indexOf('\n--- ');
  if (at < 0) return -1;
  const eol = buf.indexOf('\n', at + 1);
  return eol < 0 ? -1 : eol + 1;
}

/** How much of an age file's start ageDecryptStream needs at most: the header and the payload nonce. */
export const AGE_HEAD_BYTES = MAX_HEADER + NONCE;

/**
 * Decrypts an age file with `identities`, given its first bytes (`head`: up to AGE_HEAD_BYTES, or
 * the whole file if shorter). The file key is unwrapped here, so a wrong identity rejects before
 * any plaintext exists. The transform takes the file from byte `consumed` on.
 */
export async function ageDecryptStream(identities: readonly string[], head: Buffer): Promise<{ consumed: number; transform: Transform }> {
  const end = headerEnd(head.subarray(0, MAX_HEADER));
  if (end < 0) throw new Error('not an age file: no header end');
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  const fileKey = await d.decryptHeader(head.subarray(0, end));
  if (head.length < end + NONCE) throw new Error('age file cut short: no payload nonce');
  const key = payloadKey(fileKey, head.subarray(end, end + NONCE));
  const pending = new Pending();
  let counter = 0;
  const transform = new Transform({
    ...chunked,
    transform(chunk: Buffer, _e, cb: TransformCallback) {
      pending.push(chunk);
      try {
        while (pending.size > CHUNK + TAG) this.push(open(key, counter++, false, pending.take(CHUNK + TAG)));
      } catch {
        return cb(new Error(`age payload chunk ${counter} failed authentication (corrupted or truncated)`));
      }
      cb();
    },
    flush(cb: TransformCallback) {
      try {
        const last = open(key, counter, true, pending.take(pending.size));
        if (last.length === 0 && counter > 0) return cb(new Error('age payload: empty last chunk'));
        if (last.length) this.push(last);
      } catch {
        return cb(new Error(`age payload chunk ${counter} (the last) failed authentication (corrupted or truncated)`));
      }
      cb();
    },
  });
  return { consumed: end + NONCE, transform };
}
