/**
 * deleteMany() of the S3 store without versions: DeleteObjects, 1000 keys a request.
 *
 * Contracts:
 *  - A store that refuses the call itself (not implemented, a checksum it wants otherwise, ...)
 *    is asked key by key from then on: onRefused() is called, and batchesRefused() answers true
 *    for this and every later call on the store.
 *  - Keys the answer lists as not deleted are retried one by one (deleteOne), so their failure
 *    arrives as a single delete's mapped error. A batch of one key goes through deleteOne.
 *  - A call cut by the signal throws the mapped error (mapError) at once, and is not taken as
 *    a refusal.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3ErrorCode } from './errors.ts';

export interface BatchDeleter {
  client: S3Client;
  bucket: string;
  /** Whether the store refused DeleteObjects before: then key by key. */
  batchesRefused(): boolean;
  onRefused(): void;
  deleteOne(key: string): Promise<void>;
  mapError(err: unknown, key: string, signal: AbortSignal | undefined): Error;
  debug?: (message: string) => void;
}

/** Deletes `keys` (see the contracts above). */
export async function deleteInBatches(d: BatchDeleter, keys: readonly string[], signal: AbortSignal | undefined): Promise<void> {
  for (let at = 0; at < keys.length; at += 1000) {
    const batch = keys.slice(at, at + 1000);
    let retry: string[] = batch;
    if (!d.batchesRefused() && batch.length > 1) {
      try {
        const input = { Bucket: d.bucket, Delete: { Quiet: true, Objects: batch.map((Key) => ({ Key })) } };
        const out = await d.client.send(withContentMd5(new DeleteObjectsCommand(input)), signal ? { abortSignal: signal } : {});
        retry = (out.Errors ?? []).map((e) => e.Key ?? '').filter((k) => k !== '');
      } catch (err) {
        if (signal?.aborted) throw d.mapError(err, batch[0] ?? '', signal);
        d.onRefused();
        d.debug?.(`DeleteObjects refused by s3://${d.bucket} (${s3ErrorCode(err) || 'an error'}): deleting one key at a time`);
      }
    }
    for (const key of retry) await d.deleteOne(key);
  }
}

/**
 * DeleteObjects with Content-MD5 instead of the SDK's CRC32 (a checksum is required on it): AWS and
 * Ceph RGW 16.2 (measured) take either, while MinIO releases and other S3-compatible stores refuse
 * a batch without Content-MD5 (MissingContentMD5, InvalidRequest; per their issue threads). Runs
 * in the build step after the SDK's checksum middleware, before signing.
 */
function withContentMd5(command: DeleteObjectsCommand): DeleteObjectsCommand {
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const body = request.body;
      if (request.headers && (typeof body === 'string' || Buffer.isBuffer(body))) {
        for (const name of Object.keys(request.headers)) {
          if (/^x-amz-(checksum-|sdk-checksum-algorithm$)/i.test(name)) delete request.headers[name];
        }
        request.headers['content-md5'] = createHash('md5').update(body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'hcpDrDeleteObjectsContentMd5' },
  );
  return command;
}
