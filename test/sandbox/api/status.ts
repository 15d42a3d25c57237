/**
 * kube-apiserver-shaped errors. Handlers and the store throw SimError; the HTTP layer turns it into a
 * `Status` body with the same code/reason/message a real apiserver would send, so clients (kubectl,
 * client-node) print and classify it exactly as they would against a cluster.
 */
import type { GroupResource } from './types.ts';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
  retryAfterSeconds?: number;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class SimError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'SimError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): KubeStatus {
    const s: KubeStatus = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** `hostedclusters.hypershift.openshift.io`, or `pods` for the core group (kube's GroupResource.String()). */
export function qualifiedResource(gr: Pick<GroupResource, 'group' | 'plural'>): string {
  return gr.group ? `${gr.plural}.${gr.group}` : gr.plural;
}

function details(gr: Pick<GroupResource, 'group' | 'plural'>, name?: string): StatusDetails {
  // kube-apiserver reports the plural resource name under details.kind.
  const d: StatusDetails = { group: gr.group, kind: gr.plural };
  if (name !== undefined && name !== '') d.name = name;
  return d;
}

export function notFound(gr: Pick<GroupResource, 'group' | 'plural'>, name: string): SimError {
  return new SimError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, details(gr, name));
}

export function alreadyExists(gr: Pick<GroupResource, 'group' | 'plural'>, name: string): SimError {
  return new SimError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, details(gr, name));
}

export function conflict(gr: Pick<GroupResource, 'group' | 'plural'>, name: string): SimError {
  return new SimError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(gr, name),
  );
}

/** 422 Invalid. `kind` is the object's Kind, as kube reports it for validation errors. */
export function invalid(kind: string, group: string, name: string, causes: Array<{ field: string; message: string }>): SimError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new SimError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${summary}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

export function badRequest(message: string): SimError {
  return new SimError(400, 'BadRequest', message);
}

export function forbidden(
  gr: Pick<GroupResource, 'group' | 'plural'>,
  name: string | undefined,
  user: string,
  verb: string,
  subresource: string | undefined,
  namespace: string | undefined,
): SimError {
  const what = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr);
  const res = subresource ? `${gr.plural}/${subresource}` : gr.plural;
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return new SimError(
    403,
    'Forbidden',
    `${what} is forbidden: User "${user}" cannot ${verb} resource "${res}" in API group "${gr.group}" ${scope}`,
    details(gr, name),
  );
}

export function methodNotAllowed(method: string): SimError {
  return new SimError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);
}

export function unsupportedMediaType(contentType: string): SimError {
  return new SimError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${JSON.stringify(contentType)})`,
  );
}

export function gone(message: string): SimError {
  return new SimError(410, 'Expired', message);
}

export function internalError(message: string): SimError {
  return new SimError(500, 'InternalError', `Internal error occurred: ${message}`);
}

/** Normalises anything thrown by a handler into a SimError (unknown errors become 500). */
export function toSimError(err: unknown): SimError {
  if (err instanceof SimError) return err;
  return internalError(err instanceof Error ? err.message : String(err));
}
