/**
 * The reads of the S3 store: get(), head() and list().
 *
 * Contracts:
 *  - get() fails the stream when fewer bytes arrive than Content-Length announced (length-guard.ts),
 *    with the error mapped to name s3://bucket/key; closing the returned stream early destroys
 *    the SDK's body, so its connection is not left open.
 *  - head() answers undefined for a key that is not there (NotFound, NoSuchKey), never an error.
 *  - list() pages through ListObjectsV2, listPageSize keys a request, to the last page.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { StoredObject } from '../core/ports.ts';
import { abortOptions, type BucketContext } from './bucket-context.ts';
import { s3ErrorCode } from './errors.ts';
import { LengthGuard } from './length-guard.ts';

export async function getObject(b: BucketContext, key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
  const out = await b.send(
    'download',
    key,
    () => b.client.send(new GetObjectCommand({ Bucket: b.bucket, Key: key }), abortOptions(options.signal)),
    options.signal,
  );
  const source = out.Body as Readable | undefined;
  if (!source) return Readable.from([]);
  const guard = new LengthGuard(out.ContentLength, b.url(key));
  source.on('error', (err) => guard.destroy(b.mapError(err, 'download', key, options.signal)));
  guard.on('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  return source.pipe(guard);
}

export async function headObject(b: BucketContext, key: string): Promise<StoredObject | undefined> {
  try {
    const out = await b.client.send(new HeadObjectCommand({ Bucket: b.bucket, Key: key }));
    return {
      key,
      size: out.ContentLength ?? 0,
      lastModified: out.LastModified,
      ...(out.ETag ? { etag: out.ETag } : {}),
      ...(out.Metadata && Object.keys(out.Metadata).length ? { metadata: out.Metadata } : {}),
    };
  } catch (err) {
    if (s3ErrorCode(err) === 'NotFound' || s3ErrorCode(err) === 'NoSuchKey') return undefined;
    throw b.mapError(err, 'read', key);
  }
}

export async function listObjects(b: BucketContext, prefix: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await b.send('list', prefix, () =>
      b.client.send(
        new ListObjectsV2Command({
          Bucket: b.bucket,
          Prefix: prefix || undefined,
          MaxKeys: b.config.listPageSize,
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
