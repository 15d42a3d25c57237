import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiSimulator, type RunningSimulator } from '../server.ts';

const CRD_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/hypershift/crds');
const HC_PATH = '/apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters';
const DEPLOY_PATH = '/apis/apps/v1/namespaces/clusters-demo/deployments';

let sim: RunningSimulator;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(sim.url + path, init);
  const text = await res.text();
  return { code: res.status, type: res.headers.get('content-type'), body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

beforeAll(async () => {
  sim = await startApiSimulator();
  for (const name of ['clusters', 'clusters-demo']) await call('POST', '/api/v1/namespaces', { metadata: { name } });
  await call('POST', HC_PATH, {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { name: 'demo', labels: { a: 'b' } },
    spec: { release: { image: 'r1' }, platform: { type: 'AWS' } },
    status: { ignored: true },
  });
  await call('POST', DEPLOY_PATH, {
    metadata: { name: 'kube-apiserver' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'kube-apiserver' } } },
  });
});
afterAll(async () => sim.stop());

describe('API simulator REST', () => {
  it('serves discovery kubectl can use', async () => {
    const v = await call('GET', '/version');
    expect(v.body).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
    const apis = await call('GET', '/apis', undefined, {
      Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    expect(apis.type).toBe('application/json');
    expect(apis.body['groups'].map((g: { name: string }) => g.name)).toContain('hypershift.openshift.io');
    const apps = await call('GET', '/apis/apps/v1');
    const scale = apps.body['resources'].find((r: { name: string }) => r.name === 'deployments/scale');
    expect(scale).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const core = await call('GET', '/api/v1');
    expect(core.body['resources'].find((r: { name: string }) => r.name === 'pods/exec')).toBeTruthy();
    expect(core.body['resources'].find((r: { name: string }) => r.name === 'namespaces')).toMatchObject({ namespaced: false });
  });

  it('drops status on create for types with a status subresource', async () => {
    const r = await call('GET', `${HC_PATH}/demo`);
    expect(r.code).toBe(200);
    expect(r.body['status']).toBeUndefined();
    expect(r.body['metadata'].generation).toBe(1);
  });

  it('answers kube-shaped Status bodies', async () => {
    const nf = await call('GET', `${HC_PATH}/nope`);
    expect(nf.code).toBe(404);
    expect(nf.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 404,
      reason: 'NotFound',
      message: 'hostedclusters.hypershift.openshift.io "nope" not found',
      details: { name: 'nope', group: 'hypershift.openshift.io', kind: 'hostedclusters' },
    });
    const dup = await call('POST', HC_PATH, { metadata: { name: 'demo' }, spec: {} });
    expect([dup.code, dup.body['reason']]).toEqual([409, 'AlreadyExists']);
    const bad = await call('POST', HC_PATH, { metadata: { name: 'Bad_Name' }, spec: {} });
    expect([bad.code, bad.body['reason']]).toEqual([422, 'Invalid']);
    expect(bad.body['message']).toContain('HostedCluster.hypershift.openshift.io "Bad_Name" is invalid: metadata.name');
    const noNs = await call('POST', '/api/v1/namespaces/missing/configmaps', { metadata: { name: 'x' } });
    expect([noNs.code, noNs.body['message']]).toEqual([404, 'namespaces "missing" not found']);
    const unknown = await call('GET', '/apis/example.com/v1/namespaces/x/widgets');
    expect(unknown.code).toBe(404);
    const type = await call('PATCH', `${HC_PATH}/demo`, '{}', { 'Content-Type': 'application/apply-patch+yaml' });
    expect([type.code, type.body['reason']]).toEqual([415, 'UnsupportedMediaType']);
    const method = await call('POST', `${HC_PATH}/demo`, {});
    expect([method.code, method.body['reason']]).toEqual([405, 'MethodNotAllowed']);
  });

  it('applies merge, strategic-merge and JSON patches; JSON patch failures are 422', async () => {
    const m = await call(
      'PATCH',
      `${HC_PATH}/demo`,
      { spec: { pausedUntil: 'true', platform: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(m.code).toBe(200);
    expect(m.body['spec']).toEqual({ release: { image: 'r1' }, pausedUntil: 'true' });
    expect(m.body['metadata'].generation).toBe(2);
    const s = await call(
      'PATCH',
      `${HC_PATH}/demo`,
      { metadata: { annotations: { x: '1' } } },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    expect(s.body['metadata'].annotations).toEqual({ x: '1' });
    const j = await call(
      'PATCH',
      `${HC_PATH}/demo`,
      [
        { op: 'test', path: '/spec/pausedUntil', value: 'true' },
        { op: 'remove', path: '/spec/pausedUntil' },
      ],
      { 'Content-Type': 'application/json-patch+json' },
    );
    expect(j.code).toBe(200);
    expect(j.body['spec']['pausedUntil']).toBeUndefined();
    const failedTest = await call('PATCH', `${HC_PATH}/demo`, [{ op: 'test', path: '/spec/release/image', value: 'other' }], {
      'Content-Type': 'application/json-patch+json',
    });
    expect([failedTest.code, failedTest.body['reason'], failedTest.body['message']]).toEqual([
      422,
      'Invalid',
      'the server rejected our request due to an error in our request',
    ]);
    const missing = await call('PATCH', `${HC_PATH}/demo`, [{ op: 'replace', path: '/spec/nothing/here', value: 1 }], {
      'Content-Type': 'application/json-patch+json',
    });
    expect(missing.code).toBe(422);
    const merged = await call('PATCH', `${HC_PATH}/demo`, { spec: { x: 1 } }, { 'Content-Type': 'application/json-patch+json' });
    expect(merged.code).toBe(400);
  });

  it('rejects stale PUTs and patches carrying a stale resourceVersion with 409', async () => {
    const cur = (await call('GET', `${HC_PATH}/demo`)).body;
    const ok = await call('PUT', `${HC_PATH}/demo`, { ...cur, spec: { ...cur['spec'], n: 1 } });
    expect(ok.code).toBe(200);
    const stale = await call('PUT', `${HC_PATH}/demo`, { ...cur, spec: { ...cur['spec'], n: 2 } });
    expect([stale.code, stale.body['reason']]).toEqual([409, 'Conflict']);
    const p = await call(
      'PATCH',
      `${HC_PATH}/demo`,
      { metadata: { resourceVersion: cur['metadata'].resourceVersion }, spec: { n: 3 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(p.code).toBe(409);
  });

  it('writes only status through /status and ignores status on the main resource', async () => {
    await call('PATCH', `${HC_PATH}/demo`, { status: { a: 1 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect((await call('GET', `${HC_PATH}/demo`)).body['status']).toBeUndefined();
    const st = await call(
      'PATCH',
      `${HC_PATH}/demo/status`,
      { status: { a: 1 }, spec: { n: 99 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(st.body['status']).toEqual({ a: 1 });
    expect(st.body['spec']['n']).not.toBe(99);
  });

  it('serves the scale subresource as autoscaling/v1 Scale', async () => {
    sim.store.mutate(
      { group: 'apps', version: 'v1', plural: 'deployments' },
      'clusters-demo',
      'kube-apiserver',
      (o) => (o['status'] = { replicas: 3 }),
    );
    const g = await call('GET', `${DEPLOY_PATH}/kube-apiserver/scale`);
    expect(g.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { replicas: 3, selector: 'app=kube-apiserver' },
    });
    const p = await call(
      'PATCH',
      `${DEPLOY_PATH}/kube-apiserver/scale`,
      { spec: { replicas: 0 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(p.body['spec']).toEqual({ replicas: 0 });
    expect((await call('GET', `${DEPLOY_PATH}/kube-apiserver`)).body['spec']['replicas']).toBe(0);
    const put = await call('PUT', `${DEPLOY_PATH}/kube-apiserver/scale`, {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'kube-apiserver' },
      spec: { replicas: -1 },
    });
    expect(put.code).toBe(422);
  });

  it('lists with selectors and honours dryRun=All', async () => {
    const l = await call('GET', `${HC_PATH}?labelSelector=${encodeURIComponent('a in (b,c)')}`);
    expect(l.body['kind']).toBe('HostedClusterList');
    expect(l.body['items'].map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['demo']);
    expect((await call('GET', `${HC_PATH}?fieldSelector=metadata.name%3Dother`)).body['items']).toEqual([]);
    expect((await call('GET', `${HC_PATH}?labelSelector=${encodeURIComponent('a in b')}`)).code).toBe(400);
    const dry = await call('POST', `${HC_PATH}?dryRun=All`, { metadata: { name: 'ghost' }, spec: {} });
    expect(dry.code).toBe(201);
    expect((await call('GET', `${HC_PATH}/ghost`)).code).toBe(404);
  });

  it('streams watch events from a resourceVersion and closes at timeoutSeconds', async () => {
    const rv = (await call('GET', HC_PATH)).body['metadata'].resourceVersion as string;
    const res = await fetch(`${sim.url}${HC_PATH}?watch=1&resourceVersion=${rv}&timeoutSeconds=1`);
    sim.store.create(
      { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' },
      { apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'HostedCluster', metadata: { name: 'w', namespace: 'clusters' }, spec: {} },
    );
    await call('DELETE', `${HC_PATH}/w`);
    const t0 = Date.now();
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(lines.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:w', 'DELETED:w']);
    const initial = await fetch(`${sim.url}${HC_PATH}?watch=true&timeoutSeconds=1`);
    expect(
      (await initial.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['ADDED']);
  });

  it('forbids denied tokens with the kube message and keeps discovery open', async () => {
    sim.denyToken('nope-token', { user: 'system:serviceaccount:ops:reader' });
    const auth = { Authorization: 'Bearer nope-token' };
    const r = await call('GET', `${HC_PATH}/demo`, undefined, auth);
    expect(r.code).toBe(403);
    expect(r.body['message']).toBe(
      'hostedclusters.hypershift.openshift.io "demo" is forbidden: User "system:serviceaccount:ops:reader" cannot get resource "hostedclusters" in API group "hypershift.openshift.io" in the namespace "clusters"',
    );
    expect((await call('GET', '/api/v1/namespaces', undefined, auth)).body['message']).toContain(
      'cannot list resource "namespaces" in API group "" at the cluster scope',
    );
    expect((await call('GET', '/apis', undefined, auth)).code).toBe(200);
    expect((await call('GET', `${HC_PATH}/demo`, undefined, { Authorization: 'Bearer fine' })).code).toBe(200);
  });

  it('deletes with finalizers by setting deletionTimestamp, and namespaces with their content', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await call('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'c', finalizers: ['x/y'] } });
    const d = await call('DELETE', '/api/v1/namespaces/doomed/configmaps/c');
    expect(d.body['metadata'].deletionTimestamp).toBeTruthy();
    await call('DELETE', '/api/v1/namespaces/doomed');
    expect((await call('GET', '/api/v1/namespaces/doomed')).body['status']).toEqual({ phase: 'Terminating' });
    expect((await call('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'n' } })).code).toBe(403);
    await call(
      'PATCH',
      '/api/v1/namespaces/doomed/configmaps/c',
      { metadata: { finalizers: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect((await call('GET', '/api/v1/namespaces/doomed')).code).toBe(404);
  });
});

describe('API simulator lifecycle', () => {
  it('stop() ends open watches and refuses new connections', async () => {
    const s = await startApiSimulator();
    const res = await fetch(`${s.url}/api/v1/namespaces?watch=true`);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"name":"default"');
    await s.stop();
    const rest = await reader.read().then(
      (r) => (r.done ? 'ended' : 'data'),
      () => 'ended',
    );
    expect(rest).toBe('ended');
    await expect(fetch(`${s.url}/version`)).rejects.toThrow();
  });
});

if (!existsSync(CRD_DIR))
  console.warn(`skipping CRD loading test: ${CRD_DIR} not found (HyperShift CRDs live in ../shared, never in this repository)`);
describe.skipIf(!existsSync(CRD_DIR))('API simulator with the HyperShift CRDs', () => {
  it('loads CRDs from crdDir and serves them (needs ../shared/hypershift/crds)', async () => {
    const s = await startApiSimulator({ crdDir: CRD_DIR });
    try {
      const r = await fetch(`${s.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/nodepools.hypershift.openshift.io`);
      const crd = (await r.json()) as { spec: { names: { shortNames: string[] } } };
      expect(crd.spec.names.shortNames).toEqual(['np', 'nps']);
      expect(s.registry.info({ group: 'hypershift.openshift.io', plural: 'nodepools' })?.scale?.specReplicasPath).toBe('.spec.replicas');
    } finally {
      await s.stop();
    }
  });
});
