/**
 * SDK failures turned into hcp-dr errors at the adapter boundary. The SDK is not imported
 * here: errors are recognised by their shape (S3 error code in `name`/`Code`, HTTP status in
 * `$metadata`, Node's `code` for network failures). Messages never include credentials.
 */
import {
  ForbiddenError, HcpDrError, InterruptedError, NotFoundError, PreconditionError, RemoteError, UsageError,
} from '../core/errors.ts';
import { redactSecrets } from '../core/redact.ts';

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
  'AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken',
  'TokenRefreshRequired', 'AllAccessDisabled', 'AccountProblem', 'InvalidSecurity', 'CredentialsProviderError',
]);
const NETWORK = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ECONNABORTED', 'TimeoutError', 'RequestTimeout', 'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|DEPTH_ZERO/;

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : { message: String(err) };
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
}

/** Maps any thrown value from an SDK call on `url` to an HcpDrError. */
export function mapS3Error(err: unknown, verb: S3Verb, url: string, ctx: MapContext = {}): HcpDrError {
  if (err instanceof HcpDrError) return err;
  if (ctx.signal?.aborted) {
    const reason: unknown = ctx.signal.reason;
    return reason instanceof HcpDrError ? reason : new InterruptedError(`interrupted while trying to ${verb} ${url}`, { cause: reason });
  }
  const e = shape(err);
  const code = s3ErrorCode(err);
  const status = e.$metadata?.httpStatusCode;
  const detail = redactSecrets((e.message ?? '').trim());
  const text = detail && detail !== code ? `${code}: ${detail}` : code;
  const message = `failed to ${verb} ${url}: ${text}`;
  const where = ctx.endpoint ? `--endpoint ${ctx.endpoint}` : 'the region (--region/AWS_REGION)';

  if (code === 'NoSuchBucket') {
    return new PreconditionError(message, { cause: err, hint: 'create the bucket or fix the s3:// URL' });
  }
  if (code === 'NoSuchKey' || code === 'NotFound' || (status === 404 && code !== 'NoSuchUpload')) {
    return new NotFoundError(message, { cause: err });
  }
  if (FORBIDDEN.has(code) || FORBIDDEN.has(e.name ?? '') || status === 401 || status === 403) {
    const credentialHint = code === 'CredentialsProviderError' || /credential/i.test(e.name ?? '')
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
  if (code === 'BadDigest') {
    return new RemoteError(message, { cause: err, hint: 'bytes changed on their way to the object store; run the backup again, and check any proxy in between' });
  }
  if (TLS.test(code) || TLS.test(detail)) {
    return new RemoteError(message, { cause: err, hint: 'the endpoint\'s certificate is not trusted: pass --ca-bundle <pem>' });
  }
  if (NETWORK.has(code) || NETWORK.has(e.name ?? '') || /socket hang up|timed? ?out/i.test(detail)) {
    return new RemoteError(message, { cause: err, hint: `check ${where} and the network` });
  }
  return new RemoteError(message, { cause: err, ...(status && status >= 500 ? { hint: 'the object store failed; try again later' } : {}) });
}
