/** Translates API server answers into hcp-dr errors, at the boundary: core never sees HTTP. */
import {
  ConflictError,
  EnvironmentError,
  ForbiddenError,
  HcpDrError,
  InterruptedError,
  NotFoundError,
  RemoteError,
} from '../core/errors.ts';
import { isTlsTrustFailure, tlsTrustError } from '../core/environment-errors.ts';

export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

export function parseStatus(body: string): ApiStatus | undefined {
  try {
    const parsed = JSON.parse(body) as ApiStatus;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `what` reads like `get hostedclusters.hypershift.openshift.io "demo" in namespace "clusters"`. */
export function httpError(what: string, statusCode: number, body: string, server: string): HcpDrError {
  const status = parseStatus(body);
  const cause = status?.message ?? (body.trim().slice(0, 300) || `HTTP ${statusCode}`);
  const message = `failed to ${what}: ${cause}`;
  switch (statusCode) {
    case 401:
      return new ForbiddenError(`failed to ${what}: Unauthorized (the API server rejected the credentials)`, {
        hint: 'log in again (oc login) or check the token of the kubeconfig user',
      });
    case 403:
      return new ForbiddenError(message, {
        hint: 'ask a cluster admin for this permission, or use --context with a user that has it',
      });
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    case 422:
      return new RemoteError(message, {}, 'HCPDR_INVALID');
    default:
      return new RemoteError(`${message} (HTTP ${statusCode} from ${server})`);
  }
}

/** A request cut by the request timeout (--request-timeout), recognisable by connectionError. */
export class RequestTimeout extends Error {
  readonly code = 'HCPDR_REQUEST_TIMEOUT';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A request that got no HTTP answer, typed by why: the signal (exit 130), a timeout, DNS, an
 * untrusted certificate, a refused connection. Errors already typed (a failing credential
 * plugin) pass through.
 */
export function connectionError(what: string, server: string, err: unknown): HcpDrError {
  if (err instanceof HcpDrError) return err;
  const code = (err as { code?: string }).code;
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof RequestTimeout) {
    return new RemoteError(
      `failed to ${what}: the API server at ${server} sent no answer within ${err.timeoutMs / 1000}s (--request-timeout)`,
      {
        cause: err,
        hint: 'check that the management cluster is healthy and reachable, or raise --request-timeout',
      },
      'HCPDR_TIMEOUT',
    );
  }
  if (isTlsTrustFailure(err)) {
    return tlsTrustError(
      `failed to ${what}: the certificate of the API server at ${server} is not trusted: ${detail}`,
      err,
      server,
      'fix certificate-authority or certificate-authority-data of this cluster in the kubeconfig (log in again, e.g. "oc login", to refresh it)',
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new EnvironmentError(
      `failed to ${what}: cannot resolve the host name of the API server ${server} (${code})`,
      {
        cause: err,
        hint: "check the server of this context in the kubeconfig (--context/--kubeconfig) and this machine's DNS",
      },
      'HCPDR_DNS',
    );
  }
  return new RemoteError(`failed to ${what}: cannot reach the API server at ${server}: ${detail}`, {
    cause: err,
    hint:
      code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
        ? 'check --context/--kubeconfig and that the management cluster is reachable'
        : 'retry; if it persists, check the network path to the API server (-v shows details)',
  });
}

/** A request cut by SIGINT/SIGTERM: the interruption itself (exit 130), naming what was waited for. */
export function interruptedRequest(what: string, reason: unknown): HcpDrError {
  const by = reason instanceof Error ? reason.message : 'interrupted';
  return new InterruptedError(`failed to ${what}: ${by}`, { cause: reason });
}
