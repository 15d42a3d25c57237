/**
 * Token-based denial, the only authorization the simulator models. Every token is accepted (and so is
 * no token: the request runs as "system:anonymous" but is allowed) unless denyToken() listed it.
 * A denied token gets 403 on resource requests, optionally limited to some verbs/resources.
 * Discovery (/version, /api, /apis…) stays open to everyone, as kube's system:discovery role does for
 * authenticated users; that is what lets kubectl reach the point of printing `Error from server (Forbidden)`.
 */
import type { ResourceInfo } from './registry.ts';
import { forbidden } from './status.ts';

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

  deny(token: string, options: DenyOptions = {}): void {
    this.denied.set(token, options);
  }

  /** Throws a 403 SimError when the request is denied. */
  check(r: AccessRequest): void {
    if (r.token === undefined) return;
    const rule = this.denied.get(r.token);
    if (!rule) return;
    const res = r.subresource ? `${r.info.plural}/${r.subresource}` : r.info.plural;
    if (rule.verbs && !rule.verbs.includes(r.verb)) return;
    if (rule.resources && !rule.resources.includes(res)) return;
    const user = rule.user ?? 'system:serviceaccount:default:sim-denied';
    throw forbidden(r.info, r.name, user, r.verb, r.subresource, r.namespace);
  }
}
