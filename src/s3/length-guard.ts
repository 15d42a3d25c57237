/**
 * get()'s guard against a download cut short: the bytes pass through, and the stream fails with
 * a RemoteError naming the URL when it ends before the length the store announced.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { RemoteError } from '../core/errors.ts';

/** Passes bytes through and fails the stream if it ends short of the announced length. */
export class LengthGuard extends Transform {
  #seen = 0;
  readonly #expected: number | undefined;
  readonly #url: string;

  constructor(expected: number | undefined, url: string) {
    super({ highWaterMark: 1024 * 1024 });
    this.#expected = expected;
    this.#url = url;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#seen += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.#expected !== undefined && this.#seen !== this.#expected) {
      cb(
        new RemoteError(`failed to download ${this.#url}: the connection ended after ${this.#seen} of ${this.#expected} bytes`, {
          hint: 'the transfer was cut short; try again',
        }),
      );
      return;
    }
    cb();
  }
}
