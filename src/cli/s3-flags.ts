/**
 * Flags that say how to reach the object store, shared by every command that takes an s3://
 * URL. s3TargetOf validates the URL and flags up front (UsageError, exit 2), before the AWS
 * SDK is loaded. Credentials are never flags: they come from the AWS chain.
 */
import type { Options } from 'yargs';
import { UsageError } from '../core/errors.ts';
import { parseS3Url } from '../core/s3-url.ts';
import { kubeTargetOf } from './global-flags.ts';
import type { S3Target } from './deps.ts';

/** Connection flags: enough to read (list, verify, restore). */
export const s3ReadOptions = {
  region: {
    type: 'string',
    describe: "AWS region of the bucket (default: $AWS_REGION, $AWS_DEFAULT_REGION, the AWS profile's; us-east-1 with --endpoint)",
  },
  endpoint: {
    type: 'string',
    describe: 'S3-compatible endpoint (MinIO, Ceph RGW, ODF), e.g. https://s3.example.com:9000 (default: $AWS_ENDPOINT_URL_S3)',
  },
  'path-style': { type: 'boolean', describe: 'Path-style bucket addressing (the default with --endpoint)' },
  'ca-bundle': { type: 'string', describe: 'PEM file of CA certificates to trust for --endpoint' },
} satisfies Record<string, Options>;

/** Connection flags plus server-side encryption of what is written. */
export const s3Options = {
  ...s3ReadOptions,
  sse: { type: 'string', describe: 'Server-side encryption of written objects: AES256 or aws:kms' },
  'sse-kms-key-id': { type: 'string', describe: "KMS key ID or ARN for --sse aws:kms (default: the bucket's key)" },
  'require-sse': {
    type: 'boolean',
    describe: 'Fail the backup (before backup.json) when the store does not confirm --sse on an object (default: a warning)',
  },
} satisfies Record<string, Options>;

export interface S3Args {
  region?: string;
  endpoint?: string;
  'path-style'?: boolean;
  'ca-bundle'?: string;
  sse?: string;
  'sse-kms-key-id'?: string;
  'require-sse'?: boolean;
  /** The global flag, present in every command's arguments. */
  'request-timeout'?: string;
}

/** The S3Target for `url` with the flags in `args`. */
export function s3TargetOf(url: string, args: S3Args, flag = 'the S3 URL'): S3Target {
  const { prefix } = parseS3Url(url, flag);
  // No key can lie under a prefix longer than S3's longest key (backup's preflight checks the exact keys).
  const bytes = Buffer.byteLength(prefix);
  if (bytes >= MAX_KEY_BYTES) {
    throw new UsageError(`the prefix of ${flag} is ${bytes} bytes, S3 allows at most ${MAX_KEY_BYTES} bytes per key`, {
      hint: `shorten the prefix of ${flag}: the keys hcp-dr writes and reads lie under it`,
    });
  }
  const target: S3Target = { url };
  if (args.region !== undefined) target.region = regionOf(args.region);
  if (args.endpoint !== undefined) target.endpoint = nonEmpty('--endpoint', args.endpoint);
  if (args['path-style'] !== undefined) target.pathStyle = args['path-style'];
  if (args['ca-bundle'] !== undefined) target.caBundle = nonEmpty('--ca-bundle', args['ca-bundle']);
  if (args.sse !== undefined) {
    const sse = args.sse === 'aes256' ? 'AES256' : args.sse;
    if (sse !== 'AES256' && sse !== 'aws:kms') {
      throw new UsageError(`invalid --sse "${args.sse}": use AES256 or aws:kms`, {
        hint: 'AES256 for S3-managed keys, aws:kms (with --sse-kms-key-id) for KMS keys',
      });
    }
    target.sse = sse;
  }
  if (args['sse-kms-key-id'] !== undefined) {
    if (target.sse !== 'aws:kms') throw new UsageError('--sse-kms-key-id needs --sse aws:kms', { hint: 'add --sse aws:kms' });
    target.kmsKeyId = nonEmpty('--sse-kms-key-id', args['sse-kms-key-id']);
  }
  if (args['require-sse']) {
    if (!target.sse) throw new UsageError('--require-sse needs --sse', { hint: 'pass --sse AES256 or --sse aws:kms' });
    target.requireSse = true;
  }
  // The global --request-timeout bounds S3 requests too (parsed and bounded as for the API server).
  const timeoutMs = kubeTargetOf({ 'request-timeout': args['request-timeout'] ?? '0' }).requestTimeoutMs;
  if (timeoutMs) target.requestTimeoutMs = timeoutMs;
  return target;
}

const MAX_KEY_BYTES = 1024;

/** AWS regions (us-east-1) and the names S3-compatible stores use (default, a Ceph zonegroup). */
function regionOf(value: string): string {
  const region = nonEmpty('--region', value);
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,62})$/.test(region)) {
    throw new UsageError(`invalid --region "${region}": a region is letters, digits, "-", "_" and "." (e.g. us-east-1)`, {
      hint: "pass the bucket's region, e.g. --region us-east-1 (S3-compatible stores: the one they were set up with, often us-east-1 or default)",
    });
  }
  return region;
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${flag} needs a value`, { hint: `pass ${flag} <value>, or leave the flag out` });
  return value.trim();
}
