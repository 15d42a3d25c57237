/**
 * What tests and benchmarks on the sandbox need to reach its S3 server, in one place: the
 * credentials in process.env (for the in-process CLI), the plugin's S3 flags (plain http, or the
 * https front with its CA), the usual `backup demo` and `move demo` command lines, and an SDK client for looking
 * at the bucket from outside. The plugin under test never gets its S3 settings from here.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Sandbox } from '../sandbox/sandbox.ts';

export interface S3FlagOptions {
  /** Through the https front (`--ca-bundle` with its CA), as a restore's pre-signed URL must be. */
  https?: boolean;
}

/** Puts the sandbox's AWS credentials and region into process.env; returns what undoes it. */
export function useSandboxCredentials(sb: Sandbox): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
    AWS_REGION: sb.s3.region,
  });
  return () => {
    process.env = saved;
  };
}

export function sandboxS3Flags(sb: Sandbox, options: S3FlagOptions = {}): string[] {
  return options.https
    ? ['--endpoint', sb.s3.httpsEndpoint, '--ca-bundle', sb.s3.caFile, '--path-style']
    : ['--endpoint', sb.s3.endpoint, '--path-style'];
}

/** `backup demo -n clusters` into s3://<bucket>/hcp of the sandbox, plus `extra`. */
export function demoBackupArgs(sb: Sandbox, extra: readonly string[] = [], options: S3FlagOptions = {}): string[] {
  return [
    'backup',
    'demo',
    '-n',
    'clusters',
    '--kubeconfig',
    sb.kubeconfig,
    '--to',
    `s3://${sb.s3.bucket}/hcp`,
    ...sandboxS3Flags(sb, options),
    ...extra,
  ];
}

/**
 * `move demo -n clusters` from one management cluster of the sandbox to another, through
 * s3://<bucket>/moves over the https front (a restore's URL must be https) and the sandbox's DNS
 * server, plus `extra`.
 */
export function demoMoveArgs(sb: Sandbox, from: string, to: string, extra: readonly string[] = []): string[] {
  if (!sb.dns) throw new Error('the sandbox runs without DNS: a move needs it');
  return [
    'move',
    'demo',
    '-n',
    'clusters',
    '--kubeconfig',
    sb.kubeconfig,
    '--context',
    from,
    '--to-context',
    to,
    '--via',
    `s3://${sb.s3.bucket}/moves`,
    ...sandboxS3Flags(sb, { https: true }),
    '--dns-server',
    sb.dns.address,
    ...extra,
  ];
}

/** The s3:// URL of one backup of demo made with demoBackupArgs. */
export function demoBackupUrl(sb: Sandbox, id: string): string {
  return `s3://${sb.s3.bucket}/hcp/clusters/demo/${id}/`;
}

/** An SDK client on the sandbox's bucket (plain http), for the test's own look at the store. */
export function sandboxS3Client(sb: Sandbox): S3Client {
  return new S3Client({
    endpoint: sb.s3.endpoint,
    region: sb.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey },
    // The test's own requests stay plain: no checksum trailers the store under test would have to accept.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A pre-signed GET of `key` through the https front, as etcd-init must get it (HyperShift's CRD takes https only). */
export async function presignedHttpsGet(sb: Sandbox, key: string, expiresIn = 3600): Promise<string> {
  const client = new S3Client({
    endpoint: sb.s3.httpsEndpoint,
    region: sb.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey },
  });
  try {
    return await getSignedUrl(client, new GetObjectCommand({ Bucket: sb.s3.bucket, Key: key }), { expiresIn });
  } finally {
    client.destroy();
  }
}
