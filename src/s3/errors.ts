/**
 * SDK failures turned into hcp-dr errors at the adapter boundary. The SDK is not imported
 * here: errors are recognised by their shape (S3 error code in `name`/`Code`, HTTP status in
 * `$metadata`, Node's `code` for network failures). Messages never include credentials.
 */
import { ForbiddenError, HcpDrError, InterruptedError, NotFoundError, PreconditionError, RemoteError, UsageError } from '../core/errors.ts';
import { redactSecrets } from '../core/redact.ts';
import { isS3AttemptTimeout } from './attempt-timeout.ts';

export type S3Verb = 'upload' | 'download' | 'read' | 'list' | 'delete' | 'presign';

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number };
}

const FORBIDDEN = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidSecurity',
  'CredentialsProviderError',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'TimeoutError',
  'RequestTimeout',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|DEPTH_ZERO/;
/** The URL of the backup an object belongs to: s3://bucket/.../<ns>/<name>/<id>/ (layout.ts's id). */
const BACKUP_DIR = /^s3:\/\/.*?\/\d{8}T\d{6}Z-[0-9a-f]{6}\//;

const IN_TRANSIT =
  'bytes changed on their way to the object store; run the backup again, and check any proxy, load balancer or TLS-terminating device in between';
/** Integrity refusals: what the store found, in one line, and what to do. */
const DIGEST: Record<string, { cause: string; hint: string }> = {
  XAmzContentSHA256Mismatch: { cause: 'the bytes the store received do not have the SHA-256 they were signed with', hint: IN_TRANSIT },
  BadDigest: { cause: 'the bytes the store received do not match the checksum sent with them (Content-MD5 or CRC32)', hint: IN_TRANSIT },
  InvalidDigest: {
    cause: 'the store could not read the Content-MD5 sent with the request',
    hint: 'a proxy in between may rewrite headers; run the backup again, and check any proxy between here and the store',
  },
};
/** Codes with which stores refuse an x-amz-server-side-encryption they will not apply. */
const SSE_REFUSAL = /^(InvalidRequest|InvalidArgument|NotImplemented|InvalidEncryptionAlgorithmError|KMS\..+)$/;

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? err : { message: String(err) };
}

/** The S3 error code, or Node's network error code, of a thrown value. */
export function s3ErrorCode(err: unknown): string {
  const e = shape(err);
  if (e.Code) return e.Code;
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  const nested = e.errors?.map((x) => shape(x).code).find((c): c is string => typeof c === 'string');
  if (nested) return nested;
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'Unknown' && status === 404) return 'NotFound';
  if (e.name === 'Unknown' && status === 403) return 'Forbidden';
  return e.name ?? 'Error';
}

export interface MapContext {
  /** The custom endpoint, for hints. */
  endpoint?: string;
  signal?: AbortSignal;
  /** The server-side encryption the request asked for (--sse), for SSE refusals. */
  sse?: string;
  /** Whether --request-timeout was given (else the store's default bound applies), for timeouts. */
  requestTimeoutSet?: boolean;
}

/**
 * What ended the call before the store answered: an interrupt (SIGINT/SIGTERM, the process's
 * InterruptedError from interruptible.ts or the call's signal, named after the call it cut), an
 * error already mapped, or the attempt timeout. undefined for an answer of the store or the network.
 */
function cutShort(err: unknown, verb: S3Verb, url: string, ctx: MapContext): HcpDrError | undefined {
  const interrupt: unknown = err instanceof InterruptedError ? err : ctx.signal?.aborted ? ctx.signal.reason : undefined;
  if (interrupt instanceof InterruptedError && !interrupt.message.startsWith('failed to ')) {
    return new InterruptedError(`failed to ${verb} ${url}: ${interrupt.message}`, { cause: interrupt });
  }
  if (err instanceof HcpDrError) return err;
  if (ctx.signal?.aborted) {
    const reason: unknown = ctx.signal.reason;
    return reason instanceof HcpDrError ? reason : new InterruptedError(`interrupted while trying to ${verb} ${url}`, { cause: reason });
  }
  if (isS3AttemptTimeout(err)) {
    const flag = ctx.requestTimeoutSet ? '--request-timeout' : 'the default without --request-timeout';
    return new RemoteError(`failed to ${verb} ${url}: ${err.message.replace('(not retried)', `(${flag}; not retried)`)}`, {
      cause: err,
      hint: `check ${ctx.endpoint ? `--endpoint ${ctx.endpoint}` : 'the region (--region/AWS_REGION)'} and the network, or raise --request-timeout`,
    });
  }
  return undefined;
}

