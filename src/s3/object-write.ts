/**
 * put() of the S3 store: one object written, encrypted and locked as asked.
 *
 * Contracts:
 *  - Integrity in transit on every store: a Buffer or string is one PutObject whose SHA-256 is in
 *    its SigV4 signature (signed payload, checked by every SigV4 store); a stream is uploaded by
 *    multipart.ts, whose parts carry a CRC32 where the store acknowledges it and are
 *    payload-signed where it does not.
 *  - A stream is uploaded with fixed memory: (queueSize + 1) part buffers of partSize bytes,
 *    reused, whatever the object's size; a stream shorter than one part is a single PutObject.
 *    A failed or aborted upload aborts the multipart upload, so no object and (best effort) no
 *    orphan parts are left, and the body is destroyed.
 *  - Server-side encryption (sse): asked on every write. An object whose write answer does not
 *    name its encryption is looked up (HeadObject); if that does not name it either, the store
 *    has not confirmed it (Ceph RGW accepts AES256 over https without saying so): one warning
 *    per store, or with requireSse a PreconditionError and the object deleted again, so that
 *    with a backup's order (snapshot first, backup.json last) nothing else is written.
 *  - Object Lock (object-lock.ts): `lock` sends the retention on PutObject or
 *    CreateMultipartUpload, with Content-MD5 on a locked PutObject (AWS requires it), and reads a
 *    multipart object's retention back, setting it where the store dropped it (Ceph RGW 16.2).
 *  - `metadata` goes as x-amz-meta-* on PutObject or CreateMultipartUpload (head() answers it).
 */
import type { Readable } from 'node:stream';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PreconditionError } from '../core/errors.ts';
import type { PutOptions, PutResult } from '../core/ports.ts';
import { abortOptions, type BucketContext } from './bucket-context.ts';
import { contentMd5, ensureRetention, lockParams } from './object-lock.ts';
import { MIN_PART_SIZE, uploadStream, type UploadStreamOptions } from './multipart.ts';

export class ObjectWriter {
  readonly #b: BucketContext;
  /** Deletes an object this writer must not keep (requireSse). */
  readonly #deleteObject: (key: string) => Promise<void>;
  /** Set once the store failed to confirm SSE (and the warning was given). */
  #sseUnconfirmed = false;

  constructor(bucket: BucketContext, deleteObject: (key: string) => Promise<void>) {
    this.#b = bucket;
    this.#deleteObject = deleteObject;
  }

  async put(key: string, body: Buffer | string | Readable, options: PutOptions = {}): Promise<PutResult> {
    const c = this.#b.config;
    const params: UploadStreamOptions['params'] = {
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(c.sse ? { ServerSideEncryption: c.sse } : {}),
      ...(c.sse === 'aws:kms' && c.kmsKeyId ? { SSEKMSKeyId: c.kmsKeyId } : {}),
      ...lockParams(options.lock),
      ...(options.metadata ? { Metadata: options.metadata } : {}),
    };
    if (typeof body === 'string' || Buffer.isBuffer(body)) return this.#putWhole(key, body, params, options);
    const stats = await this.#b.send(
      'upload',
      key,
      () =>
        uploadStream({
          client: c.client,
          bucket: this.#b.bucket,
          key,
          body,
          params,
          partSize: options.leastMemory ? Math.min(c.partSize, MIN_PART_SIZE) : c.partSize,
          queueSize: c.queueSize,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(c.debug ? { debug: c.debug } : {}),
        }),
      options.signal,
    );
    await this.#confirmSse(key, stats.serverSideEncryption, options.signal);
    const lock = options.lock;
    if (lock && stats.parts > 0) {
      await this.#b.send('upload', key, () => ensureRetention(c.client, this.#b.bucket, key, lock, c.debug), options.signal);
    }
    return stats.etag ? { etag: stats.etag } : {};
  }

  /** A Buffer or string body: the signer puts its SHA-256 into the signature (signed payload). */
  async #putWhole(key: string, body: Buffer | string, params: UploadStreamOptions['params'], options: PutOptions): Promise<PutResult> {
    const length = Buffer.byteLength(body);
    const md5 = options.lock ? { ContentMD5: contentMd5(body) } : {};
    const input = { ...params, Bucket: this.#b.bucket, Key: key, Body: body, ContentLength: length, ...md5 };
    const out = await this.#b.send(
      'upload',
      key,
      () => this.#b.client.send(new PutObjectCommand(input), abortOptions(options.signal)),
      options.signal,
    );
    await this.#confirmSse(key, out.ServerSideEncryption, options.signal);
    options.onProgress?.(length);
    return out.ETag ? { etag: out.ETag } : {};
  }

  /** See the contract above: sse asked, and the answer to the write did not name it. */
  async #confirmSse(key: string, answered: string | undefined, signal?: AbortSignal): Promise<void> {
    const c = this.#b.config;
    const asked = c.sse;
    if (!asked || answered || this.#sseUnconfirmed) return;
    const head = await this.#b.send(
      'read',
      key,
      () => this.#b.client.send(new HeadObjectCommand({ Bucket: this.#b.bucket, Key: key }), abortOptions(signal)),
      signal,
    );
    if (head.ServerSideEncryption) return;
    const url = this.#b.url(key);
    if (c.requireSse) {
      await this.#deleteObject(key).catch(() => undefined);
      throw new PreconditionError(`refused to keep ${url}: the store did not confirm server-side encryption ${asked} (--require-sse)`, {
        hint: "the object was deleted; Ceph RGW before Squid accepts --sse AES256 without confirming it: check the store's encryption settings, or run without --require-sse to go on with a warning",
      });
    }
    // Writes run concurrently: the first to get here warns, the others (past the check above) do not.
    if (this.#sseUnconfirmed) return;
    this.#sseUnconfirmed = true;
    c.warn?.(
      `the object store did not confirm server-side encryption ${asked} for ${url} (not in its answer, nor in HeadObject): objects on s3://${this.#b.bucket} may be stored unencrypted; pass --require-sse to refuse that`,
    );
  }
}
