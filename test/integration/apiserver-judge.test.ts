/**
 * A real kube-apiserver (test/setup-kube-apiserver.sh) judges the API simulator: the same requests go
 * to both and what hcp-dr depends on must agree (status code, reason, the field paths of causes):
 * the HyperShift CRDs' schema and CEL rules for the objects restore, render and move create
 * (restoreSnapshotURL included), finalizers and namespace deletion, resourceVersion conflicts, merge and
 * JSON patches, label selectors, and the RBAC decisions for the schedule's ServiceAccount.
 * One apiserver and one simulator serve the whole file. Skipped with a message when the binary or
 * ../shared/hypershift is absent.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionsOf } from '../../src/core/permissions.ts';
import { renderRestore } from '../../src/core/render/render.ts';
import { workflowOf } from '../../src/core/schedule/rbac.ts';
import type { ScheduleRequest } from '../../src/core/schedule/types.ts';
import { startApiSimulator, type RunningSimulator } from '../sandbox/api/server.ts';
import {
  KUBE_APISERVER_VERSION,
  kubeApiserverUnavailable,
  loadCrds,
  startKubeApiserver,
  type RunningKubeApiserver,
} from '../sandbox/kube-apiserver/server.ts';
import { drillServiceAccount, review, scheduleServiceAccount, type Access } from '../sandbox/kube-apiserver/judge-rbac.ts';
import {
  crdTestCases,
  disagreement,
  judgeCrdCase,
  hostedCluster,
  hostedControlPlane,
  hypershiftPath,
  Judge,
} from '../sandbox/kube-apiserver/judge.ts';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/hypershift');
const CRD_DIR = path.join(SHARED, 'crds');
const missing =
  kubeApiserverUnavailable() ?? (existsSync(CRD_DIR) ? undefined : `${CRD_DIR} not found (HyperShift CRDs live in ../shared)`);
if (missing) console.warn(`skipping the kube-apiserver judge: ${missing}`);

const NS = 'judge';
const URL_ONE = 'https://bucket.s3.amazonaws.com/snap.db?X-Amz-Signature=abc';
let kas: RunningKubeApiserver;
let sim: RunningSimulator;
let judge: Judge;

const cmPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

/** Asserts both sides agree, and returns the pair for further checks. */
async function agree(what: string, method: string, urlPath: string, options: Parameters<Judge['both']>[2] = {}) {
  const p = await judge.both(method, urlPath, options);
  expect(disagreement(what, p)).toBeUndefined();
  return p;
}

