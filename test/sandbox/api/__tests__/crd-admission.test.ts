/**
 * The simulator admits custom resources as kube-apiserver does (crd-admission.ts): the HyperShift CRDs'
 * OpenAPI schema and CEL rules on create, update and patch, transition rules included. The same cases run
 * against a real kube-apiserver in test/integration/apiserver-judge.test.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostedCluster as judgeHostedCluster } from '../../kube-apiserver/judge.ts';
import { startApiSimulator, type RunningSimulator } from '../server.ts';
import type { SimObject } from '../types.ts';

const CRD_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/hypershift/crds');
const HC_PATH = '/apis/hypershift.openshift.io/v1beta1/namespaces/clusters/hostedclusters';
const URL_PATH = 'spec.etcd.managed.storage.restoreSnapshotURL';

/** A HostedCluster the CRD accepts, in namespace `clusters`. */
const hostedCluster = (name: string, urls?: string[]) => judgeHostedCluster(name, 'clusters', urls);

let sim: RunningSimulator;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const init: RequestInit = { method, headers: { 'Content-Type': contentType } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(sim.url + path, init);
  return { code: res.status, body: (await res.json()) as Record<string, any> };
}

const causes = (body: Record<string, any>) =>
  ((body['details']?.causes ?? []) as Array<{ reason: string; field: string; message: string }>).map((c) => [c.reason, c.field]);

if (!existsSync(CRD_DIR)) {
  console.warn(`skipping CRD admission tests: ${CRD_DIR} not found (HyperShift CRDs live in ../shared, never in this repository)`);
}

