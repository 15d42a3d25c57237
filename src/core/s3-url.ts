/**
 * s3:// URLs as hcp-dr takes them: `s3://<bucket>[/<prefix>]`. Pure (no SDK), so the CLI can
 * reject a bad URL before anything heavy is loaded.
 */
import { UsageError } from './errors.ts';

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slashes; '' for the bucket root. */
  prefix: string;
}

/**
 * Bucket names: letters, digits, dots, hyphens, underscores. Looser than AWS's current rules on
 * purpose (legacy us-east-1 buckets and S3-compatible stores allow more); the store decides.
 */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function parseS3Url(url: string, flag = 'the destination'): S3Location {
  const hint = 'use the form s3://<bucket>[/<prefix>], e.g. s3://backups/hcp';
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url.trim());
  if (!match) throw new UsageError(`invalid S3 URL "${url}" for ${flag}: it must start with s3://`, { hint });
  const bucket = match[1] ?? '';
  if (bucket === '') throw new UsageError(`invalid S3 URL "${url}" for ${flag}: the bucket name is empty`, { hint });
  if (!BUCKET.test(bucket)) {
    throw new UsageError(`invalid S3 URL "${url}" for ${flag}: "${bucket}" is not a valid bucket name`, { hint });
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '.' || s === '..') || /\/\//.test(prefix)) {
    throw new UsageError(`invalid S3 URL "${url}" for ${flag}: the prefix has empty, "." or ".." segments`, { hint });
  }
  return { bucket, prefix };
}

/** `s3://bucket/key` (key '' gives `s3://bucket/`). */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Joins key segments, dropping empty ones: joinKey('', 'a/', 'b') = 'a/b'. */
export function joinKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
}