describe.skipIf(missing !== undefined)('kube-apiserver judges the API simulator', () => {
  beforeAll(async () => {
    kas = await startKubeApiserver();
    await loadCrds(kas, kas.adminToken, CRD_DIR);
    sim = await startApiSimulator({ crdDir: CRD_DIR });
    judge = new Judge({ url: kas.url, ca: kas.ca, token: kas.adminToken }, { url: sim.url });
    await agree('namespace', 'POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } });
    console.info(`judging the simulator with kube-apiserver ${KUBE_APISERVER_VERSION} on etcd ${kas.etcdVersion}`);
  }, 240_000);
  afterAll(async () => {
    await sim?.stop();
    await kas?.stop();
  });

  it('agrees on every case of the HyperShift CRD test suites (schema, CEL and transition rules)', async () => {
    const cases = await crdTestCases(path.join(SHARED, 'crd-tests'));
    expect(cases.length).toBeGreaterThan(20);
    const disagreements: string[] = [];
    for (const [i, c] of cases.entries()) disagreements.push(...(await judgeCrdCase(judge, c, NS, `case-${i}`)));
    expect(disagreements).toEqual([]);
  }, 180_000);

  it('agrees on what render emits for every render fixture (HostedCluster, NodePool, Secrets)', async () => {
    const dir = path.join(SHARED, 'render-fixtures');
    const files = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.yaml')) : [];
    let compared = 0;
    for (const f of files) {
      const text = await readFile(path.join(dir, f), 'utf8');
      // AES-CBC clusters need the original key named; KMS ones refuse a key.
      const kms = /\bkms:/.test(text);
      const result = renderRestore(text, f, {
        snapshotUrl: URL_ONE,
        ...(kms ? {} : { key: { type: 'reference' as const, secretName: 'orig-key' } }),
        includeSecrets: true,
      });
      const ns = `render-${files.indexOf(f)}`;
      await agree(`${f} namespace`, 'POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
      for (const o of result.objects) {
        if (o.kind === 'Namespace') continue;
        const body = { ...o, metadata: { ...o.metadata, namespace: ns } };
        const p =
          o.apiVersion === 'v1'
            ? await agree(`${f} ${o.kind}`, 'POST', `/api/v1/namespaces/${ns}/${(o.kind ?? '').toLowerCase()}s`, { body })
            : await agree(`${f} ${o.kind}`, 'POST', hypershiftPath(o.kind ?? '', ns), { body });
        // The fixtures hold placeholders ("string", "fakeName") the CRDs refuse: both sides must refuse alike.
        if (p.real.status === 201 || p.real.status === 422) compared++;
      }
    }
    if (files.length === 0) console.warn(`no render fixtures under ${dir}: render output not judged`);
    else expect(compared).toBeGreaterThan(files.length);
  }, 120_000);
  it('agrees on the restoreSnapshotURL rules: at most 1 item, at most 1024 characters, https/s3, immutable', async () => {
    const hc = (name: string, urls?: string[]) => hostedCluster(name, NS, urls);
    await agree('two URLs', 'POST', hypershiftPath('HostedCluster', NS), { body: hc('url-two', [URL_ONE, URL_ONE + '2']) });
    await agree('1025 characters', 'POST', hypershiftPath('HostedCluster', NS), {
      body: hc('url-long', [`https://a/${'x'.repeat(1016)}`]),
    });
    const ok = await agree('1024 characters', 'POST', hypershiftPath('HostedCluster', NS), {
      body: hc('url-1024', [`https://a/${'x'.repeat(1014)}`]),
    });
    expect(ok.real.status).toBe(201);
    await agree('http scheme', 'POST', hypershiftPath('HostedCluster', NS), { body: hc('url-http', ['http://a/snap.db']) });
    await agree('with URL', 'POST', hypershiftPath('HostedCluster', NS), { body: hc('url-set', [URL_ONE]) });
    await agree('without URL', 'POST', hypershiftPath('HostedCluster', NS), { body: hc('url-unset') });
    const storage = (url: unknown) => ({ spec: { etcd: { managed: { storage: { restoreSnapshotURL: url } } } } });
    const cases: Array<[string, string, unknown, string]> = [
      ['change', 'url-set', storage([URL_ONE + 'x']), MERGE],
      ['remove', 'url-set', storage(null), MERGE],
      ['add', 'url-unset', storage([URL_ONE]), MERGE],
      ['same value', 'url-set', storage([URL_ONE]), MERGE],
      [
        'json replace',
        'url-set',
        [{ op: 'replace', path: '/spec/etcd/managed/storage/restoreSnapshotURL/0', value: 'https://b/x' }],
        JSON_PATCH,
      ],
      ['json remove', 'url-set', [{ op: 'remove', path: '/spec/etcd/managed/storage/restoreSnapshotURL' }], JSON_PATCH],
      ['other field', 'url-set', { metadata: { annotations: { a: 'b' } }, spec: { pausedUntil: 'true' } }, MERGE],
    ];
    // What the server stores: pruned (an unknown field) and defaulted alike.
    await agree('unknown field', 'PATCH', hypershiftPath('HostedCluster', NS, 'url-unset'), {
      body: { spec: { notAField: 1 } },
      contentType: MERGE,
    });
    for (const name of ['url-set', 'url-unset']) {
      const got = await agree(`GET ${name}`, 'GET', hypershiftPath('HostedCluster', NS, name));
      expect((got.sim.body as { spec: unknown }).spec).toEqual((got.real.body as { spec: unknown }).spec);
    }
    for (const [what, name, body, contentType] of cases) {
      const p = await agree(what, 'PATCH', hypershiftPath('HostedCluster', NS, name), { body, contentType });
      expect([what, p.real.status]).toEqual([what, ['same value', 'other field'].includes(what) ? 200 : 422]);
    }
  });

  it('agrees on a HostedControlPlane: created with a restoreSnapshotURL, which cannot change', async () => {
    const hcp = hostedControlPlane('hcp', NS, [URL_ONE]);
    const created = await agree('create HCP', 'POST', hypershiftPath('HostedControlPlane', NS), { body: hcp });
    expect(created.real.status).toBe(201);
    const patch = { spec: { etcd: { managed: { storage: { restoreSnapshotURL: [URL_ONE + 'x'] } } } } };
    await agree('change HCP URL', 'PATCH', hypershiftPath('HostedControlPlane', NS, 'hcp'), { body: patch, contentType: MERGE });
  });

  it('agrees on finalizers: delete marks, a new finalizer is refused, removing the last one deletes', async () => {
    for (const [what, coll, body] of [
      ['ConfigMap', cmPath(NS), { metadata: { name: 'fin', finalizers: ['example.com/a'] } }],
      [
        'HostedCluster',
        hypershiftPath('HostedCluster', NS),
        { ...hostedCluster('fin', NS), metadata: { name: 'fin', finalizers: ['example.com/a'] } },
      ],
    ] as const) {
      await agree(`${what} create`, 'POST', coll, { body });
      const del = await agree(`${what} delete`, 'DELETE', `${coll}/fin`);
      const meta = (a: { body: unknown }) => (a.body as { metadata: { deletionTimestamp?: string; generation?: number } }).metadata;
      expect(meta(del.sim).deletionTimestamp).toBeTruthy();
      expect(meta(del.sim).generation).toBe(meta(del.real).generation);
      await agree(`${what} get while finalizing`, 'GET', `${coll}/fin`);
      await agree(`${what} add finalizer`, 'PATCH', `${coll}/fin`, {
        body: { metadata: { finalizers: ['example.com/a', 'example.com/b'] } },
        contentType: MERGE,
      });
      await agree(`${what} drop finalizers`, 'PATCH', `${coll}/fin`, { body: { metadata: { finalizers: null } }, contentType: MERGE });
      const gone = await agree(`${what} gone`, 'GET', `${coll}/fin`);
      expect(gone.real.status).toBe(404);
    }
  });

  it('agrees on namespace deletion: Terminating at once, no new content, existing objects still readable', async () => {
    await agree('ns', 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'doomed' } } });
    await agree('cm', 'POST', cmPath('doomed'), { body: { metadata: { name: 'held', finalizers: ['example.com/a'] } } });
    const del = await agree('delete ns', 'DELETE', '/api/v1/namespaces/doomed');
    for (const p of [del.real, del.sim]) expect((p.body as { status?: { phase?: string } }).status?.phase).toBe('Terminating');
    const refused = await agree('create in terminating ns', 'POST', cmPath('doomed'), { body: { metadata: { name: 'late' } } });
    expect(refused.real.status).toBe(403);
    await agree('held object readable', 'GET', cmPath('doomed', 'held'));
    await agree('create in missing ns', 'POST', cmPath('nowhere'), { body: { metadata: { name: 'x' } } });
  });

  it('agrees on resourceVersion conflicts for PUT, merge patch, JSON patch test and delete preconditions', async () => {
    for (const [what, coll, body] of [
      ['ConfigMap', cmPath(NS), { metadata: { name: 'rv' }, data: { a: '1' } }],
      ['HostedCluster', hypershiftPath('HostedCluster', NS), hostedCluster('rv', NS)],
    ] as const) {
      const created = await agree(`${what} create`, 'POST', coll, { body });
      const rvOf = (side: 'real' | 'sim') => (created[side].body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const current = (side: 'real' | 'sim') => created[side].body as { metadata: Record<string, unknown> };
      await agree(`${what} update`, 'PUT', `${coll}/rv`, {
        bodyFor: (s) => ({ ...current(s), metadata: { ...current(s).metadata, labels: { v: '1' } } }),
      });
      await agree(`${what} stale PUT`, 'PUT', `${coll}/rv`, {
        bodyFor: (s) => ({ ...current(s), metadata: { ...current(s).metadata, labels: { v: '2' } } }),
      });
      const { resourceVersion: _rv, ...noRv } = current('real').metadata;
      await agree(`${what} PUT without resourceVersion`, 'PUT', `${coll}/rv`, {
        bodyFor: (s) => ({ ...current(s), metadata: { ...noRv, uid: current(s).metadata['uid'] } }),
      });
      await agree(`${what} stale merge patch`, 'PATCH', `${coll}/rv`, {
        bodyFor: (s) => ({ metadata: { resourceVersion: rvOf(s) } }),
        contentType: MERGE,
      });
      await agree(`${what} JSON patch test`, 'PATCH', `${coll}/rv`, {
        bodyFor: (s) => [{ op: 'test', path: '/metadata/resourceVersion', value: rvOf(s) }],
        contentType: JSON_PATCH,
      });
      await agree(`${what} stale delete`, 'DELETE', `${coll}/rv`, { bodyFor: (s) => ({ preconditions: { resourceVersion: rvOf(s) } }) });
    }
  });

  it('agrees on merge and JSON patches: null removes, ops apply, a bad path or body is refused', async () => {
    await agree('create', 'POST', cmPath(NS), { body: { metadata: { name: 'p', labels: { a: '1', b: '2' } }, data: { k: 'v' } } });
    const steps: Array<[string, unknown, string]> = [
      ['merge null removes', { metadata: { labels: { a: null } }, data: { k2: 'v2' } }, MERGE],
      ['json add', [{ op: 'add', path: '/metadata/annotations', value: { x: 'y' } }], JSON_PATCH],
      ['json replace missing', [{ op: 'replace', path: '/data/nope', value: 'z' }], JSON_PATCH],
      ['json remove missing', [{ op: 'remove', path: '/metadata/labels/zzz' }], JSON_PATCH],
      ['json test fails', [{ op: 'test', path: '/data/k', value: 'other' }], JSON_PATCH],
      ['json body not a list', { op: 'add' }, JSON_PATCH],
      ['merge body not JSON', '{not json', MERGE],
      ['unknown patch type', { data: {} }, 'application/x-unknown'],
    ];
    for (const [what, body, contentType] of steps) await agree(what, 'PATCH', cmPath(NS, 'p'), { body, contentType });
    const got = await agree('result', 'GET', cmPath(NS, 'p'));
    const view = (a: { body: unknown }) => {
      const o = a.body as { metadata: { labels?: unknown; annotations?: unknown }; data?: unknown };
      return [o.metadata.labels, o.metadata.annotations, o.data];
    };
    expect(view(got.sim)).toEqual(view(got.real));
    await agree('strategic merge patch of a custom resource', 'PATCH', hypershiftPath('HostedCluster', NS, 'url-set'), {
      body: { metadata: { labels: { s: 't' } } },
      contentType: 'application/strategic-merge-patch+json',
    });
  });

  it('agrees on label selectors', async () => {
    await agree('ns', 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'sel' } } });
    const labels = [{ app: 'a', tier: 'x' }, { app: 'b', tier: 'y' }, { app: 'a' }, {}];
    for (const [i, l] of labels.entries()) await agree('cm', 'POST', cmPath('sel'), { body: { metadata: { name: `c${i}`, labels: l } } });
    for (const sel of [
      'app=a',
      'app==a',
      'app!=a',
      'app in (a,b)',
      'app notin (a)',
      'tier',
      '!tier',
      'app=a,tier=x',
      'tier in (x),app',
      'app=',
      'a b',
      'app in a',
      '=a',
    ]) {
      const p = await agree(`selector ${sel}`, 'GET', `${cmPath('sel')}?labelSelector=${encodeURIComponent(sel)}`);
      const names = (a: { body: unknown }) =>
        ((a.body as { items?: Array<{ metadata: { name: string } }> }).items ?? []).map((o) => o.metadata.name).sort();
      expect([sel, names(p.sim)]).toEqual([sel, names(p.real)]);
    }
  });
  it('agrees on RBAC for the schedule ServiceAccount: every verb the in-cluster backup uses allowed, a sample of others denied', async () => {
    for (const ns of ['clusters', 'clusters-demo', 'elsewhere'])
      await agree(ns, 'POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
    const named = { type: 'named', namespace: 'clusters', names: ['demo'] } as const;
    const where = {
      'hosted-cluster-namespace': 'clusters',
      'control-plane-namespace': 'clusters-demo',
      'all-namespaces': '',
      cluster: '',
      'scratch-namespace': 'hcp-dr-drill-demo',
    };
    const wrong: Access[] = [
      ['list', '', 'secrets', 'clusters'],
      ['get', '', 'secrets', 'elsewhere'],
      ['delete', 'hypershift.openshift.io', 'hostedclusters', 'clusters'],
      ['patch', 'hypershift.openshift.io', 'nodepools', 'clusters'],
      ['create', '', 'pods/exec', 'clusters'],
      ['create', '', 'pods/exec', 'elsewhere'],
      ['patch', 'apps', 'deployments/scale', 'elsewhere'],
      ['update', 'apps', 'deployments', 'clusters-demo'],
      ['create', '', 'pods', 'clusters-demo'],
      ['delete', '', 'namespaces', ''],
      ['create', 'rbac.authorization.k8s.io', 'rolebindings', 'clusters-demo'],
      // The management cluster's identity is granted by name only (resourceNames): any other object is denied.
      ['get', '', 'namespaces', '', 'default'],
      ['get', 'config.openshift.io', 'infrastructures', '', 'other'],
    ];
    const disagreements: string[] = [];
    for (const [jobNamespace, clusters, mode] of [
      ['hcp-dr-named', named, 'quiesce'],
      ['hcp-dr-fleet', { type: 'fleet' }, 'online'],
    ] as const) {
      const request = { clusters, jobNamespace, mode } as unknown as ScheduleRequest;
      const tokens = await scheduleServiceAccount(judge, request);
      const granted: Access[] = permissionsOf(workflowOf(request)).flatMap((p) =>
        [...p.verbs, ...(p.compatVerbs ?? [])].flatMap((v): Access[] =>
          p.resourceNames
            ? p.resourceNames.map((n): Access => [v, p.group, p.resource, where[p.where], n])
            : [[v, p.group, p.resource, where[p.where]]],
        ),
      );
      // A fleet's ClusterRoleBinding grants everywhere; a named schedule only in its two namespaces.
      const denied = wrong.filter(
        ([v, g, r, ns, name]) =>
          !granted.some(
            (a) =>
              a[0] === v && a[1] === g && a[2] === r && (clusters.type === 'fleet' || a[3] === ns) && (a[4] === undefined || a[4] === name),
          ),
      );
      for (const [access, allowed] of [...granted.map((a) => [a, true] as const), ...denied.map((a) => [a, false] as const)]) {
        const p = await judge.both('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: review(access), tokens });
        const real = (p.real.body as { status?: { allowed?: boolean } }).status?.allowed === true;
        const simAllowed = (p.sim.body as { status?: { allowed?: boolean } }).status?.allowed === true;
        if (real !== allowed || simAllowed !== real)
          disagreements.push(`${jobNamespace} ${access.join(' ')}: expected ${allowed}, real ${real}, sim ${simAllowed}`);
      }
      // And the requests themselves: a Secret of the control plane is readable (404: absent), one elsewhere is not.
      await agree(`${jobNamespace} read cp secret`, 'GET', '/api/v1/namespaces/clusters-demo/secrets/absent', { tokens });
      await agree(`${jobNamespace} read other secret`, 'GET', '/api/v1/namespaces/elsewhere/secrets/absent', { tokens });
      await agree(`${jobNamespace} delete HostedCluster`, 'DELETE', hypershiftPath('HostedCluster', 'clusters', 'demo'), { tokens });
    }
    expect(disagreements).toEqual([]);
  });
  it('agrees on RBAC for the drill ServiceAccount: its scratch namespace and pod by name, nothing of the hosted cluster', async () => {
    const request = {
      clusters: { type: 'named', namespace: 'clusters', names: ['demo'] },
      jobNamespace: 'hcp-dr-drill-judge',
      destination: { to: 's3://b/hcp' },
      credentials: { type: 'secret', name: 's3' },
      drill: { schedule: '@weekly' },
    } as unknown as ScheduleRequest;
    const tokens = await drillServiceAccount(judge, request);
    const scratch = 'hcp-dr-drill-demo';
    const cases: Array<[Access, boolean]> = [
      [['create', '', 'namespaces', ''], true],
      [['get', '', 'namespaces', '', scratch], true],
      [['patch', '', 'namespaces', '', scratch], true],
      [['delete', '', 'namespaces', '', scratch], true],
      [['create', '', 'pods', scratch], true],
      [['get', '', 'pods', scratch, 'hcp-dr-drill-etcd'], true],
      [['create', '', 'pods/exec', scratch, 'hcp-dr-drill-etcd'], true],
      [['get', '', 'pods/exec', scratch, 'hcp-dr-drill-etcd'], true],
      [['delete', '', 'namespaces', '', 'clusters-demo'], false],
      [['get', '', 'namespaces', '', 'kube-system'], false],
      [['list', '', 'namespaces', ''], false],
      [['create', '', 'pods/exec', 'clusters-demo', 'etcd-0'], false],
      [['get', '', 'pods', 'clusters-demo', 'etcd-0'], false],
      [['list', '', 'pods', scratch], false],
      [['get', '', 'secrets', 'clusters-demo'], false],
      [['get', '', 'secrets', scratch], false],
      [['get', 'hypershift.openshift.io', 'hostedclusters', 'clusters', 'demo'], false],
    ];
    const disagreements: string[] = [];
    for (const [access, allowed] of cases) {
      const p = await judge.both('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: review(access), tokens });
      const real = (p.real.body as { status?: { allowed?: boolean } }).status?.allowed === true;
      const simAllowed = (p.sim.body as { status?: { allowed?: boolean } }).status?.allowed === true;
      if (real !== allowed || simAllowed !== real)
        disagreements.push(`${access.join(' ')}: expected ${allowed}, real ${real}, sim ${simAllowed}`);
    }
    expect(disagreements).toEqual([]);
  });
});
