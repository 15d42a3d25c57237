/**
 * An age file written as age-stream.ts writes it, with the payload sealed and the stored bytes
 * hashed on a worker thread: in a backup the main thread also reads the WebSocket, hashes the
 * plain bytes and drives the uploads, so work added to it is work in series, while the cipher
 * and the second SHA-256 (about 1.8 s of CPU per GiB) run beside it on the worker. For the
 * snapshot's stream; small objects stay on ageEncryptStream (a worker costs tens of ms to start).
 *
 * The STREAM framing is decided here, on the main thread (chunk boundaries, counters, the last
 * chunk's flag, as age-stream.ts documents it); the worker seals the slices of each 1 MiB batch
 * with the nonces it is given, in order, and hashes what it returns. Batches go over by transfer
 * (no copy) and their buffers come back for reuse, as do the sealed pieces (each OpenSSL output
 * is an ArrayBuffer of its own); at most IN_FLIGHT batches are out before the writer waits. A failure of the worker fails the stream; the worker ends
 * with the stream (end, error or destroy) and does not keep the process alive while idle.
 */
import { Worker } from 'node:worker_threads';
import { Transform, type TransformCallback } from 'node:stream';
import { CHUNK, NONCE, TAG, chunkNonce, newHeader, payloadKeyBytes } from './age-stream.ts';

const BATCH = 16 * CHUNK;
const IN_FLIGHT = 3;
const NONCE_BYTES = 12;

/**
 * The worker: seals a batch's chunks with the given nonces, hashes and returns them. Eval'd as a
 * script or as a module depending on the process's flags: builtins come from getBuiltinModule.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const { createCipheriv, createHash, createSecretKey } = process.getBuiltinModule('node:crypto');
const CHUNK = ${CHUNK}, TAG = ${TAG}, NONCE_BYTES = ${NONCE_BYTES};
const key = createSecretKey(Buffer.from(workerData.key));
const hash = createHash('sha256').update(Buffer.from(workerData.prefix));
let size = workerData.prefix.byteLength;
parentPort.on('message', (m) => {
  try {
    if (m.end) return parentPort.postMessage({ sha256: hash.digest('hex'), size });
    const plain = Buffer.from(m.plain, 0, m.fill);
    const nonces = Buffer.from(m.nonces);
    const pieces = [];
    for (let i = 0; i * NONCE_BYTES < nonces.length; i++) {
      const nonce = nonces.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES);
      const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
      const sealed = c.update(plain.subarray(i * CHUNK, Math.min(m.fill, (i + 1) * CHUNK)));
      c.final();
      const tag = c.getAuthTag();
      for (const piece of [sealed, tag]) {
        hash.update(piece);
        size += piece.length;
        // Each is a whole ArrayBuffer of its own: handed over, not copied, and no garbage left here.
        if (piece.length) pieces.push(piece.buffer);
      }
    }
    parentPort.postMessage({ pieces, plain: m.plain }, [...pieces, m.plain]);
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
`;

type Reply = { pieces: ArrayBuffer[]; plain: ArrayBuffer } | { sha256: string; size: number } | { error: string };

/** An age-encrypting Transform whose result() (once it has ended) is the SHA-256 and size of all it emitted. */
export interface HashedAgeStream extends Transform {
  result(): { sha256: string; size: number };
}

/** Encrypts a byte stream to `recipients` as an age file, sealing and hashing on a worker thread. */
export async function ageEncryptOffThread(recipients: readonly string[]): Promise<HashedAgeStream> {
  const { prefix, fileKey } = await newHeader(recipients);
  return new OffThreadAge(prefix, payloadKeyBytes(fileKey, prefix.subarray(prefix.length - NONCE)));
}

class OffThreadAge extends Transform implements HashedAgeStream {
  readonly #worker: Worker;
  #batch = Buffer.allocUnsafeSlow(BATCH);
  #fill = 0;
  #counter = 0;
  readonly #spare: ArrayBuffer[] = [];
  #inFlight = 0;
  /** A write held back while IN_FLIGHT batches are out. */
  #waiting: TransformCallback | undefined;
  #flushed: TransformCallback | undefined;
  #result: { sha256: string; size: number } | undefined;

  constructor(prefix: Buffer, key: Buffer) {
    super({ readableObjectMode: true, readableHighWaterMark: 32 });
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { key, prefix } });
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => this.#onReply(m));
    this.#worker.on('error', (err) => this.destroy(err));
    this.#worker.on('exit', () => {
      if (!this.#result) this.destroy(new Error('age: the encrypting worker stopped'));
    });
    this.push(prefix);
  }

  result(): { sha256: string; size: number } {
    if (!this.#result) throw new Error('age: the stream has not ended');
    return this.#result;
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    for (let off = 0; off < chunk.length;) {
      // A full batch goes once a byte follows it: only then are its chunks known not to be the last.
      if (this.#fill === BATCH) this.#dispatch(false);
      const n = Math.min(BATCH - this.#fill, chunk.length - off);
      chunk.copy(this.#batch, this.#fill, off, off + n);
      this.#fill += n;
      off += n;
    }
    if (this.#inFlight >= IN_FLIGHT) this.#waiting = cb;
    else cb();
  }

  override _flush(cb: TransformCallback): void {
    this.#dispatch(true);
    this.#flushed = cb;
    this.#worker.postMessage({ end: true });
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    void this.#worker.terminate();
    cb(err);
  }

  /** Sends the batch: every chunk in it, the last one flagged as the file's last when `last`. */
  #dispatch(last: boolean): void {
    const count = last ? Math.max(1, Math.ceil(this.#fill / CHUNK)) : this.#fill / CHUNK;
    const nonces = Buffer.allocUnsafeSlow(count * NONCE_BYTES);
    for (let i = 0; i < count; i++) chunkNonce(this.#counter + i, last && i === count - 1).copy(nonces, i * NONCE_BYTES);
    this.#counter += count;
    const plain = this.#batch.buffer;
    this.#worker.postMessage({ plain, fill: this.#fill, nonces: nonces.buffer }, [plain, nonces.buffer]);
    if (this.#inFlight++ === 0) this.#worker.ref();
    const reuse = this.#spare.pop();
    this.#batch = reuse ? Buffer.from(reuse) : Buffer.allocUnsafeSlow(BATCH);
    this.#fill = 0;
  }

  #onReply(m: Reply): void {
    if ('error' in m) return void this.destroy(new Error(`age: ${m.error}`));
    if ('sha256' in m) {
      this.#result = m;
      void this.#worker.terminate();
      return this.#flushed?.();
    }
    this.#spare.push(m.plain);
    for (const piece of m.pieces) this.push(Buffer.from(piece));
    // Idle until the next batch: an abandoned stream must not keep the process alive.
    if (--this.#inFlight === 0 && !this.#flushed) this.#worker.unref();
    const waiting = this.#waiting;
    if (waiting && this.#inFlight < IN_FLIGHT) {
      this.#waiting = undefined;
      waiting();
    }
  }
}
