/**
 * An S3-compatible server for tests that VERIFIES SigV4 (@20minutes/s3rver@4.0.4), with
 * server-side fixes/additions layered on top without touching node_modules:
 *  1. Canonical URI: s3rver rebuilds it from route params ("/bucket"), while the AWS SDK signs
 *     the path it sends ("/bucket/"). We stash the raw request path on the request and make
 *     s3rver's SigV4 string-to-sign use it, as real S3 does.
 *  2. AbortMultipartUpload (s3rver answers MethodNotAllowed): after s3rver authenticated the
 *     request, the upload's part directory is removed and 204 returned (404 NoSuchUpload if absent).
 *  3. Fault injection (S3Fault) for backup tests: 500 InternalError, a dropped connection, or a
 *     body changed in transit.
 *  4. CompleteMultipartUpload as S3 does it (the part list is checked, the object is not
 *     re-hashed), and the integrity checks of real stores on PutObject and UploadPart:
 *     Content-MD5, the signed payload's SHA-256, and x-amz-checksum-crc32 (s3-like.ts).
 *  5. The store it plays (S3Behaviour, settable at run time; answers.ts): AWS by default
 *     (CRC32 acknowledged and checked, SSE confirmed), or Ceph RGW before Squid
 *     (flexibleChecksums false: no ChecksumAlgorithm echo, x-amz-checksum-* ignored; Content-MD5
 *     and signed payloads still checked) and RGW's SSE answers ('silent' over https, 'refuse'
 *     over http).
 *  6. ListMultipartUploads (GET /<bucket>?uploads[&prefix=]) and ListParts (GET /<bucket>/<key>?uploadId=),
 *     which s3rver refuses or answers as GetObject, answered from its uploads directory after it
 *     authenticated the request (uploads.ts); one page, as a store with few uploads answers.
 *  7. ListObjectsV2 pages (continuation tokens, S3's key order) without OpenSSL's legacy provider (list.ts).
 *  8. S3 Object Lock and versioning as far as hcp-dr depends on them: retention headers, delete
 *     markers, deletes of locked versions refused (object-lock.ts).
 * Not supported (s3rver gaps): aws-chunked trailers.
 * Objects live under <dir>; stop() removes it. DEP0147 is avoided by not using resetOnClose.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Transform } from 'node:stream';
import { behaveLikeS3, markCorrupt, type S3rverStore } from './s3-like.ts';
import { storeAnswers, type KoaCtx, type Middleware, type S3Behaviour } from './answers.ts';
import { listUploads } from './uploads.ts';
import { patchListPagination } from './list.ts';
import { objectLockModel, type StoreHooks } from './object-lock.ts';

const require = createRequire(import.meta.url);

interface S3rverApp {
  middleware: Middleware[];
  store: S3rverStore;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections(): void };
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverApp;
interface V4Module {
  getStringToSign(this: void, canonical: { uri: string; headers: Record<string | symbol, unknown> }, request: unknown): string;
}
interface AccountModule {
  new (id: string, name: string): { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
}

const RAW_PATH = Symbol('hcpdr.rawPath');
let patched = false;

/** Makes s3rver's SigV4 canonical request use the raw request path (fix 1). Idempotent. */
function patchSigV4(): void {
  if (patched) return;
  patched = true;
  const v4 = require('@20minutes/s3rver/lib/signature/v4') as V4Module;
  const original = v4.getStringToSign;
  v4.getStringToSign = function (canonical, request) {
    const raw = canonical.headers[RAW_PATH];
    return original(typeof raw === 'string' ? { ...canonical, uri: raw } : canonical, request);
  };
}

