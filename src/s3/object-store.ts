/**
 * The ObjectStore port on the AWS SDK v3. src/s3 (this module and its pieces: multipart.ts,
 * delete-many.ts, length-guard.ts, object-lock.ts, uploads.ts; store.ts builds it) is the only
 * place that imports @aws-sdk/*; it is loaded lazily, only by commands that reach S3.
 *
 * Contracts:
 *  - Checksums are computed/validated only WHEN_REQUIRED (store.ts): the SDK's default streams
 *    bodies aws-chunked without a length, which Ceph RGW refuses (411 MissingContentLength) and
 *    some S3-compatible stores store framing and all (silent corruption).
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
 *  - Object Lock (object-lock.ts): put() with `lock` sends the retention on PutObject or
 *    CreateMultipartUpload, with Content-MD5 on a locked PutObject (AWS requires it), and reads a
 *    multipart object's retention back, setting it where the store dropped it (Ceph RGW 16.2);
 *    delete()/deleteMany() with `allVersions` delete every version by id, not a delete marker.
 *  - get() fails the stream when fewer bytes arrive than Content-Length announced.
 *  - Every SDK error leaves as an HcpDrError naming s3://bucket/key (see errors.ts).
 */
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PreconditionError } from '../core/errors.ts';
import type { DeleteOptions, IncompleteUpload, ObjectLock, ObjectStore, PutOptions, PutResult, StoredObject } from '../core/ports.ts';
import {
  bucketVersioned,
  contentMd5,
  deleteAllVersions,
  ensureRetention,
  lockParams,
  objectLockEnabled,
  retentionOf,
} from './object-lock.ts';
import { listIncompleteUploads } from './uploads.ts';
import { deleteInBatches } from './delete-many.ts';
import { LengthGuard } from './length-guard.ts';
import { mapS3Error, s3ErrorCode, type S3Verb } from './errors.ts';
import { uploadStream, type UploadStreamOptions } from './multipart.ts';
import { s3Url } from '../core/s3-url.ts';

