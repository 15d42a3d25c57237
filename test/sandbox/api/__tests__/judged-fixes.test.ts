/**
 * Simulator behaviours corrected after test/integration/apiserver-judge.test.ts compared it with a real
 * kube-apiserver 1.32: each is asserted here on the simulator alone.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiSimulator, type RunningSimulator } from '../server.ts';
import { hostedCluster as judgeHostedCluster } from '../../kube-apiserver/judge.ts';

const CRD_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/hypershift/crds');
const HC_PATH = '/apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters';
const CM_PATH = '/api/v1/namespaces/clusters/configmaps';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

const hostedCluster = (name: string) => judgeHostedCluster(name, 'clusters');

let sim: RunningSimulator;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const init: RequestInit = { method, headers: { 'Content-Type': contentType } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(sim.url + path, init);
  return { code: res.status, body: (await res.json()) as Record<string, any> };
}

describe('simulator behaviours judged by kube-apiserver', () => {
  beforeAll(async () => {
    sim = await startApiSimulator(existsSync(CRD_DIR) ? { crdDir: CRD_DIR } : {});
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'clusters' } });
  });
  afterAll(async () => sim?.stop());

  it('JSON patch: replace creates a missing member of an existing object; failures are 422 without causes', async () => {
    await call('POST', CM_PATH, { metadata: { name: 'jp' }, data: { k: 'v' } });
    const replaced = await call('PATCH', `${CM_PATH}/jp`, [{ op: 'replace', path: '/data/new', value: 'x' }], JSON_PATCH);
    expect([replaced.code, replaced.body['data']]).toEqual([200, { k: 'v', new: 'x' }]);
    const deep = await call('PATCH', `${CM_PATH}/jp`, [{ op: 'replace', path: '/spec/none', value: 'x' }], JSON_PATCH);
    expect([deep.code, deep.body['reason'], deep.body['details']]).toEqual([422, 'Invalid', {}]);
    const index = await call('PATCH', `${CM_PATH}/jp`, [{ op: 'replace', path: '/metadata/finalizers/0', value: 'x' }], JSON_PATCH);
    expect(index.code).toBe(422);
  });

  it('refuses a new finalizer on an object being deleted (422, FieldValueForbidden at metadata.finalizers)', async () => {
    await call('POST', CM_PATH, { metadata: { name: 'fin', finalizers: ['example.com/a'] } });
    await call('DELETE', `${CM_PATH}/fin`);
    const r = await call('PATCH', `${CM_PATH}/fin`, { metadata: { finalizers: ['example.com/a', 'example.com/b'] } }, MERGE);
    expect([r.code, r.body['reason']]).toEqual([422, 'Invalid']);
    expect(r.body['details']['causes']).toEqual([expect.objectContaining({ reason: 'FieldValueForbidden', field: 'metadata.finalizers' })]);
    expect(r.body['message']).toContain('no new finalizers can be added if the object is being deleted');
    const dropped = await call('PATCH', `${CM_PATH}/fin`, { metadata: { finalizers: null } }, MERGE);
    expect(dropped.code).toBe(200);
    expect((await call('GET', `${CM_PATH}/fin`)).code).toBe(404);
  });

  it('bumps the generation of an object with finalizers when its deletion starts', async () => {
    await call('POST', '/apis/apps/v1/namespaces/clusters/deployments', {
      metadata: { name: 'd', finalizers: ['example.com/a'] },
      spec: { replicas: 1 },
    });
    const del = await call('DELETE', '/apis/apps/v1/namespaces/clusters/deployments/d');
    expect([del.body['metadata']['generation'], Boolean(del.body['metadata']['deletionTimestamp'])]).toEqual([2, true]);
  });

  it.skipIf(!existsSync(CRD_DIR))('a custom resource: PUT needs a resourceVersion, strategic merge patch is 415', async () => {
    const created = await call('POST', HC_PATH, hostedCluster('put'));
    expect(created.code).toBe(201);
    const { resourceVersion: _rv, ...meta } = created.body['metadata'];
    const put = await call('PUT', `${HC_PATH}/put`, { ...created.body, metadata: meta });
    expect([put.code, put.body['details']['causes'][0]['field']]).toEqual([422, 'metadata.resourceVersion']);
    const status = await call('PUT', `${HC_PATH}/put/status`, { ...created.body, metadata: meta, status: {} });
    expect(status.code).toBe(422);
    const smp = await call('PATCH', `${HC_PATH}/put`, { metadata: { labels: { a: 'b' } } }, 'application/strategic-merge-patch+json');
    expect([smp.code, smp.body['reason']]).toEqual([415, 'UnsupportedMediaType']);
    // Built-in types keep both.
    const cm = await call('POST', CM_PATH, { metadata: { name: 'unconditional' } });
    expect((await call('PUT', `${CM_PATH}/unconditional`, { metadata: { name: 'unconditional' }, data: { a: 'b' } })).code).toBe(200);
    expect(cm.code).toBe(201);
    const cmSmp = await call('PATCH', `${CM_PATH}/unconditional`, { data: { c: 'd' } }, 'application/strategic-merge-patch+json');
    expect(cmSmp.code).toBe(200);
  });

  it.skipIf(!existsSync(CRD_DIR))('reports a custom resource’s bad name together with its schema errors', async () => {
    const hc = hostedCluster('Bad_Name');
    (hc['spec'] as Record<string, unknown>)['platform'] = { type: 'NotAPlatform' };
    const r = await call('POST', HC_PATH, hc);
    expect(r.code).toBe(422);
    const fields = (r.body['details']['causes'] as Array<{ field: string }>).map((c) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['metadata.name', 'spec.platform.type']));
  });
});
