/**
 * The wire details of a multipart upload's requests (multipart.ts states the contracts): one
 * part's UploadPart with its CRC32, the UNSIGNED-PAYLOAD signing of parts whose CRC32 the store
 * checks, and the best-effort abort after a failure.
 */
import { crc32 } from 'node:zlib';
import { AbortMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { s3ErrorCode } from './errors.ts';
import { contentMd5 } from './object-lock.ts';
import { s3Url } from '../core/s3-url.ts';
import type { PartIntegrity, UploadStreamOptions } from './multipart.ts';

/** S3's encoding of a CRC32: the 4 big-endian bytes in base64. */
export function crc32Base64(data: Uint8Array): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
}

/**
 * One UploadPart with its CRC32, unsigned or payload-signed as the store's answer to
 * CreateMultipartUpload decided (`integrity`); the CRC32 is returned for Complete's part list.
 */
export function uploadPartCommand(
  o: UploadStreamOptions,
  uploadId: string | undefined,
  integrity: PartIntegrity,
  body: Buffer,
  PartNumber: number,
): { command: UploadPartCommand; ChecksumCRC32: string } {
  const { bucket: Bucket, key: Key } = o;
  const ChecksumCRC32 = crc32Base64(body);
  // A part of a locked object needs Content-MD5 or a checksum the store checks (AWS's rule for Object Lock).
  const md5 = o.params?.ObjectLockMode && integrity !== 'crc32' ? { ContentMD5: contentMd5(body) } : {};
  const command = new UploadPartCommand({
    Bucket,
    Key,
    UploadId: uploadId,
    PartNumber,
    Body: body,
    ContentLength: body.length,
    ChecksumCRC32,
    ...md5,
  });
  // Otherwise the signer hashes the Buffer body into x-amz-content-sha256 (signed payload).
  if (integrity === 'crc32') command.middlewareStack.add(unsignedPayload, { step: 'build', name: 'hcpdrUnsignedPayload' });
  return { command, ChecksumCRC32 };
}

/** The signer takes a preset x-amz-content-sha256 as the payload hash instead of hashing the body. */
const unsignedPayload =
  <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) =>
  (args: A): Promise<R> => {
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    return next(args);
  };

/** Best effort: a failed abort leaves orphan parts (lifecycle rules clean them), not a wrong object. */
export async function abortUpload(o: UploadStreamOptions, uploadId: string): Promise<void> {
  const where = s3Url(o.bucket, o.key);
  try {
    await o.client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, UploadId: uploadId }));
    o.debug?.(`aborted the multipart upload of ${where}`);
  } catch (err) {
    const code = s3ErrorCode(err);
    if (code !== 'NoSuchUpload') o.debug?.(`could not abort the multipart upload of ${where}: ${code}`);
  }
}
