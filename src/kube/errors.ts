/** Translates API server answers into hcp-dr errors, at the boundary: core never sees HTTP. */
import {
  ConflictError,
  ForbiddenError,
  HcpDrError,
  NotFoundError,
  RemoteError,
} from '../core/errors.ts';

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

export function connectionError(what: string, server: string, err: unknown): HcpDrError {
  const code = (err as { code?: string }).code;
  const detail = err instanceof Error ? err.message : String(err);
  return new RemoteError(`failed to ${what}: cannot reach the API server at ${server}: ${detail}`, {
    cause: err,
    hint:
      code === 'ECONNREFUSED' || code === 'ENOTFOUND'
        ? 'check --context/--kubeconfig and that the management cluster is reachable'
        : 'retry; if it persists, check the network path to the API server (-v shows details)',
  });
}
