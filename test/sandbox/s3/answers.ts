/**
 * What the test S3 server answers about checksums and server-side encryption, by the
 * S3Behaviour it plays (read on every request, so a test can change it between requests):
 *  - flexibleChecksums: CreateMultipartUpload echoes x-amz-checksum-algorithm (AWS) or not
 *    (Ceph RGW before Squid); whether CRC32s are checked is s3-like.ts's.
 *  - sse 'confirm' (AWS): x-amz-server-side-encryption answered on PutObject, Create/Complete
 *    MultipartUpload, HeadObject and GetObject of what was written with it; 'silent' (RGW over
 *    https): accepted without a word; 'refuse' (RGW over http): 400 InvalidRequest, no message.
 */
import type { IncomingMessage } from 'node:http';
import type { IntegrityBehaviour } from './s3-like.ts';

/** Minimal view of the Koa context s3rver passes to middleware. */
export interface KoaCtx {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  req: IncomingMessage;
  state: { account?: unknown };
  status: number;
  body: unknown;
  type: string;
  get(name: string): string;
  set(name: string, value: string): void;
}
export type Middleware = (ctx: KoaCtx, next: () => Promise<void>) => Promise<void>;

export interface S3Behaviour extends IntegrityBehaviour {
  sse: 'confirm' | 'silent' | 'refuse';
  /** Object Lock headers of CreateMultipartUpload kept on the completed object (AWS; the default) or dropped (Ceph RGW 16.2). */
  multipartRetention?: boolean;
}

export function storeAnswers(behaviour: () => S3Behaviour): Middleware {
  const sseByObject = new Map<string, string>();
  const sseByUpload = new Map<string, string>();
  return async (ctx, next) => {
    const segments = ctx.path
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
    if (segments.length < 2) return next();
    const object = segments.join('/');
    const asked = ctx.get('x-amz-server-side-encryption');
    const create = ctx.method === 'POST' && 'uploads' in ctx.query;
    const complete = ctx.method === 'POST' && 'uploadId' in ctx.query;
    const put = ctx.method === 'PUT' && !('partNumber' in ctx.query) && !ctx.get('x-amz-copy-source');
    if (asked && (create || put) && behaviour().sse === 'refuse') {
      ctx.req.resume();
      await new Promise((r) => ctx.req.once('end', r));
      ctx.status = 400;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRequest</Code></Error>';
      return;
    }
    await next();
    if (ctx.status !== 200) return;
    if (create && behaviour().flexibleChecksums && ctx.get('x-amz-checksum-algorithm')) {
      ctx.set('x-amz-checksum-algorithm', ctx.get('x-amz-checksum-algorithm').toUpperCase());
    }
    const confirm = (value: string | undefined) => {
      if (value && behaviour().sse === 'confirm') ctx.set('x-amz-server-side-encryption', value);
    };
    if (create) {
      // s3rver has turned the result into XML by now.
      const uploadId = /<UploadId>([0-9a-f]+)<\/UploadId>/.exec(String(ctx.body))?.[1];
      if (uploadId && asked) sseByUpload.set(uploadId, asked);
      confirm(asked);
    } else if (complete) {
      const value = sseByUpload.get(ctx.query.uploadId ?? '');
      sseByUpload.delete(ctx.query.uploadId ?? '');
      if (value) sseByObject.set(object, value);
      else sseByObject.delete(object);
      confirm(value);
    } else if (put) {
      if (asked) sseByObject.set(object, asked);
      else sseByObject.delete(object);
      confirm(asked);
    } else if (ctx.method === 'HEAD' || ctx.method === 'GET') {
      confirm(sseByObject.get(object));
    } else if (ctx.method === 'DELETE' && !('uploadId' in ctx.query)) {
      sseByObject.delete(object);
    }
  };
}