export interface S3Fault {
  /** UploadPart = PUT ?partNumber&uploadId; PutObject = PUT without them; GetObject = GET of a key. */
  op: 'UploadPart' | 'PutObject' | 'GetObject';
  /** UploadPart only: fail just this part number. */
  partNumber?: number;
  /** Only requests whose object key ends with this (e.g. a backup's manifests/hostedcluster.yaml). */
  keySuffix?: string;
  /**
   * error500: answer 500 InternalError. drop: destroy the connection after `afterBytes` body bytes.
   * corrupt (UploadPart, PutObject): the server receives the body with one byte changed, as if in transit.
   * late (GetObject): the request reaches the server `delayMs` after it was sent, as a download that
   * starts late does: a pre-signed URL is checked for expiry only then.
   */
  mode: 'error500' | 'drop' | 'corrupt' | 'late';
  /** late only (default 2000). */
  delayMs?: number;
  /** Request body bytes (uploads) or response body bytes (GetObject) let through before a drop. */
  afterBytes?: number;
  /** How many matching requests fail (default 1; Infinity = every one; the SDK retries 500s). */
  times?: number;
}

export interface S3ServerOptions {
  dir: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Buckets created at start. */
  buckets?: string[];
  fault?: S3Fault;
  behaviour?: Partial<S3Behaviour>;
  /** Buckets created at start with S3 Object Lock enabled (and so versioned): object-lock.ts. */
  objectLockBuckets?: string[];
}

export type { S3Behaviour };

const AWS_LIKE: S3Behaviour = { flexibleChecksums: true, sse: 'confirm' };

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Replaces the active fault (undefined clears it). */
  setFault(fault: S3Fault | undefined): void;
  /** Changes what the server plays from the next request on; undefined returns to AWS's behaviour. */
  setBehaviour(behaviour: Partial<S3Behaviour> | undefined): void;
  /** How many requests the faults have failed so far. */
  readonly faultsTriggered: number;
  /** Every version and delete marker of a key in a bucket with Object Lock, oldest first. */
  versions(bucket: string, key: string): readonly { id: string; marker: boolean; retention?: { mode: string; until: Date } }[];
  /** Part files of multipart uploads in `bucket` neither completed nor aborted. */
  pendingUploads(bucket: string): Promise<string[]>;
  stop(): Promise<void>;
}

function opOf(ctx: KoaCtx): S3Fault['op'] | undefined {
  const segments = ctx.path.split('/').filter(Boolean);
  if (segments.length < 2) return undefined;
  if (ctx.method === 'PUT') return 'partNumber' in ctx.query && 'uploadId' in ctx.query ? 'UploadPart' : 'PutObject';
  if (ctx.method === 'GET' && Object.keys(ctx.query).every((k) => /^(X-Amz-|x-id$|response-)/i.test(k))) return 'GetObject';
  return undefined;
}

/** Lets `limit` bytes through, then destroys the socket. */
function cutAfter(limit: number, onCut: () => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      const room = limit - seen;
      seen += chunk.length;
      if (room > 0) this.push(room >= chunk.length ? chunk : chunk.subarray(0, room));
      if (seen >= limit) setImmediate(onCut);
      cb();
    },
  });
}

