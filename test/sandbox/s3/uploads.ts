/**
 * ListMultipartUploads and ListParts for the test S3 server (server.ts), from s3rver's uploads
 * directory (<uploads>/<uploadId>/{key,metadata,<n>.json}): the upload's Initiated time is the mtime
 * of its `key` file (a test backdates an upload with utimes). Answered only once s3rver has
 * authenticated the request (SigV4 verified): s3rver throws NotImplemented for ?uploads and
 * MethodNotAllowed (or NoSuchKey) for ListParts; those are caught here. Test support only.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Middleware } from './answers.ts';
import type { S3rverStore } from './s3-like.ts';

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

export function listUploads(store: S3rverStore): Middleware {
  return async (ctx, next) => {
    const segments = ctx.path.split('/').filter(Boolean).map(decodeURIComponent);
    const bucket = segments[0] ?? '';
    const listing = ctx.method === 'GET' && segments.length === 1 && 'uploads' in ctx.query;
    const parts = ctx.method === 'GET' && segments.length > 1 && ctx.query.uploadId !== undefined && !('partNumber' in ctx.query);
    if (!listing && !parts) return next();
    try {
      await next();
      if (!parts) return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!ctx.state.account || !['NotImplemented', 'NoSuchKey', 'MethodNotAllowed'].includes(code ?? '')) throw err;
    }
    const dir = store.getResourcePath(bucket, undefined, 'uploads');
    ctx.type = 'application/xml';
    ctx.status = 200;
    if (listing) {
      const prefix = ctx.query.prefix ?? '';
      const uploads = [];
      for (const id of existsSync(dir) ? (await readdir(dir)).sort() : []) {
        const keyFile = path.join(dir, id, 'key');
        if (!existsSync(keyFile)) continue;
        const key = await readFile(keyFile, 'utf8');
        if (!key.startsWith(prefix)) continue;
        const initiated = (await stat(keyFile)).mtime.toISOString();
        uploads.push(
          `<Upload><Key>${xml(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
        );
      }
      ctx.body = `${HEAD}<ListMultipartUploadsResult ${NS}><Bucket>${xml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${xml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
      return;
    }
    const uploadId = ctx.query.uploadId ?? '';
    const uploadDir = path.join(dir, uploadId);
    if (!/^[0-9a-f]+$/.test(uploadId) || !existsSync(uploadDir)) {
      ctx.status = 404;
      ctx.body = `${HEAD}<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
      return;
    }
    // Each stored part has <n>.json, its placement as s3-like.ts records it ({ size, md5, offset? }).
    const numbers = (await readdir(uploadDir))
      .map((f) => /^(\d+)\.json$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .sort((a, b) => Number(a) - Number(b));
    const items = [];
    for (const n of numbers) {
      const file = path.join(uploadDir, `${n}.json`);
      const placement = JSON.parse(await readFile(file, 'utf8')) as { size: number; md5: string };
      const modified = (await stat(file)).mtime.toISOString();
      items.push(
        `<Part><PartNumber>${n}</PartNumber><LastModified>${modified}</LastModified><ETag>"${placement.md5}"</ETag><Size>${placement.size}</Size></Part>`,
      );
    }
    ctx.body = `${HEAD}<ListPartsResult ${NS}><Bucket>${xml(bucket)}</Bucket><Key>${xml(segments.slice(1).join('/'))}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${items.join('')}</ListPartsResult>`;
  };
}
