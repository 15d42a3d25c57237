/**
 * The multipart upload behind uploadStream (multipart.ts states its contracts): one object's
 * upload as a small state machine. The wire details of its requests are in multipart-wire.ts.
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, type CompletedPart } from '@aws-sdk/client-s3';
import { abortUpload, uploadPartCommand } from './multipart-wire.ts';
import { contentMd5 } from './object-lock.ts';
import { s3Url } from '../core/s3-url.ts';
import type { PartIntegrity, UploadStats, UploadStreamOptions } from './multipart.ts';

/**
 * One upload in progress. The body is read into part buffers (readBody); each full buffer is
 * dispatched (the upload created with the first, then one UploadPart per buffer, at most
 * queueSize in flight); at the end a short stream becomes one PutObject (putSingle), a long one
 * is completed (complete). fail() records the first failure only and stops everything; run()
 * then cleans up (cleanUp) and rethrows it unchanged.
 */
export class StreamUpload {
  readonly #o: UploadStreamOptions;
  readonly #maxParts: number;
  readonly #started = performance.now();
  readonly #stop = new AbortController();
  /** The caller's signal and our stop: cancels every request in flight. */
  readonly #abortSignal: AbortSignal;
  /** Part buffers not in flight; with the one being filled and those in flight, never over queueSize + 1. */
  readonly #free: Buffer[] = [];
  /** Parts in flight; these promises never reject (a failure goes to fail()). */
  readonly #inflight = new Set<Promise<void>>();
  readonly #parts: CompletedPart[] = [];
  #allocated = 0;
  /** Bytes read from the body, and bytes whose part is stored (onProgress). */
  #bytes = 0;
  #loaded = 0;
  #partNumber = 0;
  #uploadId: string | undefined;
  #integrity: PartIntegrity = 'signed-payload';
  #serverSideEncryption: string | undefined;
  #etag: string | undefined;
  #failure: { error: unknown } | undefined;

  /** `o.maxParts` is required here: uploadStream sets S3's limit when the caller does not. */
  constructor(o: UploadStreamOptions & { maxParts: number }) {
    this.#o = o;
    this.#maxParts = o.maxParts;
    this.#abortSignal = o.signal ? AbortSignal.any([o.signal, this.#stop.signal]) : this.#stop.signal;
  }

