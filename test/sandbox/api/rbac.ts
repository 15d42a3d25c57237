/**
 * Authentication and authorization of the simulator's requests.
 *  - Service-account tokens (serviceaccounts.ts: `sim.tokenFor(ns, sa)`, TokenRequest) are
 *    authenticated (401 Unauthorized when expired, revoked, or their ServiceAccount is gone) and
 *    authorized by real RBAC over the Roles, ClusterRoles and bindings in the store (rbac-eval.ts):
 *    a request no rule allows gets kube's 403, e.g. `pods "x" is forbidden: User
 *    "system:serviceaccount:ns:sa" cannot get resource "pods" in API group "" in the namespace "ns"`.
 *  - Every other token (and no token: "system:anonymous") keeps the simulator's older rule: allowed,
 *    unless denyToken() listed it; a denied token gets 403 on resource requests, optionally limited to
 *    some verbs/resources. denyToken() applies to service-account tokens as well, before RBAC.
 * Discovery (/version, /api, /apis…) stays open to everyone, as kube's system:discovery role does for
 * authenticated users; SelfSubjectAccessReviews too (system:basic-user), which is what `kubectl auth
 * can-i` sends. Exec over WebSocket is a GET, checked as `get` on pods/exec, and also as `create` when
 * the simulator plays Kubernetes 1.35 or later (server.ts). Admission-time checks of RBAC writes
 * (escalation prevention) are not modelled.
 */
import { authorize, type Attributes } from './rbac-eval.ts';
import type { ResourceInfo } from './registry.ts';
import { ServiceAccountTokens, type ServiceAccountUser } from './serviceaccounts.ts';
import { badRequest, forbidden } from './status.ts';
import type { SimStore } from './types.ts';

export interface DenyOptions {
  /** User name in the Forbidden message. Default `system:serviceaccount:default:sim-denied`. */
  user?: string;
  /** Only these verbs are denied (get, list, watch, create, update, patch, delete, deletecollection). Default: all. */
  verbs?: string[];
  /** Only these resources (`pods`, `pods/exec`, `hostedclusters`) are denied. Default: all. */
  resources?: string[];
}

export interface AccessRequest {
  token: string | undefined;
  verb: string;
  info: Pick<ResourceInfo, 'group' | 'plural'>;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export class Rbac {
  private readonly denied = new Map<string, DenyOptions>();
  private readonly store: SimStore;
  readonly tokens: ServiceAccountTokens;

  constructor(store: SimStore) {
    this.store = store;
    this.tokens = new ServiceAccountTokens(store);
  }

  deny(token: string, options: DenyOptions = {}): void {
    this.denied.set(token, options);
  }

  /** The service account a token authenticates as; undefined for other tokens. Throws 401 for a bad service-account token. */
  authenticate(token: string | undefined): ServiceAccountUser | undefined {
    return this.tokens.authenticate(token);
  }

  /** Throws a 401 or 403 SimError when the request is not allowed. */
  check(r: AccessRequest): void {
    const user = this.authenticate(r.token);
    const rule = r.token === undefined ? undefined : this.denied.get(r.token);
    const res = r.subresource ? `${r.info.plural}/${r.subresource}` : r.info.plural;
    if (rule && (!rule.verbs || rule.verbs.includes(r.verb)) && (!rule.resources || rule.resources.includes(res))) {
      throw forbidden(
        r.info,
        r.name,
        rule.user ?? user?.name ?? 'system:serviceaccount:default:sim-denied',
        r.verb,
        r.subresource,
        r.namespace,
      );
    }
    if (!user) return;
    const attributes = attributesOf(r);
    if (!this.decide(user, attributes).allowed) throw forbidden(r.info, r.name, user.name, r.verb, r.subresource, attributes.namespace);
  }

  /** The answer to a SelfSubjectAccessReview (authorization.k8s.io/v1) sent with `token`. */
  review(token: string | undefined, body: Record<string, unknown>): unknown {
    const spec = (body['spec'] ?? {}) as { resourceAttributes?: Record<string, string>; nonResourceAttributes?: unknown };
    const ra = spec.resourceAttributes;
    if (!ra && !spec.nonResourceAttributes)
      throw badRequest('SelfSubjectAccessReview: exactly one of nonResourceAttributes or resourceAttributes must be specified');
    const user = this.authenticate(token);
    let status: { allowed: boolean; reason?: string };
    if (!ra)
      status = { allowed: true }; // non-resource URLs: discovery is open
    else {
      const a: Attributes = { verb: ra['verb'] ?? '', apiGroup: ra['group'] ?? '', resource: ra['resource'] ?? '' };
      if (ra['subresource']) a.subresource = ra['subresource'];
      if (ra['namespace']) a.namespace = ra['namespace'];
      if (ra['name']) a.name = ra['name'];
      const rule = token === undefined ? undefined : this.denied.get(token);
      const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
      if (rule && (!rule.verbs || rule.verbs.includes(a.verb)) && (!rule.resources || rule.resources.includes(res)))
        status = { allowed: false };
      else if (!user) status = { allowed: true };
      else {
        const d = this.decide(user, a);
        status = d.reason ? { allowed: d.allowed, reason: d.reason } : { allowed: d.allowed };
      }
    }
    return {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status,
    };
  }

  private decide(user: ServiceAccountUser, a: Attributes) {
    return authorize(
      this.store,
      { name: user.name, groups: user.groups, serviceAccount: { namespace: user.namespace, name: user.serviceAccount } },
      a,
    );
  }
}

function attributesOf(r: AccessRequest): Attributes {
  const a: Attributes = { verb: r.verb, apiGroup: r.info.group, resource: r.info.plural };
  if (r.subresource) a.subresource = r.subresource;
  if (r.name) a.name = r.name;
  // kube's RequestInfo: a request for a Namespace object is in that namespace.
  if (r.namespace !== undefined) a.namespace = r.namespace;
  else if (r.info.group === '' && r.info.plural === 'namespaces' && r.name) a.namespace = r.name;
  return a;
}
