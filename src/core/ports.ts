/**
 * The narrow interfaces through which core workflows talk to the world. Adapters in
 * src/kube and src/s3 implement them; tests use stateful fakes or the sandbox.
 */
import type { Readable, Writable } from 'node:stream';
import type { KubeObject } from './model.ts';

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly clusterScoped?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
}

export type JsonPatchOp = { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

/**
 * Reads and writes Kubernetes objects as plain JSON. Errors arrive as HcpDrError subclasses:
 * NotFoundError (404), ForbiddenError (401/403), ConflictError (409), UsageError (422, with the
 * server's message), RemoteError otherwise. `namespace` is ignored for cluster-scoped types.
 */
export interface KubeApi {
  /** The object, or undefined when it does not exist. */
  get(type: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(type: ResourceType, namespace: string | undefined, options?: ListOptions): Promise<KubeObject[]>;
  create(type: ResourceType, namespace: string, body: KubeObject): Promise<KubeObject>;
  /** RFC 7386 merge patch; `null` removes a field. With `subresource`, e.g. 'scale'. */
  mergePatch(type: ResourceType, namespace: string, name: string, patch: unknown, subresource?: string): Promise<KubeObject>;
  /** RFC 6902 JSON patch; a failing `test` op answers ConflictError. */
  jsonPatch(type: ResourceType, namespace: string, name: string, ops: JsonPatchOp[]): Promise<KubeObject>;
  delete(type: ResourceType, namespace: string, name: string): Promise<void>;
  /** A container's log (pods/log), at most `limitBytes`; undefined when there is none (404/400). */
  readLog?(
    namespace: string,
    pod: string,
    container: string,
    options?: { previous?: boolean; limitBytes?: number },
  ): Promise<string | undefined>;
  /** Describes where requests go, for messages: "context X (https://...)". */
  describeTarget(): string;
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Data for the command's stdin; stdin is closed after it. */
  stdin?: Readable | Buffer;
  /** Where stdout goes. Without it, stdout is collected and returned (small outputs only). */
  stdout?: Writable;
  /** Abort the command (closes the connection). */
  signal?: AbortSignal;
  /** What the command is, for messages, where its command line says little (a shell script). */
  description?: string;
}

export interface ExecResult {
  exitCode: number;
  /** Collected stdout when no sink was given; empty otherwise. */
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a container. A non-zero exit is a result, not an error; errors are for
 * commands that could not be run at all (pod missing, exec forbidden, connection lost).
 */
export interface PodExec {
  exec(request: ExecRequest): Promise<ExecResult>;
}

/** One management cluster as a workflow sees it: objects and pod exec. A workflow may hold two (move, restore elsewhere). */
export interface Cluster {
  api: KubeApi;
  exec: PodExec;
}

/** Where to reach a management cluster: kubectl's own flags (--kubeconfig, --context, -n, --request-timeout). */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  requestTimeoutMs?: number;
}

/** A connected management cluster plus the namespace and context the target resolved to. */
export interface KubeSession extends Cluster {
  /** The namespace from -n, else the context's, else "default". */
  namespace: string;
  /** True when the namespace came from -n rather than the kubeconfig. */
  namespaceExplicit: boolean;
  contextName: string;
}

/** Name resolution as clients see it: the API hostname a move hands from one cluster to another. */
export interface NameResolver {
  /** IPv4 addresses of `host`; [] when it does not resolve (NXDOMAIN, no A record). Other failures throw RemoteError. */
  resolve4(host: string): Promise<string[]>;
  /** Who answers, for messages: "the system resolver" or "DNS server 127.0.0.1:5353". */
  describe(): string;
}

/** Both management clusters, the bucket, DNS and the hosted cluster's own API: how a move (and its `resume`, from the record alone) reaches the world. */
export interface MoveWorld {
  connectKube(target: KubeTarget): Promise<KubeSession>;
  openObjectStore(target: S3Target): Promise<OpenedStore>;
  resolver(server?: string): NameResolver;
  /** The hosted cluster's own API, from its admin kubeconfig (YAML); closed by the caller. */
  connectGuest(kubeconfig: string): Promise<{ api: KubeApi; close(): Promise<void> }>;
}

/** Wall-clock time, injected so workflows and their outputs are deterministic in tests. */
export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Human progress and notices (stderr). Data never goes here. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** Verbose detail, shown with -v only. */
  debug(message: string): void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    }),
};

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date | undefined;
  /** The store's entity tag, as head() and put() answer it (absent where a store gives none). */
  etag?: string;
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
  /** Multipart for streams of unknown length; reported in bytes as parts complete. */
  onProgress?: (bytesSent: number) => void;
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

/** One gauge of a metrics push: a name in Prometheus' conventions, its help text and value; labels come from the group. */
export interface MetricSample {
  name: string;
  help: string;
  value: number;
}

/**
 * Results pushed for monitoring (a Prometheus Pushgateway). `job` and `labels` are the grouping
 * key; a push replaces, within that group, only the metrics of the same names (Pushgateway POST),
 * so a failure's push leaves the last success's timestamp as it was. No secrets, no URLs.
 * Never throws: a failed push is a warning of the adapter, never a failure of the workflow.
 */
export interface MetricsSink {
  push(job: string, labels: Record<string, string>, samples: MetricSample[]): Promise<void>;
}