  async run(): Promise<UploadStats> {
    const signal = this.#o.signal;
    const onAbort = (): void => this.#fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) onAbort();
      try {
        const last = await this.#readBody();
        if (!this.#failure && this.#uploadId === undefined) await this.#putSingle(last);
        else if (!this.#failure) await this.#complete(last);
      } catch (err) {
        this.#fail(err);
      }
      if (this.#failure) {
        await this.#cleanUp();
        throw this.#failure.error;
      }
      return {
        bytes: this.#bytes,
        parts: this.#partNumber,
        buffersAllocated: this.#allocated,
        integrity: this.#integrity,
        ...(this.#serverSideEncryption ? { serverSideEncryption: this.#serverSideEncryption } : {}),
        ...(this.#etag ? { etag: this.#etag } : {}),
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The first failure wins: requests in flight are cancelled and a read waiting for data ends. */
  readonly #fail = (error: unknown): void => {
    if (this.#failure) return;
    this.#failure = { error };
    this.#stop.abort(error);
    this.#o.body.destroy();
  };

  #settleOne(): Promise<void> {
    return Promise.race(this.#inflight);
  }

  /**
   * Copies the body into part buffers (a chunk may span two) and dispatches each full one; stops
   * at the first failure. Returns the last buffer, partly filled (or none).
   */
  async #readBody(): Promise<{ buf: Buffer | undefined; fill: number }> {
    const { partSize } = this.#o;
    let buf: Buffer | undefined;
    let fill = 0;
    if (this.#failure) return { buf, fill };
    for await (const chunk of this.#o.body as AsyncIterable<Buffer | string>) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let offset = 0; offset < data.length;) {
        if (this.#failure) return { buf, fill };
        if (!buf) {
          buf = this.#takeBuffer();
          fill = 0;
        }
        const n = Math.min(partSize - fill, data.length - offset);
        buf.set(data.subarray(offset, offset + n), fill);
        fill += n;
        offset += n;
        this.#bytes += n;
        if (fill === partSize) {
          const full = buf;
          buf = undefined;
          await this.#dispatch(full, partSize);
        }
      }
    }
    return { buf, fill };
  }

  /**
   * A part buffer to fill. Never waits: every buffer is in flight (at most queueSize, dispatch
   * waits for that), free, or the one being filled, so the pool never exceeds queueSize + 1.
   * Throws EntityTooLarge past maxParts: a stream is never truncated.
   */
  #takeBuffer(): Buffer {
    const { partSize } = this.#o;
    if (this.#partNumber >= this.#maxParts) {
      throw Object.assign(new Error(`the stream is larger than ${this.#maxParts} parts of ${partSize} bytes; use a larger part size`), {
        name: 'EntityTooLarge',
      });
    }
    const reused = this.#free.pop();
    if (reused) return reused;
    this.#allocated++;
    return Buffer.allocUnsafeSlow(partSize);
  }

  /** Sends `n` bytes of `buf` as the next part, once fewer than queueSize are in flight; creates the upload first. */
  async #dispatch(buf: Buffer, n: number): Promise<void> {
    if (this.#uploadId === undefined) await this.#create();
    while (!this.#failure && this.#inflight.size >= this.#o.queueSize) await this.#settleOne();
    if (this.#failure) return;
    const sent = this.#sendPart(buf.subarray(0, n), ++this.#partNumber)
      .catch(this.#fail)
      .finally(() => {
        this.#inflight.delete(sent);
        this.#free.push(buf);
      });
    this.#inflight.add(sent);
  }

  /** CreateMultipartUpload with CRC32 asked: whether the store echoes it decides how parts are protected. */
  async #create(): Promise<void> {
    const { client, bucket: Bucket, key: Key } = this.#o;
    const created = await client.send(new CreateMultipartUploadCommand({ ...this.#o.params, Bucket, Key, ChecksumAlgorithm: 'CRC32' }), {
      abortSignal: this.#abortSignal,
    });
    if (!created.UploadId) throw new Error('CreateMultipartUpload answered without an UploadId');
    this.#uploadId = created.UploadId;
    this.#integrity = created.ChecksumAlgorithm?.toUpperCase() === 'CRC32' ? 'crc32' : 'signed-payload';
    this.#o.debug?.(
      this.#integrity === 'crc32'
        ? `${s3Url(Bucket, Key)}: the store acknowledged CRC32: parts carry their CRC32 under UNSIGNED-PAYLOAD`
        : `${s3Url(Bucket, Key)}: the store did not acknowledge CRC32 (as Ceph RGW before Squid): parts are payload-signed (SHA-256)`,
    );
  }

  /** One UploadPart (multipart-wire.ts); its ETag and CRC32 are kept for Complete. */
  async #sendPart(body: Buffer, PartNumber: number): Promise<void> {
    const { command, ChecksumCRC32 } = uploadPartCommand(this.#o, this.#uploadId, this.#integrity, body, PartNumber);
    const out = await this.#o.client.send(command, { abortSignal: this.#abortSignal });
    this.#parts.push({ ETag: out.ETag, PartNumber, ChecksumCRC32 });
    this.#loaded += body.length;
    this.#o.onProgress?.(this.#loaded);
  }

  /** A stream shorter than one part (or empty): one payload-signed PutObject. */
  async #putSingle(last: { buf: Buffer | undefined; fill: number }): Promise<void> {
    const { client, bucket: Bucket, key: Key } = this.#o;
    const data = last.buf ? last.buf.subarray(0, last.fill) : Buffer.alloc(0);
    // A Buffer body: the signer puts its SHA-256 into the signature (signed payload).
    const md5 = this.#o.params?.ObjectLockMode ? { ContentMD5: contentMd5(data) } : {};
    const put = await client.send(
      new PutObjectCommand({ ...this.#o.params, Bucket, Key, Body: data, ContentLength: data.length, ...md5 }),
      {
        abortSignal: this.#abortSignal,
      },
    );
    this.#serverSideEncryption = put.ServerSideEncryption;
    this.#etag = put.ETag;
    this.#loaded = data.length;
    this.#o.onProgress?.(this.#loaded);
  }

  /** The last part sent, every part settled, then CompleteMultipartUpload listing the parts by number. */
  async #complete(last: { buf: Buffer | undefined; fill: number }): Promise<void> {
    const { client, bucket: Bucket, key: Key } = this.#o;
    if (last.buf && last.fill > 0) await this.#dispatch(last.buf, last.fill);
    while (this.#inflight.size > 0) await this.#settleOne();
    if (this.#failure) return;
    const partsDone = performance.now();
    this.#parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const done = await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: this.#uploadId, MultipartUpload: { Parts: this.#parts } }),
      { abortSignal: this.#abortSignal },
    );
    this.#serverSideEncryption = done.ServerSideEncryption;
    this.#etag = done.ETag;
    const seconds = (to: number, from: number) => ((to - from) / 1000).toFixed(2);
    this.#o.debug?.(
      `${s3Url(Bucket, Key)}: ${this.#bytes} bytes in ${this.#partNumber} parts in ${seconds(partsDone, this.#started)} s, completed in ${seconds(performance.now(), partsDone)} s`,
    );
  }

  /** After a failure: the parts in flight settle, then the multipart upload is aborted (best effort). */
  async #cleanUp(): Promise<void> {
    while (this.#inflight.size > 0) await this.#settleOne();
    if (this.#uploadId !== undefined) await abortUpload(this.#o, this.#uploadId);
  }
}
