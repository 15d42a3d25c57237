/**
 * The ObjectStore port on the AWS SDK v3. src/s3 (this module and its pieces; store.ts builds it)
 * is the only place that imports @aws-sdk/*; it is loaded lazily, only by commands that reach S3.
 * This class holds the store's state and hands each call to the piece that owns its contract:
 *  - writes, their integrity in transit, fixed memory, SSE confirmation and Object Lock on put:
 *    object-write.ts (streams through multipart.ts);
 *  - get() (checked against Content-Length), head() and list(): object-read.ts;
 *  - incomplete multipart uploads, listed and aborted: uploads.ts;
 *  - Object Lock and versioning of the bucket: object-lock.ts; batch deletes: delete-many.ts.
 *
 * Contracts:
 *  - Checksums are computed/validated only WHEN_REQUIRED (store.ts): the SDK's default streams
 *    bodies aws-chunked without a length, which Ceph RGW refuses (411 MissingContentLength) and
 *    some S3-compatible stores store framing and all (silent corruption).
 *  - delete()/deleteMany() with `allVersions` delete every version by id, not a delete marker.
 *  - Every SDK error leaves as an HcpDrError naming s3://bucket/key (bucket-context.ts, errors.ts).
 */
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type {
  DeleteOptions,
  IncompleteUpload,
  ObjectLock,
  ObjectStore,
  ObjectVersion,
  PutOptions,
  PutResult,
  StoredObject,
} from '../core/ports.ts';
import { BucketContext, type S3StoreConfig } from './bucket-context.ts';
import { deleteInBatches } from './delete-many.ts';
import { bucketVersioned, deleteAllVersions, listVersions, objectLockEnabled, retentionOf } from './object-lock.ts';
import { getObject, headObject, listObjects } from './object-read.ts';
import { ObjectWriter } from './object-write.ts';
import { abortIncompleteUpload, listIncompleteUploads } from './uploads.ts';

export type { S3StoreConfig } from './bucket-context.ts';

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly #b: BucketContext;
  readonly #writer: ObjectWriter;
  /** Set once the store refused DeleteObjects: deleteMany goes key by key. */
  #noBatchDelete = false;

  constructor(config: S3StoreConfig) {
    this.#b = new BucketContext(config);
    this.bucket = config.bucket;
    this.#writer = new ObjectWriter(this.#b, (key) => this.delete(key));
  }

  url(key: string): string {
    return this.#b.url(key);
  }

  put(key: string, body: Buffer | string | Readable, options: PutOptions = {}): Promise<PutResult> {
    return this.#writer.put(key, body, options);
  }

  get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    return getObject(this.#b, key, options);
  }

  head(key: string): Promise<StoredObject | undefined> {
    return headObject(this.#b, key);
  }

  list(prefix: string): Promise<StoredObject[]> {
    return listObjects(this.#b, prefix);
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const b = this.#b;
    if (options.allVersions) {
      await b.send('delete', key, () => deleteAllVersions(b.client, b.bucket, key, options), options.signal);
      return;
    }
    await b.send('delete', key, () => b.client.send(new DeleteObjectCommand({ Bucket: b.bucket, Key: key })));
  }

  objectLockEnabled(): Promise<boolean> {
    return this.#b.send('read', '', () => objectLockEnabled(this.#b.client, this.bucket));
  }

  retention(key: string): Promise<ObjectLock | undefined> {
    return this.#b.send('read', key, () => retentionOf(this.#b.client, this.bucket, key));
  }

  versioned(): Promise<boolean> {
    return this.#b.send('read', '', () => bucketVersioned(this.#b.client, this.bucket));
  }

  listVersions(prefix: string): Promise<ObjectVersion[]> {
    return this.#b.send('read', prefix, () => listVersions(this.#b.client, this.bucket, prefix));
  }

  /** DeleteObjects, 1000 keys a request (delete-many.ts); with allVersions key by key, by version. */
  async deleteMany(keys: readonly string[], options: DeleteOptions = {}): Promise<void> {
    if (options.allVersions) {
      for (const key of keys) await this.delete(key, options);
      return;
    }
    const b = this.#b;
    await deleteInBatches(
      {
        client: b.client,
        bucket: b.bucket,
        batchesRefused: () => this.#noBatchDelete,
        onRefused: () => void (this.#noBatchDelete = true),
        deleteOne: (key) => this.delete(key),
        mapError: (err, key, signal) => b.mapError(err, 'delete', key, signal),
        ...(b.config.debug ? { debug: b.config.debug } : {}),
      },
      keys,
      options.signal,
    );
  }

  listIncompleteUploads(prefix: string): Promise<IncompleteUpload[] | undefined> {
    return listIncompleteUploads(
      this.#b.client,
      this.bucket,
      prefix,
      (verb, key, call) => this.#b.send(verb, key, call),
      this.#b.config.debug,
    );
  }

  abortIncompleteUpload(upload: IncompleteUpload): Promise<void> {
    return abortIncompleteUpload(this.#b, upload);
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.#b.send('presign', key, () =>
      getSignedUrl(this.#b.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds }),
    );
  }
}
