/**
 * S3 Object Lock and versioning for the test S3 server (s3-server.ts), as far as hcp-dr depends
 * on them, as AWS S3 does them (s3rver has neither). Test support only.
 *  - CreateBucket with x-amz-bucket-object-lock-enabled: true makes a bucket with Object Lock,
 *    which is also versioned (GetBucketVersioning: Enabled). GetObjectLockConfiguration answers
 *    Enabled there, 404 ObjectLockConfigurationNotFoundError elsewhere.
 *  - PutObject and CreateMultipartUpload with x-amz-object-lock-mode / -retain-until-date:
 *    refused on a bucket without Object Lock (400 InvalidRequest), with a mode other than
 *    GOVERNANCE/COMPLIANCE or a date not in the future (400 InvalidArgument); a PutObject needs
 *    Content-MD5 or an x-amz-checksum-* header (400 InvalidRequest). Each write to a versioned
 *    bucket is a new version (x-amz-version-id); the retention is the version's, answered on
 *    HeadObject/GetObject and by GetObjectRetention (404 NoSuchObjectLockConfiguration without;
 *    400 InvalidRequest on a bucket without Object Lock).
 *  - DeleteObject without versionId on a versioned bucket (and each key of DeleteObjects) adds a
 *    delete marker: the data stays as a noncurrent version, locked or not (x-amz-delete-marker).
 *    With versionId it removes that version (or marker), refused with 403 AccessDenied while the
 *    version is retained: COMPLIANCE always, GOVERNANCE unless x-amz-bypass-governance-retention:
 *    true (every caller is taken to hold s3:BypassGovernanceRetention). Removing the current
 *    version makes the previous one current again.
 *  - ListObjectVersions (GET /<bucket>?versions&prefix=) of a versioned bucket, one page.
 *  - PutObjectRetention of the current version (never weakening a lock without the bypass).
 * Not modelled: bucket default retention, legal holds, GET of a noncurrent
 * version, DeleteObjects entries with a VersionId, ListObjectVersions of an unversioned bucket.
 * Versions are kept in memory; a noncurrent version's files move to `versionsDir`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { KoaCtx, Middleware } from './answers.ts';
import type { S3rverStore } from './s3-like.ts';

const require = createRequire(import.meta.url);
type S3ErrorCtor = new (code: string, message?: string, detail?: Record<string, unknown>) => Error;

interface Retention {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  until: Date;
}
interface Version {
  id: string;
  marker: boolean;
  retention?: Retention;
  size: number;
  lastModified: Date;
  /** Where a noncurrent version's files were moved (absent for the current one and markers). */
  dir?: string;
}
/** What a request asks, for the store hooks that run once s3rver has authenticated it. */
interface Asked {
  bucket: string;
  retention?: Retention;
  lockHeaders: boolean;
  putObject: boolean;
  hasChecksum: boolean;
  deleteVersion?: string;
  bypass: boolean;
  plainDelete: boolean;
  markers: string[];
}

const FILES = ['object', 'object.md5', 'metadata.json'];
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const xml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface ObjectLockModel {
  middleware: Middleware;
  /** Makes a bucket with Object Lock (as CreateBucket with the header does), for buckets made at start. */
  enable(bucket: string): void;
  /** Every version and marker of a key, oldest first (for tests). */
  versions(bucket: string, key: string): readonly Version[];
}

/**
 * multipartRetention() false plays Ceph RGW 16.2 (measured): a multipart upload created with lock
 * headers completes WITHOUT a retention (a PutObject keeps its own); PutObjectRetention sets it.
 */
