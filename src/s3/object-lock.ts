/**
 * S3 Object Lock on the SDK: the request parameters of a retention, the bucket's configuration,
 * an object's retention, and deleting every version of a key.
 *
 * Contracts:
 *  - A locked write carries x-amz-object-lock-mode and -retain-until-date (PutObject and
 *    CreateMultipartUpload). AWS refuses such a PutObject without Content-MD5 or a flexible
 *    checksum ("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests
 *    with Object Lock parameters"): the callers send Content-MD5 with every locked PutObject.
 *  - ensureRetention(): after a locked multipart upload the object's retention is read back and, when
 *    missing, set with PutObjectRetention: Ceph RGW 16.2 (measured here) completes a multipart upload
 *    created with lock headers WITHOUT a retention, while it keeps that of a PutObject. A store that
 *    still holds no retention fails the write (PreconditionError): a backup is never left unlocked.
 *  - objectLockEnabled(): ObjectLockConfigurationNotFoundError (AWS, Ceph RGW) is "not enabled";
 *    any other failure is the mapped error of the call (credentials, missing bucket, network).
 *  - bucketVersioned(): GetBucketVersioning answers Enabled or Suspended (a suspended bucket keeps
 *    the versions it has, and a plain delete still leaves a marker); a bucket never versioned
 *    answers no Status. Failures are the call's (s3:GetBucketVersioning may be denied).
 *  - listVersions(): every version and delete marker under a prefix, all pages.
 *  - deleteAllVersions(): ListObjectVersions of the key, then DeleteObject with each VersionId
 *    (versions and delete markers), so the data is removed, not hidden behind a delete marker
 *    as a plain delete on a versioned bucket does. A locked version is refused by the store
 *    (AccessDenied): that error is thrown as is, to be mapped by the caller.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  PutObjectRetentionCommand,
  type ObjectLockMode,
} from '@aws-sdk/client-s3';
import { PreconditionError } from '../core/errors.ts';
import type { ObjectLock, ObjectVersion } from '../core/ports.ts';
import { s3ErrorCode } from './errors.ts';

/** The parameters of a locked PutObject or CreateMultipartUpload. */
export function lockParams(lock: ObjectLock | undefined): { ObjectLockMode?: ObjectLockMode; ObjectLockRetainUntilDate?: Date } {
  if (!lock) return {};
  return { ObjectLockMode: lock.mode === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE', ObjectLockRetainUntilDate: lock.retainUntil };
}

/** Content-MD5 of a body, as a locked PutObject needs it. */
export function contentMd5(body: Buffer | string): string {
  return createHash('md5').update(body).digest('base64');
}

export async function objectLockEnabled(client: S3Client, bucket: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const out = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }), signal ? { abortSignal: signal } : {});
    return out.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
  } catch (err) {
    if (/^ObjectLockConfigurationNotFound/.test(s3ErrorCode(err))) return false;
    throw err;
  }
}

export async function bucketVersioned(client: S3Client, bucket: string): Promise<boolean> {
  const out = await client.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  return out.Status === 'Enabled' || out.Status === 'Suspended';
}

export async function retentionOf(client: S3Client, bucket: string, key: string): Promise<ObjectLock | undefined> {
  try {
    const out = await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }));
    const mode = out.Retention?.Mode;
    const until = out.Retention?.RetainUntilDate;
    if (!mode || !until) return undefined;
    return { mode: mode === 'COMPLIANCE' ? 'compliance' : 'governance', retainUntil: new Date(until) };
  } catch (err) {
    // No retention on the object, no such key, or a bucket without Object Lock: no lock to report.
    const code = s3ErrorCode(err);
    if (/^(NoSuchObjectLockConfiguration|ObjectLockConfigurationNotFound|NoSuchKey|NotFound|InvalidRequest)/.test(code)) return undefined;
    throw err;
  }
}

export async function listVersions(client: S3Client, bucket: string, prefix: string, signal?: AbortSignal): Promise<ObjectVersion[]> {
  const out: ObjectVersion[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  const opts = signal ? { abortSignal: signal } : {};
  do {
    const page = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
      opts,
    );
    const rows = [
      ...(page.Versions ?? []).map((v) => ({ ...v, marker: false })),
      ...(page.DeleteMarkers ?? []).map((v) => ({ ...v, Size: 0, marker: true })),
    ];
    for (const v of rows) {
      if (!v.Key || !v.VersionId) continue;
      out.push({
        key: v.Key,
        versionId: v.VersionId,
        latest: v.IsLatest === true,
        deleteMarker: v.marker,
        size: v.Size ?? 0,
        ...(v.LastModified ? { lastModified: new Date(v.LastModified) } : {}),
      });
    }
    const more = page.IsTruncated === true;
    keyMarker = more ? page.NextKeyMarker : undefined;
    versionMarker = more ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
  return out;
}

export async function deleteAllVersions(
  client: S3Client,
  bucket: string,
  key: string,
  options: { bypassGovernance?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const opts = options.signal ? { abortSignal: options.signal } : {};
  const versions = (await listVersions(client, bucket, key, options.signal)).filter((v) => v.key === key).map((v) => v.versionId);
  for (const VersionId of versions) {
    await client.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: key,
        VersionId,
        ...(options.bypassGovernance ? { BypassGovernanceRetention: true } : {}),
      }),
      opts,
    );
  }
}

/** See the contract above: the retention of a multipart object read back, and set where the store dropped it. */
export async function ensureRetention(
  client: S3Client,
  bucket: string,
  key: string,
  lock: ObjectLock,
  debug?: (m: string) => void,
): Promise<void> {
  const holds = (r: ObjectLock | undefined) => r?.mode === lock.mode && r.retainUntil.getTime() >= lock.retainUntil.getTime() - 1000;
  if (holds(await retentionOf(client, bucket, key))) return;
  debug?.(`s3://${bucket}/${key}: the store completed the upload without its retention: setting it with PutObjectRetention`);
  const { ObjectLockMode: Mode, ObjectLockRetainUntilDate: RetainUntilDate } = lockParams(lock);
  await client.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: key, Retention: { Mode, RetainUntilDate } }));
  if (holds(await retentionOf(client, bucket, key))) return;
  throw new PreconditionError(`the store did not keep the Object Lock retention of s3://${bucket}/${key}`, {
    hint: 'check that the bucket has Object Lock enabled and the credentials may set retention (s3:PutObjectRetention)',
  });
}
