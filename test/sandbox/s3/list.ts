/**
 * ListObjectsV2 pagination for the test S3 server (../sandbox/s3/server.ts), which s3rver cannot do here:
 *  - its continuation tokens are encrypted with DES, which OpenSSL 3 (Node >= 17) refuses without
 *    --openssl-legacy-provider, so every truncated listing (more keys under the prefix than
 *    max-keys, at most 1000) and every request that sends a token back answers 500 InternalError;
 *  - it cuts a page in the order it walks its directories, which is not S3's key order ("a/b" is
 *    walked before "a-c", while S3 lists "a-c" first), so a page boundary there loses keys.
 * Here, for list-type=2 only, after s3rver authenticated the request: our token (opaque to a client,
 * as S3's are) is turned into s3rver's start-after; s3rver's listing is taken whole, ordered by
 * UTF-8 bytes as S3 orders keys, and cut to max-keys (keys and common prefixes count alike, as in
 * S3); s3rver's controller renders that page, told it is not truncated so it never reaches DES; the
 * truncation, the next token and the echoed request fields are then set on its answer.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface ListedObject {
  key: string;
}
interface Listing {
  objects: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface ListOptions {
  startAfter?: string;
  maxKeys?: number;
  [option: string]: unknown;
}
interface ListStore {
  listObjects(bucket: string, options: ListOptions): Promise<Listing>;
}
interface ListCtx {
  query: Record<string, string | undefined>;
  querystring: string;
  params: { bucket: string };
  store: ListStore;
  body: unknown;
}
interface BucketController {
  getBucket(ctx: ListCtx): Promise<void>;
}
type S3ErrorCtor = new (code: string, message: string, detail?: Record<string, unknown>) => Error;

const TOKEN_TAG = 'hcpdr-list';

export function continuationToken(bucket: string, after: string): string {
  return Buffer.from(`${TOKEN_TAG}\n${bucket}\n${after}`, 'utf8').toString('base64');
}

/** The name a token continues after; undefined when it is not one of ours for this bucket. */
export function tokenPosition(bucket: string, token: string): string | undefined {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const head = `${TOKEN_TAG}\n${bucket}\n`;
  return text.startsWith(head) ? text.slice(head.length) : undefined;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** One page of `whole` after `after`, in S3's order: keys and common prefixes, at most maxKeys of them. */
export function pageOf(whole: Listing, after: string, maxKeys: number): { listing: Listing; truncated: boolean; last: string | undefined } {
  const entries = [
    ...whole.objects.map((object) => ({ name: object.key, object })),
    ...whole.commonPrefixes.filter((p) => byBytes(p, after) > 0).map((name) => ({ name, object: undefined })),
  ].sort((a, b) => byBytes(a.name, b.name));
  const page = entries.slice(0, maxKeys);
  return {
    listing: {
      objects: page.flatMap((e) => (e.object ? [e.object] : [])),
      commonPrefixes: page.flatMap((e) => (e.object ? [] : [e.name])),
      isTruncated: false,
    },
    truncated: entries.length > page.length,
    last: page.at(-1)?.name,
  };
}

let patched = false;

/** Installs the pagination above on s3rver's bucket controller (process-wide, idempotent). */
export function patchListPagination(): void {
  if (patched) return;
  patched = true;
  const S3Error = require('@20minutes/s3rver/lib/models/error') as S3ErrorCtor;
  const controller = require('@20minutes/s3rver/lib/controllers/bucket') as BucketController;
  const original = controller.getBucket.bind(controller);
  controller.getBucket = async (ctx) => {
    if (ctx.query['list-type'] !== '2') return original(ctx);
    const asked = ctx.query;
    const querystring = ctx.querystring;
    const bucket = ctx.params.bucket;
    const token = asked['continuation-token'];
    const after = token ? tokenPosition(bucket, token) : (asked['start-after'] ?? '');
    if (after === undefined) {
      throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
    }
    const store = ctx.store;
    let cut: ReturnType<typeof pageOf> | undefined;
    const paging: ListStore = {
      async listObjects(name, options) {
        const whole = await store.listObjects(name, { ...options, maxKeys: Infinity });
        cut = pageOf(whole, options.startAfter ?? '', options.maxKeys ?? 1000);
        return cut.listing;
      },
    };
    const { 'continuation-token': _token, ...rest } = asked;
    ctx.query = { ...rest, ...(after ? { 'start-after': after } : {}) };
    ctx.store = Object.assign(Object.create(store) as ListStore, paging); // this request only: s3rver's is on the prototype
    try {
      await original(ctx);
    } finally {
      delete (ctx as Partial<ListCtx>).store;
      ctx.querystring = querystring;
    }
    const result = (ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined)?.ListBucketResult;
    if (!result) return;
    result['StartAfter'] = asked['start-after'] || undefined;
    result['ContinuationToken'] = token || undefined;
    if (!cut) return; // max-keys=0: nothing listed
    result['KeyCount'] = cut.listing.objects.length + cut.listing.commonPrefixes.length;
    if (cut.truncated && cut.last !== undefined) {
      result['IsTruncated'] = true;
      result['NextContinuationToken'] = continuationToken(bucket, cut.last);
    }
  };
}