export function objectLockModel(
  store: S3rverStore & StoreHooks,
  versionsDir: string,
  multipartRetention: () => boolean = () => true,
): ObjectLockModel {
  const S3Error = require('@20minutes/s3rver/lib/models/error') as S3ErrorCtor;
  const buckets = new Map<string, Map<string, Version[]>>();
  const uploads = new Map<string, Retention | undefined>();
  const als = new AsyncLocalStorage<Asked>();
  const newId = () => randomBytes(16).toString('hex');

  const history = (bucket: string, key: string): Version[] => {
    const keys = buckets.get(bucket);
    if (!keys) return [];
    const list = keys.get(key) ?? [];
    keys.set(key, list);
    return list;
  };
  const current = (bucket: string, key: string) => {
    const list = history(bucket, key);
    const last = list.at(-1);
    return last && !last.marker && !last.dir ? last : undefined;
  };
  const moveFiles = async (bucket: string, key: string, from: string | null, to: string | null) => {
    for (const f of FILES) {
      const inStore = store.getResourcePath(bucket, key, f);
      const a = from === null ? inStore : path.join(from, f);
      const b = to === null ? inStore : path.join(to, f);
      await mkdir(path.dirname(b), { recursive: true });
      await rename(a, b).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
  };
  /** The current version becomes noncurrent (its files moved aside), as before a new write or a marker. */
  const retire = async (bucket: string, key: string) => {
    const v = current(bucket, key);
    if (!v) return;
    v.dir = path.join(versionsDir, bucket, v.id);
    await moveFiles(bucket, key, null, v.dir);
  };

  // Hooks on s3rver's store: they run after its authentication (SigV4 verified).
  const putObject = store.putObject.bind(store);
  const initiateUpload = store.initiateUpload.bind(store);
  const existsObject = store.existsObject.bind(store);
  store.putObject = async (object) => {
    const asked = als.getStore();
    if (asked) checkLockHeaders(asked, S3Error, buckets.has(asked.bucket));
    if (buckets.has(object.bucket)) await retire(object.bucket, object.key);
    return putObject(object);
  };
  store.initiateUpload = async (bucket, key, uploadId, metadata) => {
    const asked = als.getStore();
    if (asked) checkLockHeaders(asked, S3Error, buckets.has(bucket));
    uploads.set(uploadId, asked?.retention);
    return initiateUpload(bucket, key, uploadId, metadata);
  };
  store.existsObject = async (bucket, key) => {
    const asked = als.getStore();
    if (!asked || !buckets.has(bucket) || !(asked.plainDelete || asked.deleteVersion)) return existsObject(bucket, key);
    if (asked.plainDelete) {
      await retire(bucket, key);
      const marker: Version = { id: newId(), marker: true, size: 0, lastModified: new Date() };
      history(bucket, key).push(marker);
      asked.markers.push(marker.id);
      return false; // s3rver answers 204 and deletes nothing
    }
    const list = history(bucket, key);
    const at = list.findIndex((v) => v.id === asked.deleteVersion);
    if (at < 0) return false;
    const v = list[at] as Version;
    if (v.retention && v.retention.until.getTime() > Date.now() && !(v.retention.mode === 'GOVERNANCE' && asked.bypass)) {
      throw new S3Error('AccessDenied', 'Access Denied because object protected by object lock.');
    }
    const wasCurrent = at === list.length - 1;
    if (!v.marker && !v.dir && (await existsObject(bucket, key))) await store.deleteObject(bucket, key);
    list.splice(at, 1);
    const previous = list.at(-1);
    if (wasCurrent && previous && !previous.marker && previous.dir) {
      await moveFiles(bucket, key, previous.dir, null);
      delete previous.dir;
    }
    return false;
  };

  const middleware: Middleware = async (ctx, next) => {
    const segments = ctx.path.split('/').filter(Boolean).map(decodeURIComponent);
    const bucket = segments[0] ?? '';
    const key = segments.slice(1).join('/');
    if (!bucket) return next();
    if (!key) return bucketRequest(ctx, next, bucket);
    const mode = ctx.get('x-amz-object-lock-mode');
    const until = ctx.get('x-amz-object-lock-retain-until-date');
    const asked: Asked = {
      bucket,
      lockHeaders: Boolean(mode || until),
      ...(mode || until ? { retention: { mode: mode as Retention['mode'], until: new Date(until) } } : {}),
      putObject: ctx.method === 'PUT' && !('partNumber' in ctx.query),
      hasChecksum: Boolean(ctx.get('content-md5')) || Object.keys(ctx.req.headers).some((h) => /^x-amz-checksum-/.test(h)),
      ...(ctx.method === 'DELETE' && ctx.query.versionId !== undefined ? { deleteVersion: ctx.query.versionId } : {}),
      bypass: ctx.get('x-amz-bypass-governance-retention').toLowerCase() === 'true',
      plainDelete: ctx.method === 'DELETE' && ctx.query.versionId === undefined && !('uploadId' in ctx.query),
      markers: [],
    };
    if (ctx.method === 'GET' && 'retention' in ctx.query) return retentionRequest(ctx, next, bucket, key);
    if (ctx.method === 'PUT' && 'retention' in ctx.query) return putRetention(ctx, next, bucket, key, asked.bypass);
    await als.run(asked, next);
    if (!buckets.has(bucket) || ctx.status >= 300) return;
    if (asked.markers.length) {
      ctx.set('x-amz-delete-marker', 'true');
      ctx.set('x-amz-version-id', asked.markers[0] as string);
      return;
    }
    const complete = ctx.method === 'POST' && ctx.query.uploadId !== undefined;
    if ((asked.putObject && !ctx.get('x-amz-copy-source')) || complete) {
      const retention = complete ? (multipartRetention() ? uploads.get(ctx.query.uploadId ?? '') : undefined) : asked.retention;
      uploads.delete(ctx.query.uploadId ?? '');
      const size = (await stat(store.getResourcePath(bucket, key, 'object'))).size;
      const v: Version = { id: newId(), marker: false, size, lastModified: new Date(), ...(retention ? { retention } : {}) };
      history(bucket, key).push(v);
      ctx.set('x-amz-version-id', v.id);
    } else if (ctx.method === 'HEAD' || ctx.method === 'GET') {
      const v = current(bucket, key);
      if (!v) return;
      ctx.set('x-amz-version-id', v.id);
      if (v.retention) {
        ctx.set('x-amz-object-lock-mode', v.retention.mode);
        ctx.set('x-amz-object-lock-retain-until-date', v.retention.until.toISOString());
      }
    }
  };

  /** GetObjectRetention: s3rver authenticates, then refuses the subresource (NotImplemented). */
  async function retentionRequest(ctx: KoaCtx, next: () => Promise<void>, bucket: string, key: string) {
    await answerAfterAuth(ctx, next, () => {
      if (!buckets.has(bucket)) return error(ctx, 400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration');
      const v = current(bucket, key);
      if (!v) return error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
      if (!v.retention)
        return error(ctx, 404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
      ok(
        ctx,
        `<Retention ${NS}><Mode>${v.retention.mode}</Mode><RetainUntilDate>${v.retention.until.toISOString()}</RetainUntilDate></Retention>`,
      );
    });
  }

  /**
   * PutObjectRetention of the current version: a COMPLIANCE retention is never shortened nor changed
   * to GOVERNANCE, a GOVERNANCE one is shortened only with the bypass (403 AccessDenied otherwise).
   */
  async function putRetention(ctx: KoaCtx, next: () => Promise<void>, bucket: string, key: string, bypass: boolean) {
    const chunks: Buffer[] = [];
    for await (const c of ctx.req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    await answerAfterAuth(ctx, next, () => {
      if (!buckets.has(bucket)) return error(ctx, 400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration');
      const v = current(bucket, key);
      if (!v) return error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
      const mode = /<Mode>(GOVERNANCE|COMPLIANCE)<\/Mode>/.exec(body)?.[1] as Retention['mode'] | undefined;
      const until = new Date(/<RetainUntilDate>([^<]+)<\/RetainUntilDate>/.exec(body)?.[1] ?? '');
      if (!mode || Number.isNaN(until.getTime())) return error(ctx, 400, 'MalformedXML', 'The XML you provided was not well-formed');
      const held = v.retention && v.retention.until.getTime() > Date.now() ? v.retention : undefined;
      const weaker = held && (until < held.until || (held.mode === 'COMPLIANCE' && mode !== 'COMPLIANCE'));
      if (weaker && (held.mode === 'COMPLIANCE' || !bypass)) return error(ctx, 403, 'AccessDenied', 'Access Denied');
      v.retention = { mode, until };
      ctx.status = 200;
      ctx.body = '';
    });
  }

  async function bucketRequest(ctx: KoaCtx, next: () => Promise<void>, bucket: string) {
    if (ctx.method === 'PUT' && ctx.get('x-amz-bucket-object-lock-enabled').toLowerCase() === 'true') {
      await next();
      if (ctx.status < 300) buckets.set(bucket, buckets.get(bucket) ?? new Map());
      return;
    }
    if (ctx.method === 'POST' && 'delete' in ctx.query && buckets.has(bucket)) {
      // DeleteObjects: each key without a version gets a delete marker, as a plain DeleteObject does.
      const asked: Asked = {
        bucket,
        lockHeaders: false,
        putObject: false,
        hasChecksum: false,
        bypass: false,
        plainDelete: true,
        markers: [],
      };
      return als.run(asked, next);
    }
    if (ctx.method !== 'GET') return next();
    if ('object-lock' in ctx.query) {
      return answerAfterAuth(ctx, next, () =>
        buckets.has(bucket)
          ? ok(ctx, `<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`)
          : error(ctx, 404, 'ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket'),
      );
    }
    if ('versioning' in ctx.query) {
      return answerAfterAuth(ctx, next, () =>
        ok(ctx, `<VersioningConfiguration ${NS}>${buckets.has(bucket) ? '<Status>Enabled</Status>' : ''}</VersioningConfiguration>`),
      );
    }
    if ('versions' in ctx.query && buckets.has(bucket)) {
      return answerAfterAuth(ctx, next, () => ok(ctx, listVersions(bucket, ctx.query.prefix ?? '')));
    }
    return next();
  }

  function listVersions(bucket: string, prefix: string): string {
    const rows: string[] = [];
    const keys = [...(buckets.get(bucket)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const list = history(bucket, key);
      list.forEach((v, i) => {
        const latest = i === list.length - 1;
        const common = `<Key>${xml(key)}</Key><VersionId>${v.id}</VersionId><IsLatest>${latest}</IsLatest><LastModified>${v.lastModified.toISOString()}</LastModified>`;
        rows.unshift(
          v.marker
            ? `<DeleteMarker>${common}</DeleteMarker>`
            : `<Version>${common}<Size>${v.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
        );
      });
    }
    return `<ListVersionsResult ${NS}><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${rows.join('')}</ListVersionsResult>`;
  }

  return {
    middleware,
    enable: (bucket) => void buckets.set(bucket, buckets.get(bucket) ?? new Map()),
    versions: (bucket, key) => [...(buckets.get(bucket)?.get(key) ?? [])],
  };
}

/** The store methods hooked here (s3rver's FilesystemStore). */
export interface StoreHooks {
  initiateUpload(bucket: string, key: string, uploadId: string, metadata: unknown): Promise<void>;
  existsObject(bucket: string, key: string): Promise<boolean>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

function checkLockHeaders(asked: Asked, S3Error: S3ErrorCtor, lockEnabled: boolean): void {
  if (!asked.lockHeaders) return;
  if (!lockEnabled) throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  const r = asked.retention;
  if (!r || (r.mode !== 'GOVERNANCE' && r.mode !== 'COMPLIANCE')) throw new S3Error('InvalidArgument', 'Unknown wormMode directive.');
  if (Number.isNaN(r.until.getTime()) || r.until.getTime() <= Date.now()) {
    throw new S3Error('InvalidArgument', 'The retain until date must be in the future!');
  }
  if (asked.putObject && !asked.hasChecksum) {
    throw new S3Error(
      'InvalidRequest',
      'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
    );
  }
}

/** Lets s3rver authenticate the request (it then refuses the subresource), and answers it here. */
async function answerAfterAuth(ctx: KoaCtx, next: () => Promise<void>, answer: () => void): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (!ctx.state.account) throw err;
    answer();
    return;
  }
  if (ctx.state.account) answer();
}

function ok(ctx: KoaCtx, body: string): void {
  ctx.status = 200;
  ctx.type = 'application/xml';
  ctx.body = `${HEAD}${body}`;
}

function error(ctx: KoaCtx, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `${HEAD}<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}
