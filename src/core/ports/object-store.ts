/**
 * The object-store side of the ports: an S3 bucket (or S3-compatible store) as hcp-dr sees it,
 * and the target that names one. Implemented in src/s3.
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date | undefined;
  /** The store's entity tag, as head() and put() answer it (absent where a store gives none). */
  etag?: string;
  /** User metadata (x-amz-meta-*, names lower-case, without the prefix): head() answers it, list() does not. */
  metadata?: Record<string, string>;
}

/** What a write answered: the stored object's entity tag, when the store gave one. */
export interface PutResult {
  etag?: string;
}

/** S3 Object Lock retention of one object: no one deletes its data before retainUntil (governance: except with the bypass). */
export interface ObjectLock {
  mode: 'governance' | 'compliance';
  retainUntil: Date;
}

export interface DeleteOptions {
  signal?: AbortSignal;
  /**
   * Remove the data, not just hide it: every version of the key (and its delete markers) is
   * deleted by version id. On a versioned bucket (every Object Lock bucket) a plain delete only
   * adds a delete marker and the data stays. A version under retention is refused (ForbiddenError).
   */
  allVersions?: boolean;
  /** With allVersions: x-amz-bypass-governance-retention on each delete (governance-mode locks only). */
  bypassGovernance?: boolean;
}

export interface PutOptions {
  contentType?: string;
  /** Object Lock retention stored with the object (the bucket must have Object Lock enabled). */
  lock?: ObjectLock;
  /** User metadata stored with the object (x-amz-meta-<name>; names lower-case ASCII, values ASCII). */
  metadata?: Record<string, string>;
  /** Multipart for streams of unknown length; reported in bytes as parts complete. */
  onProgress?: (bytesSent: number) => void;
  /**
   * A stream with the least memory the store allows (S3: parts of its 5 MiB minimum instead of the
   * store's size, as many in flight), for a caller that holds much else while it uploads.
   */
  leastMemory?: boolean;
  signal?: AbortSignal;
}

/**
 * An S3 bucket (or S3-compatible store) seen through the few calls hcp-dr makes. Keys are
 * relative to the bucket. Errors arrive as HcpDrError subclasses naming s3://bucket/key:
 * ForbiddenError (credentials, signature, access), NotFoundError (missing key),
 * PreconditionError (missing bucket), RemoteError (network, 5xx).
 */
export interface ObjectStore {
  readonly bucket: string;
  /** `s3://bucket/key`, for messages and manifests. */
  url(key: string): string;
  /** Uploads a Buffer in one request or a stream as a multipart upload with bounded memory. */
  put(key: string, body: Buffer | string | Readable, options?: PutOptions): Promise<PutResult | void>;
  /** The object's bytes as a stream (NotFoundError if missing). */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Readable>;
  head(key: string): Promise<StoredObject | undefined>;
  /** Every object under a prefix (paginated internally). */
  list(prefix: string): Promise<StoredObject[]>;
  delete(key: string, options?: DeleteOptions): Promise<void>;
  /**
   * Deletes many keys, in batches (S3 DeleteObjects, 1000 a request) where the store takes them,
   * one by one where it does not. A key that is already gone is no error; any other failure
   * throws, naming a key. Optional: callers fall back to delete().
   */
  deleteMany?(keys: readonly string[], options?: DeleteOptions): Promise<void>;
  /** Whether the bucket has S3 Object Lock enabled (GetObjectLockConfiguration). Optional. */
  objectLockEnabled?(): Promise<boolean>;
  /** The object's Object Lock retention (undefined: none, or the key is missing). Optional. */
  retention?(key: string): Promise<ObjectLock | undefined>;
  /**
   * Whether the bucket keeps versions (GetBucketVersioning: Enabled or Suspended; every Object Lock
   * bucket is versioned): a plain delete there only adds a delete marker. Optional.
   */
  versioned?(): Promise<boolean>;
  /** Every version and delete marker of the keys under a prefix (ListObjectVersions, paginated). Optional. */
  listVersions?(prefix: string): Promise<ObjectVersion[]>;
  /** A SigV4 pre-signed GET URL. It is a credential: never log it unredacted. */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  /**
   * Multipart uploads under a prefix neither completed nor aborted (an interrupted upload's parts
   * take space and cost money). undefined when the store does not list them. Optional.
   */
  listIncompleteUploads?(prefix: string): Promise<IncompleteUpload[] | undefined>;
  /** Aborts one (its parts are freed); one already gone is no error. Optional. */
  abortIncompleteUpload?(upload: IncompleteUpload): Promise<void>;
}

/** One version of a key, or a delete marker, as ListObjectVersions answers it. */
export interface ObjectVersion {
  key: string;
  versionId: string;
  /** The key's current version (or marker). */
  latest: boolean;
  deleteMarker: boolean;
  /** Bytes (0 for a delete marker). */
  size: number;
  lastModified?: Date;
}

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  /** When the upload was started, by the store's clock. */
  initiated: Date | undefined;
  /** Bytes of its parts so far, where the store says (ListParts). */
  bytes: number | undefined;
}

/** Where backups live: an s3:// URL plus how to reach the store (S3 or S3-compatible). */
export interface S3Target {
  /** s3://bucket[/prefix] */
  url: string;
  region?: string;
  /** For S3-compatible stores (MinIO, Ceph, ODF): https://host:port */
  endpoint?: string;
  pathStyle?: boolean;
  /** PEM file of CAs to trust for the endpoint. */
  caBundle?: string;
  /** Server-side encryption requested on every object written through this target. */
  sse?: 'AES256' | 'aws:kms';
  /** KMS key (ID or ARN) for sse 'aws:kms'; the bucket's default key when absent. */
  kmsKeyId?: string;
  /** With sse: refuse a write the store does not confirm as encrypted (otherwise a warning). */
  requireSse?: boolean;
  /** --request-timeout: how long one S3 request may wait for the server (connect, and each silence). */
  requestTimeoutMs?: number;
}

/** An opened store and the key prefix its URL named. */
export interface OpenedStore {
  store: ObjectStore;
  /** The key prefix from the URL, without leading or trailing slashes ('' for the bucket root). */
  prefix: string;
}
