/**
 * openObjectStore: from an S3Target (URL + flags) to an ObjectStore. The SDK is imported
 * dynamically here, after its Node-version warning has been switched off, so that neither
 * `--help` nor commands without S3 pay for loading it.
 *
 * Endpoint: --endpoint, else AWS_ENDPOINT_URL_S3/AWS_ENDPOINT_URL (path-style by default).
 * Region: --region, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 for a custom
 * endpoint, else the SDK's own chain (shared config of AWS_PROFILE). Credentials: the SDK's
 * default chain (env, shared credentials/config incl. AWS_PROFILE, web identity, IMDS).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.ts';
import type { OpenedStore, Reporter, S3Target } from '../core/ports.ts';
import { parseS3Url } from '../core/s3-url.ts';
import { interruptible } from './interruptible.ts';
import { MAX_S3_ATTEMPTS, noRetryOnTimeout, timedAgents } from './attempt-timeout.ts';
import { fileSystemError } from '../core/environment-errors.ts';
import { MIN_PART_SIZE } from './multipart.ts';

/** Knobs for tests and measurements; production uses the defaults. */
export interface S3StoreTuning {
  partSize?: number;
  queueSize?: number;
  listPageSize?: number;
  maxAttempts?: number;
  env?: Record<string, string | undefined>;
  /** The process's interrupt (SIGINT/SIGTERM): every S3 request in flight is cut when it fires (interruptible.ts). */
  signal?: AbortSignal;
}

/**
 * A stream's parts live in a fixed pool of (queueSize + 1) x partSize bytes, reused (multipart.ts):
 * 40 MiB at 8 MiB x 4, whatever the object's size. Measured on Node 24 against the test server,
 * one process per run, 512 MiB streamed (2 cores, noisy; baseline with the SDK loaded ~97 MiB):
 * 8 MiB x 6 133-143 MiB/s at 167 MiB peak RSS (lib-storage's Upload: 120-126 MiB/s at 255 MiB);
 * 16 MiB x 4 134-147 MiB/s at 186 MiB; 8 MiB x 4 130-139 MiB/s at 152 MiB.
 * In a backup of 1 GiB (bench/backup.ts, S3 server in its own process, 5 rounds each) 8 x 4 reached
 * 0.93-0.98x of `exec | curl -T` at 172-176 MiB peak RSS, 8 x 6 0.82-0.94x at 182-192 MiB; 16 x 4, 8 x 3,
 * 32 x 2 and 8 x 10 were within this machine's noise: the pod's exec stream sets the pace.
 */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 4;
/** Without --request-timeout: connect within 10 s; a server silent for 120 s fails the attempt (not retried: attempt-timeout.ts). */
const DEFAULT_CONNECT_MS = 10_000;
const DEFAULT_SILENCE_MS = 120_000;

