/**
 * A pass-through that measures what flows through it: total size, SHA-256 of every byte (for
 * backup.json), and etcd's own integrity trailer (the last 32 bytes of a snapshot are the
 * SHA-256 of everything before them), checked without holding more than 32 bytes back.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export interface DigestResult {
  size: number;
  sha256: string;
  /** True when the last 32 bytes are the SHA-256 of the bytes before them. */
  trailerValid: boolean;
}

export class DigestStream extends Transform {
  readonly #body: Hash = createHash('sha256');
  #tail: Buffer = Buffer.alloc(0);
  #size = 0;
  readonly #onBytes: ((total: number) => void) | undefined;

  /**
   * The readable side hands out the chunks as they came, one per read: in byte mode a reader
   * (`for await`) gets the buffered chunks joined into a fresh buffer, a copy of the whole
   * snapshot over a backup, which the multipart uploader would then copy once more.
   */
  constructor(onBytes?: (total: number) => void) {
    super({ readableObjectMode: true, readableHighWaterMark: 16 });
    this.#onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    if (chunk.length >= 32) {
      // Hash without copying: what was held back, then all of this chunk but its last 32 bytes.
      this.#body.update(this.#tail);
      this.#body.update(chunk.subarray(0, chunk.length - 32));
      this.#tail = Buffer.from(chunk.subarray(chunk.length - 32));
    } else {
      const joined = Buffer.concat([this.#tail, chunk]);
      const keep = Math.min(32, joined.length);
      this.#body.update(joined.subarray(0, joined.length - keep));
      this.#tail = joined.subarray(joined.length - keep);
    }
    this.#onBytes?.(this.#size);
    callback(null, chunk);
  }

  /** Valid once the stream has ended. */
  result(): DigestResult {
    const body = this.#body.copy().digest();
    return {
      size: this.#size,
      // The whole file is the body plus the held-back tail: one hash pass serves both results.
      sha256: this.#body.copy().update(this.#tail).digest('hex'),
      trailerValid: this.#tail.length === 32 && body.equals(this.#tail),
    };
  }
}
