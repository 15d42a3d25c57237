/**
 * Maps resource URLs to what they address, the way kube-apiserver's RequestInfo resolver does:
 *   /api/v1/<plural>[/<name>[/<sub>]]                         (cluster-scoped, or all namespaces for a list)
 *   /api/v1/namespaces/<ns>/<plural>[/<name>[/<sub>]]
 *   /apis/<group>/<version>/… the same
 * `/api/v1/namespaces/<name>[/status|/finalize]` addresses the Namespace object itself.
 */
import type { Registry, ResourceInfo } from '../registry.ts';
import { SimError } from '../status.ts';
import type { GroupResource } from '../types.ts';

export interface ResourceRequest {
  info: ResourceInfo;
  /** Coordinates as requested (the version is the one in the URL). */
  gr: GroupResource;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function notServed(): SimError {
  return new SimError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/**
 * What RBAC sees of a resource path, served or not (kube authorizes in its filter chain, before any
 * handler knows whether the type exists: a forbidden user gets 403, not 404, for an unserved type).
 */
export function accessOfPath(
  path: string,
  method: string,
): { verb: string; group: string; plural: string; namespace?: string; name?: string; subresource?: string } | undefined {
  const segs = path
    .split('/')
    .filter((x) => x !== '')
    .map((x) => decodeURIComponent(x));
  let rest: string[];
  let group = '';
  if (segs[0] === 'api' && segs.length >= 3) rest = segs.slice(2);
  else if (segs[0] === 'apis' && segs.length >= 4) [group, rest] = [segs[1] ?? '', segs.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [plural = '', name, subresource] = rest;
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  const verb = method === 'GET' ? (name === undefined ? 'list' : 'get') : (verbs[method] ?? method.toLowerCase());
  return {
    verb,
    group,
    plural,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

/** Returns undefined when the path is not under /api or /apis; throws 404 for unknown resources. */
export function parseResourcePath(path: string, registry: Registry): ResourceRequest | undefined {
  const segs = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1] ?? '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1] ?? '';
    version = segs[2] ?? '';
    rest = segs.slice(3);
  } else return undefined;

  let namespace: string | undefined;
  const nsInfo = registry.lookup(group, version, 'namespaces');
  const isNamespaceObject =
    rest[0] === 'namespaces' && nsInfo && (rest.length <= 2 || (rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')));
  if (rest[0] === 'namespaces' && rest.length >= 3 && !isNamespaceObject) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = '', name, subresource, ...extra] = rest;
  if (extra.length > 0) throw notServed();
  const info = registry.lookup(group, version, plural);
  if (!info) throw notServed();
  if (namespace !== undefined && !info.namespaced) throw notServed();
  // A named namespaced object needs its namespace in the URL.
  if (info.namespaced && namespace === undefined && name !== undefined) throw notServed();
  if (subresource !== undefined) {
    const ok =
      (subresource === 'status' && info.status) ||
      (subresource === 'scale' && info.scale !== undefined) ||
      ((subresource === 'exec' || subresource === 'log') && info.exec === true) ||
      (subresource === 'finalize' && info.plural === 'namespaces') ||
      (subresource === 'token' && info.token === true);
    if (!ok) throw notServed();
  }
  const r: ResourceRequest = { info, gr: { group, version, plural } };
  if (namespace !== undefined) r.namespace = namespace;
  if (name !== undefined) r.name = name;
  if (subresource !== undefined) r.subresource = subresource;
  return r;
}
