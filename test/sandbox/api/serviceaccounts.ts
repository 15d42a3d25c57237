/**
 * Service-account tokens of the simulator, as kube-apiserver's TokenRequest issues them: a JWT whose
 * claims name the ServiceAccount (and its uid), signed with a key of this simulator (HS256 here, RS256
 * in kube; clients never look inside). A token authenticates as
 * `system:serviceaccount:<ns>:<name>` with the groups system:serviceaccounts,
 * system:serviceaccounts:<ns> and system:authenticated, while:
 *  - the ServiceAccount still exists with the same uid (deleting it invalidates its tokens, as in kube);
 *  - it has not expired, and has not been revoked (revoke() stands in for a rotation after which the
 *    old token must no longer work).
 * A token that is not one of these JWTs is not a service-account token: rbac.ts keeps the
 * simulator's older rule for it (allowed unless denyToken() named it).
 *
 * Minting: `sim.tokenFor(ns, sa)` in code, or the TokenRequest API (`kubectl create token sa -n ns`,
 * POST /api/v1/namespaces/<ns>/serviceaccounts/<sa>/token).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { notFound, SimError } from './status.ts';
import { kubeTimestamp } from './store.ts';
import type { SimObject, SimStore } from './types.ts';

export const SERVICE_ACCOUNTS = { group: '', version: 'v1', plural: 'serviceaccounts' };
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const KEY_ID = 'hcp-dr-sim';

/** Who a valid service-account token authenticates as. */
export interface ServiceAccountUser {
  name: string;
  groups: string[];
  namespace: string;
  serviceAccount: string;
}

export interface TokenOptions {
  /** Lifetime (default 3600 s, kube's default for TokenRequest is 1 h). */
  expirationSeconds?: number;
  audiences?: string[];
  /** The pod the token is bound to (claims only). */
  pod?: { name: string; uid?: string };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function unauthorized(): SimError {
  return new SimError(401, 'Unauthorized', 'Unauthorized');
}

export class ServiceAccountTokens {
  private readonly key = randomBytes(32);
  private readonly revoked = new Set<string>();
  private readonly store: SimStore;

  constructor(store: SimStore) {
    this.store = store;
  }

  /** Mints a token for an existing ServiceAccount (404 NotFound when it does not exist). */
  issue(namespace: string, name: string, options: TokenOptions = {}): { token: string; expirationTimestamp: string } {
    const sa = this.store.get(SERVICE_ACCOUNTS, namespace, name);
    if (!sa) throw notFound(SERVICE_ACCOUNTS, name);
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (options.expirationSeconds ?? 3600);
    const claims = {
      aud: options.audiences ?? [ISSUER],
      exp,
      iat: now,
      nbf: now,
      iss: ISSUER,
      jti: randomUUID(),
      sub: `system:serviceaccount:${namespace}:${name}`,
      'kubernetes.io': {
        namespace,
        serviceaccount: { name, uid: sa.metadata.uid },
        ...(options.pod ? { pod: options.pod } : {}),
      },
    };
    const signed = `${b64url(JSON.stringify({ alg: 'HS256', kid: KEY_ID }))}.${b64url(JSON.stringify(claims))}`;
    const token = `${signed}.${this.sign(signed)}`;
    return { token, expirationTimestamp: kubeTimestamp(new Date(exp * 1000)) };
  }

  /** From now on the token gets 401 Unauthorized. */
  revoke(token: string): void {
    this.revoked.add(token);
  }

  /**
   * undefined: not a service-account token of this simulator (another rule applies).
   * A user: a valid token. Throws 401 for one of ours that is expired, revoked, or whose ServiceAccount is gone.
   */
  authenticate(token: string | undefined): ServiceAccountUser | undefined {
    const parts = token?.split('.');
    if (!token || parts?.length !== 3) return undefined;
    const [head = '', body = '', signature = ''] = parts;
    let header: { kid?: unknown };
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { kid?: unknown };
    } catch {
      return undefined;
    }
    if (header.kid !== KEY_ID) return undefined;
    const expected = Buffer.from(this.sign(`${head}.${body}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw unauthorized();
    if (this.revoked.has(token)) throw unauthorized();
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      exp: number;
      'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid?: string } };
    };
    if (claims.exp * 1000 <= Date.now()) throw unauthorized();
    const { namespace, serviceaccount } = claims['kubernetes.io'];
    const sa: SimObject | undefined = this.store.get(SERVICE_ACCOUNTS, namespace, serviceaccount.name);
    if (!sa || sa.metadata.uid !== serviceaccount.uid || sa.metadata.deletionTimestamp) throw unauthorized();
    return {
      name: `system:serviceaccount:${namespace}:${serviceaccount.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      namespace,
      serviceAccount: serviceaccount.name,
    };
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}

/** The TokenRequest answer (authentication.k8s.io/v1) for POST serviceaccounts/<name>/token. */
export function tokenRequestAnswer(tokens: ServiceAccountTokens, namespace: string, name: string, body: Record<string, unknown>): unknown {
  const spec = (body['spec'] ?? {}) as { expirationSeconds?: unknown; audiences?: unknown; boundObjectRef?: unknown };
  const seconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  if (!Number.isInteger(seconds) || seconds < 600) {
    throw new SimError(
      422,
      'Invalid',
      `TokenRequest.authentication.k8s.io "${name}" is invalid: spec.expirationSeconds: Invalid value: ${seconds}: may not specify a duration less than 10 minutes`,
    );
  }
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : undefined;
  const issued = tokens.issue(namespace, name, { expirationSeconds: seconds, ...(audiences ? { audiences } : {}) });
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences: audiences ?? [ISSUER], expirationSeconds: seconds, boundObjectRef: spec.boundObjectRef ?? null },
    status: issued,
  };
}