export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  patchSigV4();
  patchListPagination();
  const S3rver = require('@20minutes/s3rver') as S3rverCtor;
  const AWSAccount = require('@20minutes/s3rver/lib/models/account') as AccountModule;
  const accessKeyId = options.accessKeyId ?? `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = options.secretAccessKey ?? randomBytes(20).toString('base64');
  // The account registry is process-wide; a per-server key pair keeps servers apart.
  const account = new AWSAccount(accessKeyId, `hcpdr-${accessKeyId}`);
  account.createKeyPair(accessKeyId, secretAccessKey);
  await mkdir(options.dir, { recursive: true });
  const app = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: options.dir,
    vhostBuckets: false,
    configureBuckets: [...(options.buckets ?? []), ...(options.objectLockBuckets ?? [])].map((name) => ({ name })),
  });

  let behaviour: S3Behaviour = { ...AWS_LIKE, ...options.behaviour };
  behaveLikeS3(app.store, () => behaviour);
  const versionsDir = `${options.dir.replace(/\/+$/, '')}.versions`;
  const objectLock = objectLockModel(app.store as S3rverStore & StoreHooks, versionsDir, () => behaviour.multipartRetention !== false);
  for (const b of options.objectLockBuckets ?? []) objectLock.enable(b);

  let fault = options.fault;
  let remaining = fault?.times ?? 1;
  let triggered = 0;

  const rawPath: Middleware = async (ctx, next) => {
    Object.defineProperty(ctx.req.headers, RAW_PATH, { value: (ctx.req.url ?? '/').split('?')[0], enumerable: false });
    // An unsigned request is refused, as S3 refuses it on a private bucket (s3rver would serve it):
    // a pre-signed URL stripped of its signature must not download anything.
    if (!ctx.req.headers.authorization && !/[?&](X-Amz-Algorithm|Signature)=/.test(ctx.req.url ?? '')) {
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
      return;
    }
    await next();
  };

  const faults: Middleware = async (ctx, next) => {
    const op = opOf(ctx);
    const f = fault;
    const hit =
      f &&
      remaining > 0 &&
      op === f.op &&
      (f.partNumber === undefined || Number(ctx.query.partNumber) === f.partNumber) &&
      (f.keySuffix === undefined || decodeURIComponent(ctx.path).endsWith(f.keySuffix));
    if (!f || !hit) return next();
    remaining--;
    triggered++;
    const socket = ctx.req.socket;
    if (f.mode === 'late') {
      await new Promise((r) => setTimeout(r, f.delayMs ?? 2000));
      return next();
    }
    if (f.mode === 'corrupt' && (op === 'UploadPart' || op === 'PutObject')) {
      markCorrupt(ctx.req);
      return next();
    }
    if (f.mode === 'error500') {
      ctx.req.resume(); // discard the body, then answer like S3 does on an internal error
      await new Promise((r) => ctx.req.once('end', r));
      ctx.status = 500;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>injected fault</Message></Error>';
      return;
    }
    const limit = f.afterBytes ?? 0;
    if (op === 'GetObject') {
      await next();
      const body = ctx.body as NodeJS.ReadableStream | undefined;
      if (body && typeof body.pipe === 'function') ctx.body = body.pipe(cutAfter(limit, () => socket.destroy()));
      else socket.destroy();
      return;
    }
    // Upload: read `limit` request bytes, then drop the connection without answering.
    let seen = 0;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (seen >= limit) {
          socket.destroy();
          resolve();
        }
      };
      ctx.req.on('data', (c: Buffer) => {
        seen += c.length;
        check();
      });
      ctx.req.on('end', () => {
        socket.destroy();
        resolve();
      });
      ctx.req.on('error', () => resolve());
      check();
    });
  };

  const abortUpload: Middleware = async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || uploadId === undefined) return next();
    try {
      await next();
    } catch (err) {
      // s3rver authenticates first and only then refuses the method: abort on our own.
      if ((err as { code?: string }).code !== 'MethodNotAllowed' || !ctx.state.account) throw err;
      const bucket = decodeURIComponent(ctx.path.split('/')[1] ?? '');
      const uploadDir = path.join(app.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
      if (!/^[0-9a-f]+$/.test(uploadId) || !existsSync(uploadDir)) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${uploadId.replace(/[^\w-]/g, '')}</UploadId></Error>`;
        return;
      }
      await rm(uploadDir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
    }
  };

  // Koa composes app.middleware when the server starts listening, so these run first.
  app.middleware.unshift(
    rawPath,
    faults,
    storeAnswers(() => behaviour),
    abortUpload,
    listUploads(app.store),
    objectLock.middleware,
  );
  const address = await app.run();

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'us-east-1',
    accessKeyId,
    secretAccessKey,
    setFault(f) {
      fault = f;
      remaining = f?.times ?? 1;
    },
    setBehaviour(b) {
      behaviour = { ...AWS_LIKE, ...b };
    },
    get faultsTriggered() {
      return triggered;
    },
    versions: (bucket, key) => objectLock.versions(bucket, key),
    async pendingUploads(bucket) {
      const dir = app.store.getResourcePath(bucket, undefined, 'uploads');
      if (!existsSync(dir)) return [];
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
    },
    async stop() {
      const closed = app.close().catch(() => {});
      app.httpServer?.closeAllConnections(); // keep-alive sockets of SDK clients would hold close() open
      await closed;
      account.revokeAccessKey(accessKeyId);
      await rm(options.dir, { recursive: true, force: true });
      await rm(versionsDir, { recursive: true, force: true });
    },
  };
}
