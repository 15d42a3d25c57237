/**
 * Incomplete multipart uploads under a prefix: ListMultipartUploads (paginated), and the bytes of
 * each from ListParts where the store answers it. A store that does not implement the listing
 * (NotImplemented, 501, MethodNotAllowed) yields undefined: "not known", never an error of the
 * command that asked (backup list, prune). Aborting an upload that is already gone (NoSuchUpload)
 * succeeds.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import type { HcpDrError } from '../core/errors.ts';
import type { IncompleteUpload } from '../core/ports.ts';
import type { BucketContext } from './bucket-context.ts';
import { s3ErrorCode, type S3Verb } from './errors.ts';

type Send = <T>(verb: S3Verb, key: string, call: () => Promise<T>) => Promise<T>;

const UNSUPPORTED = /NotImplemented|MethodNotAllowed|501|405/;

export async function listIncompleteUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  send: Send,
  debug?: (m: string) => void,
): Promise<IncompleteUpload[] | undefined> {
  const uploads: IncompleteUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    do {
      const page = await send('list', prefix, () =>
        client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: prefix || undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        ),
      );
      for (const u of page.Uploads ?? []) {
        if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated, bytes: undefined });
      }
      const more = page.IsTruncated === true && (page.NextKeyMarker !== undefined || page.NextUploadIdMarker !== undefined);
      keyMarker = more ? page.NextKeyMarker : undefined;
      uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined || uploadIdMarker !== undefined);
  } catch (err) {
    if (UNSUPPORTED.test(`${(err as HcpDrError).message}`)) {
      debug?.(`s3://${bucket} does not list multipart uploads (${(err as Error).message})`);
      return undefined;
    }
    throw err;
  }
  for (const u of uploads) u.bytes = await partsBytes(client, bucket, u);
  return uploads;
}

/** The bytes of an upload's parts, or undefined when the store does not say. */
async function partsBytes(client: S3Client, bucket: string, u: IncompleteUpload): Promise<number | undefined> {
  let total = 0;
  let marker: string | undefined;
  try {
    do {
      const page = await client.send(new ListPartsCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId, PartNumberMarker: marker }));
      for (const p of page.Parts ?? []) total += p.Size ?? 0;
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker !== undefined);
    return total;
  } catch {
    return undefined;
  }
}

export async function abortIncompleteUpload(b: BucketContext, upload: IncompleteUpload): Promise<void> {
  const input = { Bucket: b.bucket, Key: upload.key, UploadId: upload.uploadId };
  try {
    await b.client.send(new AbortMultipartUploadCommand(input));
  } catch (err) {
    if (s3ErrorCode(err) === 'NoSuchUpload') return;
    throw b.mapError(err, 'delete', upload.key);
  }
}