describe.skipIf(!existsSync(CRD_DIR))('simulator CRD admission (HyperShift CRDs)', () => {
  beforeAll(async () => {
    sim = await startApiSimulator({ crdDir: CRD_DIR });
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'clusters' } });
  });
  afterAll(async () => sim?.stop());

  it('refuses more than one restoreSnapshotURL on create: 422 Invalid, FieldValueTooMany at the field', async () => {
    const r = await call('POST', HC_PATH, hostedCluster('two', ['https://a/1', 'https://a/2']));
    expect(r.code).toBe(422);
    expect(r.body['reason']).toBe('Invalid');
    expect(r.body['details']).toMatchObject({ name: 'two', group: 'hypershift.openshift.io', kind: 'HostedCluster' });
    expect(causes(r.body)).toContainEqual(['FieldValueTooMany', URL_PATH]);
    expect(r.body['message']).toMatch(/^HostedCluster\.hypershift\.openshift\.io "two" is invalid: .*must have at most 1 item/);
    expect((await call('GET', `${HC_PATH}/two`)).code).toBe(404);
  });

  it('refuses a restoreSnapshotURL over 1024 characters (FieldValueTooLong) and an http:// one (CEL rule)', async () => {
    const long = await call('POST', HC_PATH, hostedCluster('long', [`https://a/${'x'.repeat(1020)}`]));
    expect(long.code).toBe(422);
    expect(causes(long.body)).toContainEqual(['FieldValueTooLong', `${URL_PATH}[0]`]);
    const http = await call('POST', HC_PATH, hostedCluster('plain', ['http://a/1']));
    expect(http.code).toBe(422);
    expect(http.body['message']).toContain('restoreSnapshotURL must be a valid URL with scheme https or s3');
  });

  it('checks dry-run creates as well', async () => {
    const r = await call('POST', `${HC_PATH}?dryRun=All`, hostedCluster('dry', ['https://a/1', 'https://a/2']));
    expect(r.code).toBe(422);
  });

  it('prunes unknown fields and applies the schema defaults on create, as the server stores it', async () => {
    const hc = hostedCluster('pruned', ['https://a/1']);
    (hc['spec'] as Record<string, unknown>)['notAField'] = 'x';
    const r = await call('POST', HC_PATH, hc);
    expect(r.code).toBe(201);
    expect(r.body['spec']['notAField']).toBeUndefined();
    const stored = await call('GET', `${HC_PATH}/pruned`);
    expect(stored.body['spec']['notAField']).toBeUndefined();
    expect(stored.body['spec']['etcd']['managed']['storage']['restoreSnapshotURL']).toEqual(['https://a/1']);
    // spec.networking.networkType defaults to OVNKubernetes in the CRD.
    expect(stored.body['spec']['networking']?.['networkType']).toBe('OVNKubernetes');
  });

  it('applies the schema defaults to objects written straight into the store too (seeds, controllers)', () => {
    const gr = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
    const stored = sim.store.create(gr, hostedCluster('seeded') as unknown as SimObject);
    expect((stored['spec'] as { networking?: { networkType?: string } }).networking?.networkType).toBe('OVNKubernetes');
    // Defaulting changes nothing a second time: an unchanged update keeps the generation.
    const again = sim.store.update(gr, stored);
    expect([again.metadata.generation, again.metadata.resourceVersion]).toEqual([1, stored.metadata.resourceVersion]);
  });

  it('keeps restoreSnapshotURL immutable: change, removal and addition after creation are refused (transition rules)', async () => {
    expect((await call('POST', HC_PATH, hostedCluster('with-url', ['https://a/1']))).code).toBe(201);
    expect((await call('POST', HC_PATH, hostedCluster('without-url'))).code).toBe(201);
    const storage = (url: unknown) => ({ spec: { etcd: { managed: { storage: { restoreSnapshotURL: url } } } } });
    const merge = 'application/merge-patch+json';
    const changed = await call('PATCH', `${HC_PATH}/with-url`, storage(['https://a/2']), merge);
    expect(changed.code).toBe(422);
    expect(changed.body['message']).toContain('restoreSnapshotURL is immutable');
    expect(causes(changed.body)).toContainEqual(['FieldValueInvalid', URL_PATH]);
    const removed = await call('PATCH', `${HC_PATH}/with-url`, storage(null), merge);
    expect(removed.code).toBe(422);
    const added = await call('PATCH', `${HC_PATH}/without-url`, storage(['https://a/1']), merge);
    expect(added.code).toBe(422);
    const json = await call(
      'PATCH',
      `${HC_PATH}/with-url`,
      [{ op: 'replace', path: '/spec/etcd/managed/storage/restoreSnapshotURL/0', value: 'https://a/3' }],
      'application/json-patch+json',
    );
    expect(json.code).toBe(422);
    const got = await call('GET', `${HC_PATH}/with-url`);
    expect(got.body['spec']['etcd']['managed']['storage']['restoreSnapshotURL']).toEqual(['https://a/1']);
  });

  it('lets other fields change while restoreSnapshotURL stays as it was, through PUT and merge patch', async () => {
    const cur = await call('GET', `${HC_PATH}/with-url`);
    cur.body['metadata']['annotations'] = { 'hypershift.openshift.io/restore': 'x' };
    const put = await call('PUT', `${HC_PATH}/with-url`, cur.body);
    expect(put.code).toBe(200);
    const patched = await call('PATCH', `${HC_PATH}/with-url`, { spec: { pausedUntil: 'true' } }, 'application/merge-patch+json');
    expect(patched.code).toBe(200);
    expect(patched.body['spec']['pausedUntil']).toBe('true');
  });

  it('validates an update against the schema too (an enum value the CRD does not allow)', async () => {
    const r = await call('PATCH', `${HC_PATH}/with-url`, { spec: { platform: { type: 'NotAPlatform' } } }, 'application/merge-patch+json');
    expect(r.code).toBe(422);
    expect(causes(r.body)).toContainEqual(['FieldValueNotSupported', 'spec.platform.type']);
  });
});

describe('simulator CRD admission without CRDs', () => {
  it('does not check a type no stored CRD defines (the built-in HostedCluster entry)', async () => {
    const bare = await startApiSimulator();
    try {
      sim = bare;
      await call('POST', '/api/v1/namespaces', { metadata: { name: 'clusters' } });
      const r = await call('POST', HC_PATH, hostedCluster('two', ['https://a/1', 'https://a/2']));
      expect(r.code).toBe(201);
    } finally {
      await bare.stop();
    }
  });
});
