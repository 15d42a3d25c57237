/**
 * Discovery endpoints in their plain (non-aggregated) JSON forms. kubectl asks for aggregated
 * discovery v2 first and falls back to these when the answer is plain application/json.
 */
import type { Registry, ResourceInfo } from './registry.ts';
import { RESOURCE_VERBS } from './registry.ts';

export interface DiscoveryAnswer {
  code: number;
  body: unknown;
}

function gv(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

function resourceEntries(info: ResourceInfo): unknown[] {
  const main: Record<string, unknown> = {
    name: info.plural,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: [...(info.verbs ?? RESOURCE_VERBS)],
  };
  if (info.shortNames.length) main['shortNames'] = info.shortNames;
  if (info.categories.length) main['categories'] = info.categories;
  const out: unknown[] = [main];
  const sub = (name: string, kind: string, verbs: string[], extra: Record<string, unknown> = {}) =>
    out.push({ name: `${info.plural}/${name}`, singularName: '', namespaced: info.namespaced, kind, verbs, ...extra });
  if (info.status) sub('status', info.kind, ['get', 'patch', 'update']);
  if (info.scale) sub('scale', 'Scale', ['get', 'patch', 'update'], { group: 'autoscaling', version: 'v1' });
  if (info.exec) {
    sub('exec', 'PodExecOptions', ['create', 'get']);
    sub('log', 'Pod', ['get']);
  }
  if (info.token) sub('token', 'TokenRequest', ['create'], { group: 'authentication.k8s.io', version: 'v1' });
  return out;
}

/** Answers a discovery path, or returns undefined when the path is not a discovery endpoint. */
export function discover(path: string, registry: Registry, minor: number, hostPort: string): DiscoveryAnswer | undefined {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/version') {
    return {
      code: 200,
      body: {
        major: '1',
        minor: String(minor),
        gitVersion: `v1.${minor}.0`,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2025-01-01T00:00:00Z',
        goVersion: 'go1.23.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      },
    };
  }
  if (p === '/api') {
    return {
      code: 200,
      body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }] },
    };
  }
  const groupOf = (g: { name: string; versions: string[] }) => ({
    name: g.name,
    versions: g.versions.map((v) => ({ groupVersion: gv(g.name, v), version: v })),
    preferredVersion: { groupVersion: gv(g.name, g.versions[0] ?? ''), version: g.versions[0] ?? '' },
  });
  if (p === '/apis') {
    const groups = registry
      .groups()
      .filter((g) => g.name !== '')
      .map(groupOf);
    return { code: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups } };
  }
  let group: string | undefined;
  let version: string | undefined;
  const core = /^\/api\/([^/]+)$/.exec(p);
  const named = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
  if (core) {
    group = '';
    version = core[1];
  } else if (named) {
    group = named[1] ?? '';
    version = named[2];
    if (version === undefined) {
      const g = registry.groups().find((x) => x.name === group);
      if (!g) return undefined;
      return { code: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...groupOf(g) } };
    }
  } else return undefined;
  const infos = registry.resourcesIn(group, version ?? '');
  if (infos.length === 0) return undefined;
  return {
    code: 200,
    body: {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv(group, version ?? ''),
      resources: infos.flatMap(resourceEntries),
    },
  };
}
