/**
 * src/core/permissions.ts against what the code really calls: each workflow runs on the sandbox,
 * the simulator's request log is turned into (verb, group, resource, namespace) and every request
 * must be covered by that workflow's declaration, and every declared verb must have been used by
 * its run (compatibility verbs excepted: they are granted for other API server versions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { connectKube } from '../../src/kube/session.ts';
import { controlPlaneNamespace, Resources } from '../../src/core/model.ts';
import { permissionsOf, type ApiPermission, type PermissionScope, type Workflow } from '../../src/core/permissions.ts';

let sb: Sandbox;
const HOSTED_CLUSTERS = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const savedEnv = { ...process.env };

interface ApiCall {
  verb: string;
  group: string;
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
  url: string;
}

/** A request of the log as RBAC sees it; undefined for non-resource URLs (discovery, health). */
function apiCall(method: string, rawUrl: string): ApiCall | undefined {
  const url = new URL(rawUrl, 'http://127.0.0.1');
  const parts = url.pathname.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, rest] = [parts[1] ?? '', parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [plural, name, sub] = rest;
  const resource = sub ? `${plural}/${sub}` : (plural ?? '');
  const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  const verb = method === 'GET' ? (watch ? 'watch' : name === undefined ? 'list' : 'get') : (verbs[method] ?? method);
  return { verb, group, resource, namespace, name, url: rawUrl };
}

/** The namespaces holding HostedClusters, and their control-plane namespaces. */
function namespaces(): { hostedCluster: Set<string>; controlPlane: Set<string> } {
  const hcs = sb.sim.store.list(HOSTED_CLUSTERS, undefined);
  return {
    hostedCluster: new Set(hcs.map((o) => o.metadata.namespace ?? '')),
    controlPlane: new Set(hcs.map((o) => controlPlaneNamespace(o.metadata.namespace ?? '', o.metadata.name))),
  };
}

function scopeOf(call: ApiCall): PermissionScope {
  if (call.namespace === undefined) return 'all-namespaces';
  const ns = namespaces();
  if (ns.hostedCluster.has(call.namespace)) return 'hosted-cluster-namespace';
  if (ns.controlPlane.has(call.namespace)) return 'control-plane-namespace';
  throw new Error(`request outside the hosted clusters' namespaces: ${call.url}`);
}

/** Whether a permission grants the call: a cluster-wide grant covers every namespace. */
function grants(p: ApiPermission, call: ApiCall): boolean {
  const verbs: readonly string[] = [...p.verbs, ...(p.compatVerbs ?? [])];
  const execGet = call.resource === 'pods/exec' && call.verb === 'get'; // WebSocket exec: a GET authorized as create
  return (
    p.group === call.group &&
    p.resource === call.resource &&
    (verbs.includes(call.verb) || (execGet && verbs.includes('create'))) &&
    (p.where === 'cluster'
      ? call.namespace === undefined && call.name !== undefined && (p.resourceNames ?? [call.name]).includes(call.name)
      : p.where === 'all-namespaces' || p.where === scopeOf(call))
  );
}

async function callsOf(argv: string[]): Promise<ApiCall[]> {
  const before = sb.sim.requests.length;
  const run = await runCliInProcess(argv);
  expect(run.stderr, run.stderr).not.toMatch(/^error:/m);
  expect(run.code).toBe(0);
  return sb.sim.requests
    .slice(before)
    .map((r) => apiCall(r.method, r.url))
    .filter((c): c is ApiCall => c !== undefined);
}

function check(workflow: Workflow, calls: ApiCall[]): void {
  const declared = permissionsOf(workflow);
  const uncovered = calls.filter((c) => !declared.some((p) => grants(p, c)));
  expect(
    uncovered.map((c) => `${c.verb} ${c.group}/${c.resource} in ${c.namespace ?? '(all)'}`),
    'requests not covered by the declaration',
  ).toEqual([]);
  const unused = declared.flatMap((p) =>
    p.verbs
      .filter((v) => !calls.some((c) => grants({ ...p, verbs: [v], compatVerbs: [] }, c)))
      .map((v) => `${v} ${p.group}/${p.resource} in ${p.where}`),
  );
  expect(unused, 'declared verbs no run used').toEqual([]);
}

const common = () => ['--kubeconfig', sb.kubeconfig, '--to', `s3://${sb.s3.bucket}/perm`, '--endpoint', sb.s3.endpoint, '--path-style'];

beforeAll(async () => {
  // A second hosted cluster in another namespace, for the fleet runs (one member: cheap).
  sb = await startSandbox({ hostedClusters: [{ name: 'edge', namespace: 'fleet', policy: 'SingleReplica' }] });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
    AWS_REGION: sb.s3.region,
  });
  // A trust bundle, as real hosted clusters reference one: the run then reads a ConfigMap too.
  const quiet = { info: () => {}, warn: () => {}, debug: () => {} };
  const { api } = await connectKube({ kubeconfig: sb.kubeconfig }, quiet);
  await api.create(Resources.configMap, sb.namespace, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'demo-trust-bundle', namespace: sb.namespace },
    data: { 'ca-bundle.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
  });
  await api.mergePatch(Resources.hostedCluster, sb.namespace, 'demo', { spec: { additionalTrustBundle: { name: 'demo-trust-bundle' } } });
}, 120_000);
afterAll(async () => {
  process.env = savedEnv;
  await sb?.stop();
});

describe('the permission declaration matches what the code calls', () => {
  it('when backup --online runs, every request is declared for backup-online and every declared verb is used', async () => {
    check('backup-online', await callsOf(['backup', 'demo', '-n', sb.namespace, '--online', ...common()]));
  });

  it('when backup --quiesce runs, every request is declared for backup-quiesce and every declared verb is used', async () => {
    check('backup-quiesce', await callsOf(['backup', 'demo', '-n', sb.namespace, '--quiesce', '--yes', ...common()]));
  });

  it('when backup --all runs online over two namespaces, every request is declared for backup-all-online and every declared verb is used', async () => {
    check('backup-all-online', await callsOf(['backup', '--all', ...common()]));
  });

  it('when backup --all --quiesce runs, every request is declared for backup-all-quiesce and every declared verb is used', async () => {
    check('backup-all-quiesce', await callsOf(['backup', '--all', '--quiesce', '--yes', ...common()]));
  });
});