export async function openObjectStore(target: S3Target, reporter: Reporter, tuning: S3StoreTuning = {}): Promise<OpenedStore> {
  const { bucket, prefix } = parseS3Url(target.url);
  const env = tuning.env ?? process.env;
  // The SDK reads AWS_ENDPOINT_URL(_S3) itself; resolving it here keeps path-style and region defaults right.
  const endpointText = target.endpoint ?? (env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined);
  const endpoint = endpointText !== undefined ? checkEndpoint(endpointText) : undefined;
  if (target.kmsKeyId && target.sse !== 'aws:kms') {
    throw new UsageError('--sse-kms-key-id needs --sse aws:kms', { hint: 'pass --sse aws:kms --sse-kms-key-id <key id or ARN>' });
  }
  const partSize = tuning.partSize ?? DEFAULT_PART_SIZE;
  if (partSize < MIN_PART_SIZE) throw new UsageError(`part size ${partSize} is below S3's minimum of 5 MiB`);
  const ca = target.caBundle !== undefined ? await readCaBundle(target.caBundle) : undefined;
  const region = target.region || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || (endpoint ? 'us-east-1' : undefined);

  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const [{ S3Client }, { NodeHttpHandler }, { S3ObjectStore }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('@smithy/node-http-handler'),
    import('./object-store.ts'),
  ]);
  // --request-timeout bounds the connection, the TLS handshake and each silence of the server, not a
  // whole transfer: a 1 GiB upload that keeps moving is never cut, a server that stops answering is,
  // and a timed-out attempt is not retried (attempt-timeout.ts states the worst case).
  const silenceMs = target.requestTimeoutMs ?? DEFAULT_SILENCE_MS;
  const requestHandler = interruptible(
    noRetryOnTimeout(
      new NodeHttpHandler({
        connectionTimeout: Math.min(DEFAULT_CONNECT_MS, silenceMs),
        socketTimeout: silenceMs,
        ...timedAgents(silenceMs, ca),
      }),
      silenceMs,
    ),
    tuning.signal,
  );
  const client = new S3Client({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: target.pathStyle ?? Boolean(endpoint),
    followRegionRedirects: !endpoint,
    // Not the SDK's default (WHEN_SUPPORTED): that streams bodies aws-chunked with a trailing
    // checksum and no Content-Length, which Ceph RGW answers with 411 MissingContentLength.
    // Integrity is multipart.ts's and object-write.ts's own (CRC32 or signed payload).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: tuning.maxAttempts ?? MAX_S3_ATTEMPTS,
    requestHandler,
  });
  reporter.debug(
    `object store: s3://${bucket}/${prefix} (region ${region ?? 'from AWS config'}${endpoint ? `, endpoint ${endpoint}` : ''}${target.pathStyle ? ', path-style' : ''})`,
  );
  const store = new S3ObjectStore({
    client,
    bucket,
    partSize,
    queueSize: tuning.queueSize ?? DEFAULT_QUEUE_SIZE,
    listPageSize: Math.min(1000, Math.max(1, tuning.listPageSize ?? 1000)),
    ...(endpoint ? { endpoint } : {}),
    ...(target.sse ? { sse: target.sse } : {}),
    ...(target.kmsKeyId ? { kmsKeyId: target.kmsKeyId } : {}),
    ...(target.requireSse ? { requireSse: true } : {}),
    ...(target.requestTimeoutMs ? { requestTimeoutSet: true } : {}),
    debug: (m) => reporter.debug(m),
    warn: (m) => reporter.warn(m),
  });
  return { store, prefix };
}

function checkEndpoint(endpoint: string): string {
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    throw new UsageError(`invalid --endpoint "${endpoint}": not a URL`, { hint: 'use the form https://host[:port]' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UsageError(`invalid --endpoint "${endpoint}": use http:// or https://`, { hint: 'use the form https://host[:port]' });
  }
  if (parsed.username || parsed.password) {
    throw new UsageError('invalid --endpoint: credentials in the URL are not accepted', {
      hint: 'use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE',
    });
  }
  return endpoint.replace(/\/+$/, '');
}

async function readCaBundle(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw (
      fileSystemError(err, { path: file, flag: '--ca-bundle', access: 'read' }) ??
      new UsageError(`failed to read --ca-bundle ${file}: ${String(err)}`, { cause: err })
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`failed to read --ca-bundle ${file}: no PEM certificate in it`, {
      hint: 'pass a PEM file holding the CA certificate(s) of the endpoint (-----BEGIN CERTIFICATE-----)',
    });
  }
  // Each block parsed here: a broken one (bad base64, not DER) is this file's fault, not the endpoint's trust.
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      throw new UsageError(
        `invalid --ca-bundle ${file}: certificate ${i + 1} of ${blocks.length} is not a valid certificate (bad base64 or DER)`,
        {
          hint: 'pass the endpoint\'s CA certificate(s) as PEM, e.g. saved with "openssl s_client -showcerts" or from the store\'s admin',
        },
      );
    }
  }
  return text;
}