export interface S3StoreConfig {
  client: S3Client;
  bucket: string;
  endpoint?: string;
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /** Multipart part size in bytes (S3 minimum 5 MiB). */
  partSize: number;
  /** Parts uploaded concurrently. */
  queueSize: number;
  /** MaxKeys per ListObjectsV2 page (S3 caps it at 1000). */
  listPageSize: number;
  /** Refuse (instead of warning about) a write whose encryption the store does not confirm. */
  requireSse?: boolean;
  /** Whether --request-timeout was given: named in timeout errors. */
  requestTimeoutSet?: boolean;
  debug?: (message: string) => void;
  warn?: (message: string) => void;
}

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly #c: S3StoreConfig;
  /** Set once the store failed to confirm SSE (and the warning was given). */
  #sseUnconfirmed = false;
  /** Set once the store refused DeleteObjects: deleteMany goes key by key. */
  #noBatchDelete = false;

  constructor(config: S3StoreConfig) {
    this.#c = config;
    this.bucket = config.bucket;
  }

  url(key: string): string {
    return s3Url(this.bucket, key);
  }

  async put(key: string, body: Buffer | string | Readable, options: PutOptions = {}): Promise<PutResult> {
    const params: UploadStreamOptions['params'] = {
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(this.#c.sse ? { ServerSideEncryption: this.#c.sse } : {}),
      ...(this.#c.sse === 'aws:kms' && this.#c.kmsKeyId ? { SSEKMSKeyId: this.#c.kmsKeyId } : {}),
      ...lockParams(options.lock),
    };
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      const length = Buffer.byteLength(body);
      // A Buffer or string body: the signer puts its SHA-256 into the signature (signed payload).
      const md5 = options.lock ? { ContentMD5: contentMd5(body) } : {};
      const input = { ...params, Bucket: this.bucket, Key: key, Body: body, ContentLength: length, ...md5 };
      const out = await this.#send(
        'upload',
        key,
        () => this.#c.client.send(new PutObjectCommand(input), opts(options.signal)),
        options.signal,
      );
      await this.#confirmSse(key, out.ServerSideEncryption, options.signal);
      options.onProgress?.(length);
      return out.ETag ? { etag: out.ETag } : {};
    }
    const stats = await this.#send(
      'upload',
      key,
      () =>
        uploadStream({
          client: this.#c.client,
          bucket: this.bucket,
          key,
          body,
          params,
          partSize: this.#c.partSize,
          queueSize: this.#c.queueSize,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(this.#c.debug ? { debug: this.#c.debug } : {}),
        }),
      options.signal,
    );
    await this.#confirmSse(key, stats.serverSideEncryption, options.signal);
    const lock = options.lock;
    if (lock && stats.parts > 0) {
      await this.#send('upload', key, () => ensureRetention(this.#c.client, this.bucket, key, lock, this.#c.debug), options.signal);
    }
    return stats.etag ? { etag: stats.etag } : {};
  }

  /** See the contract above: sse asked, and the answer to the write did not name it. */
  async #confirmSse(key: string, answered: string | undefined, signal?: AbortSignal): Promise<void> {
    const asked = this.#c.sse;
    if (!asked || answered || this.#sseUnconfirmed) return;
    const head = await this.#send(
      'read',
      key,
      () => this.#c.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), opts(signal)),
      signal,
    );
    if (head.ServerSideEncryption) return;
    const url = this.url(key);
    if (this.#c.requireSse) {
      await this.delete(key).catch(() => undefined);
      throw new PreconditionError(`refused to keep ${url}: the store did not confirm server-side encryption ${asked} (--require-sse)`, {
        hint: "the object was deleted; Ceph RGW before Squid accepts --sse AES256 without confirming it: check the store's encryption settings, or run without --require-sse to go on with a warning",
      });
    }
    // Writes run concurrently: the first to get here warns, the others (past the check above) do not.
    if (this.#sseUnconfirmed) return;
    this.#sseUnconfirmed = true;
    this.#c.warn?.(
      `the object store did not confirm server-side encryption ${asked} for ${url} (not in its answer, nor in HeadObject): objects on s3://${this.bucket} may be stored unencrypted; pass --require-sse to refuse that`,
    );
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const out = await this.#send(
      'download',
      key,
      () => this.#c.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), opts(options.signal)),
      options.signal,
    );
    const source = out.Body as Readable | undefined;
    if (!source) return Readable.from([]);
    const url = this.url(key);
    const guard = new LengthGuard(out.ContentLength, url);
    source.on('error', (err) => guard.destroy(mapS3Error(err, 'download', url, this.#ctx(options.signal))));
    guard.on('close', () => {
      if (!source.readableEnded) source.destroy();
    });
    return source.pipe(guard);
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.#c.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified, ...(out.ETag ? { etag: out.ETag } : {}) };
    } catch (err) {
      if (s3ErrorCode(err) === 'NotFound' || s3ErrorCode(err) === 'NoSuchKey') return undefined;
      throw mapS3Error(err, 'read', this.url(key), this.#ctx());
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.#send('list', prefix, () =>
        this.#c.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix || undefined,
            MaxKeys: this.#c.listPageSize,
            ContinuationToken: token,
          }),
        ),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    if (options.allVersions) {
      await this.#send('delete', key, () => deleteAllVersions(this.#c.client, this.bucket, key, options), options.signal);
      return;
    }
    await this.#send('delete', key, () => this.#c.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  objectLockEnabled(): Promise<boolean> {
    return this.#send('read', '', () => objectLockEnabled(this.#c.client, this.bucket));
  }

  retention(key: string): Promise<ObjectLock | undefined> {
    return this.#send('read', key, () => retentionOf(this.#c.client, this.bucket, key));
  }

  versioned(): Promise<boolean> {
    return this.#send('read', '', () => bucketVersioned(this.#c.client, this.bucket));
  }

  /** DeleteObjects, 1000 keys a request (delete-many.ts); with allVersions key by key, by version. */
  async deleteMany(keys: readonly string[], options: DeleteOptions = {}): Promise<void> {
    if (options.allVersions) {
      for (const key of keys) await this.delete(key, options);
      return;
    }
    await deleteInBatches(
      {
        client: this.#c.client,
        bucket: this.bucket,
        batchesRefused: () => this.#noBatchDelete,
        onRefused: () => void (this.#noBatchDelete = true),
        deleteOne: (key) => this.delete(key),
        mapError: (err, key, signal) => mapS3Error(err, 'delete', this.url(key), this.#ctx(signal)),
        ...(this.#c.debug ? { debug: this.#c.debug } : {}),
      },
      keys,
      options.signal,
    );
  }

  listIncompleteUploads(prefix: string): Promise<IncompleteUpload[] | undefined> {
    return listIncompleteUploads(this.#c.client, this.bucket, prefix, (verb, key, call) => this.#send(verb, key, call), this.#c.debug);
  }

  async abortIncompleteUpload(upload: IncompleteUpload): Promise<void> {
    const input = { Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId };
    try {
      await this.#c.client.send(new AbortMultipartUploadCommand(input));
    } catch (err) {
      if (s3ErrorCode(err) === 'NoSuchUpload') return;
      throw mapS3Error(err, 'delete', this.url(upload.key), this.#ctx());
    }
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.#send('presign', key, () =>
      getSignedUrl(this.#c.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds }),
    );
  }

  async #send<T>(verb: S3Verb, key: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw mapS3Error(err, verb, this.url(key), this.#ctx(signal));
    }
  }

  #ctx(signal?: AbortSignal) {
    return {
      ...(this.#c.endpoint ? { endpoint: this.#c.endpoint } : {}),
      ...(this.#c.sse ? { sse: this.#c.sse } : {}),
      ...(this.#c.requestTimeoutSet ? { requestTimeoutSet: true } : {}),
      ...(signal ? { signal } : {}),
    };
  }
}

function opts(signal: AbortSignal | undefined) {
  return signal ? { abortSignal: signal } : {};
}