/** A missing object; inside a backup (not for a delete) it says the backup is incomplete and how to check it. */
function notFound(err: unknown, verb: S3Verb, url: string, code: string, message: string, ctx: MapContext): NotFoundError {
  const backup = verb === 'delete' ? undefined : BACKUP_DIR.exec(url)?.[0];
  if (!backup) return new NotFoundError(message, { cause: err });
  return new NotFoundError(`failed to ${verb} ${url}: the object is missing from the backup (${code})`, {
    cause: err,
    hint: `the backup is incomplete or was altered: check it with "{cmd} backup verify ${backup}${ctx.endpoint ? ` --endpoint ${ctx.endpoint}` : ''}", or use another backup`,
  });
}

/** Maps any thrown value from an SDK call on `url` to an HcpDrError. */
export function mapS3Error(err: unknown, verb: S3Verb, url: string, ctx: MapContext = {}): HcpDrError {
  const early = cutShort(err, verb, url, ctx);
  if (early) return early;
  const e = shape(err);
  const code = s3ErrorCode(err);
  const status = e.$metadata?.httpStatusCode;
  // Without a <Message> in the error body (Ceph RGW sends none) the SDK says "UnknownError".
  const given = redactSecrets((e.message ?? '').trim());
  const detail = given === 'UnknownError' ? '' : given;
  const digest = DIGEST[code];
  const sseRefused = ctx.sse !== undefined && verb === 'upload' && SSE_REFUSAL.test(code) && !/checksum|digest|md5/i.test(detail);
  const cause =
    digest?.cause ?? (sseRefused ? `the store refused server-side encryption ${ctx.sse}${detail ? ` (${detail})` : ''}` : detail);
  // A plain JavaScript Error (the SDK's own refusals, as "Region is missing") has no code worth naming.
  const text = cause && cause !== code ? (code === 'Error' ? cause : `${code}: ${cause}`) : code;
  const message = `failed to ${verb} ${url}: ${text}`;
  const where = ctx.endpoint ? `--endpoint ${ctx.endpoint}` : 'the region (--region/AWS_REGION)';

  if (code === 'NoSuchBucket') {
    return new PreconditionError(message, { cause: err, hint: 'create the bucket or fix the s3:// URL' });
  }
  if (code === 'NoSuchKey' || code === 'NotFound' || (status === 404 && code !== 'NoSuchUpload')) {
    return notFound(err, verb, url, code, message, ctx);
  }
  if (code === 'KeyTooLongError' || /key.*too long/i.test(detail)) {
    return new UsageError(message, { cause: err, hint: 'S3 keys are at most 1024 bytes: use a shorter prefix' });
  }
  if (/invalid region|region.*(is not valid|invalid)|hostname component/i.test(detail) || code === 'InvalidRegion') {
    return new UsageError(message, { cause: err, hint: "pass the bucket's region, e.g. --region us-east-1" });
  }
  if (FORBIDDEN.has(code) || FORBIDDEN.has(e.name ?? '') || status === 401 || status === 403) {
    const credentialHint =
      code === 'CredentialsProviderError' || /credential/i.test(e.name ?? '')
        ? 'no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a web identity token'
        : 'check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, and the bucket policy';
    return new ForbiddenError(message, { cause: err, hint: credentialHint });
  }
  if (/Region is missing/i.test(detail)) {
    return new UsageError(message, { cause: err, hint: 'pass --region or set AWS_REGION' });
  }
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || status === 301) {
    return new PreconditionError(message, { cause: err, hint: 'the bucket is in another region: pass --region' });
  }
  if (digest) return new RemoteError(message, { cause: err, hint: digest.hint });
  if (sseRefused) {
    const http = ctx.endpoint?.startsWith('http://') ? 'Ceph RGW refuses --sse over http: use an https:// --endpoint, or ' : '';
    return new PreconditionError(message, {
      cause: err,
      hint: `${http}check that the store supports --sse ${ctx.sse} (aws:kms needs a KMS configured), or drop --sse and rely on the bucket's default encryption`,
    });
  }
  if (TLS.test(code) || TLS.test(detail)) {
    return new RemoteError(message, { cause: err, hint: "the endpoint's certificate is not trusted: pass --ca-bundle <pem>" });
  }
  if (NETWORK.has(code) || NETWORK.has(e.name ?? '') || /socket hang up|timed? ?out/i.test(detail)) {
    return new RemoteError(message, { cause: err, hint: `check ${where} and the network` });
  }
  return new RemoteError(message, { cause: err, ...(status && status >= 500 ? { hint: 'the object store failed; try again later' } : {}) });
}
