/**
 * Fidelity of the sandbox's HyperShift world on its own (test/sandbox/hypershift/*): two management
 * clusters sharing one S3 server; a HostedCluster brings up its control plane with real etcd; a
 * restoreSnapshotURL restores a snapshot from S3 into every member; an expired or forged pre-signed
 * URL makes EtcdSnapshotRestored False with S3's XML error in the etcd-init log; the OCPBUGS-99534
 * switch gives three one-member clusters while EtcdAvailable says True; deletion removes the
 * control-plane namespace, its PVCs and their data. Checked with the real kubectl where kubectl can
 * see it (objects, conditions, logs, exec), with etcd's own answers otherwise.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type ManagementCluster, type Sandbox } from '../sandbox/sandbox.ts';
import { applyHostedCluster } from '../sandbox/hypershift/fixtures.ts';
import { KUBECTL, runAsync } from '../support/spawn.ts';
import type { GroupResource, SimObject } from '../sandbox/api/types.ts';
import { Resources } from '../../src/core/model.ts';

const HC = Resources.hostedCluster;
const HCP = Resources.hostedControlPlane;
const SECRETS = Resources.secret;
const NAMESPACES = Resources.namespace;
const STS = Resources.statefulSet;
/** etcdctl inside an etcd pod, as HyperShift's docs run it (§2.1). */
const ETCDCTL = [
  'env',
  'ETCDCTL_API=3',
  '/usr/bin/etcdctl',
  '--cacert',
  '/etc/etcd/tls/etcd-ca/ca.crt',
  '--cert',
  '/etc/etcd/tls/client/etcd-client.crt',
  '--key',
  '/etc/etcd/tls/client/etcd-client.key',
  '--endpoints',
  'https://localhost:2379',
];

if (!KUBECTL) console.warn('sandbox-hypershift: no kubectl on this machine; the kubectl views of these checks are skipped');

let sb: Sandbox;
let mgmt1: ManagementCluster;
let mgmt2: ManagementCluster;
let home: string;
let s3: S3Client;
const snapshotKey = 'fidelity/demo-snapshot.db';

/** kubectl against the sandbox kubeconfig, in the given context. Undefined when there is no kubectl. */
async function kubectl(context: string, args: string[]) {
  if (!KUBECTL) return undefined;
  return runAsync(KUBECTL, ['--context', context, ...args], {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    KUBECONFIG: sb.kubeconfig,
  });
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const condition = (o: SimObject | undefined, type: string) =>
  (
    (o?.['status'] as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions ?? []
  ).find((c) => c.type === type);

function presign(opts: { expiresIn?: number; signingDate?: Date } = {}): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: sb.s3.bucket, Key: snapshotKey }), {
    expiresIn: opts.expiresIn ?? 3600,
    ...(opts.signingDate ? { signingDate: opts.signingDate } : {}),
  });
}

/** Creates HostedCluster clusters/<name> on `mgmt` and waits for its etcd pods to be ready. */
async function createReady(mgmt: ManagementCluster, name: string, restoreUrl?: string) {
  applyHostedCluster(mgmt.sim.store, { name, ...(restoreUrl ? { restoreUrl } : {}) });
  const cp = `clusters-${name}`;
  await waitFor(
    `${cp} etcd ready`,
    () => (mgmt.sim.store.get(STS, cp, 'etcd')?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas === 3,
  );
  return { cp, etcd: mgmt.operator!.etcd(cp)! };
}

/** Deletes HostedCluster clusters/<name> and waits until it is gone (its finalizer released). */
async function deleteHc(mgmt: ManagementCluster, name: string) {
  if (mgmt.sim.store.get(HC, 'clusters', name)) mgmt.sim.store.delete(HC, 'clusters', name);
  await waitFor(`${name} gone`, () => !mgmt.sim.store.get(HC, 'clusters', name));
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-hsw-home-'));
  // The released etcd-init explicitly (the default, unless HCP_DR_SANDBOX_ETCD_INIT=fixed): the tests below name the flavour they need.
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, seedKeys: 120, etcdInit: 'released' });
  [mgmt1, mgmt2] = sb.clusters as [ManagementCluster, ManagementCluster];
  s3 = new S3Client({
    endpoint: sb.s3.endpoint,
    region: sb.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey },
  });
  // The backup a restore starts from: a snapshot of the seeded demo (120 keys) in the shared bucket.
  const file = path.join(sb.dir, 'demo-snapshot.db');
  const saved = await sb.etcd.etcdctl(['snapshot', 'save', file], { endpoints: [0] });
  expect(saved.code, saved.stderr).toBe(0);
  await s3.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: snapshotKey, Body: await readFile(file) }));
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await sb?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('sandbox HyperShift world', () => {
  it('two management clusters: one kubeconfig with a context each, separate API servers, one S3 server', async () => {
    expect([mgmt1.context, mgmt2.context]).toEqual(['sandbox', 'sandbox-2']);
    expect(mgmt1.sim.httpsUrl).not.toBe(mgmt2.sim.httpsUrl);
    expect(mgmt1.sim.store.get(HC, 'clusters', 'demo')).toBeDefined();
    expect(mgmt2.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
    // The HyperShift operator is "installed" on both.
    for (const m of [mgmt1, mgmt2])
      expect(m.sim.store.get({ group: 'apps', version: 'v1', plural: 'deployments' }, 'hypershift', 'operator')).toBeDefined();
    const [one, two] = await Promise.all([
      kubectl('sandbox', ['get', 'hc', '-A', '-o', 'name']),
      kubectl('sandbox-2', ['get', 'hc', '-A', '-o', 'name']),
    ]);
    if (one && two) {
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout.trim()).toBe('hostedcluster.hypershift.openshift.io/demo');
      expect([two.code, two.stdout.trim()]).toEqual([0, '']);
      expect((await kubectl('sandbox', ['config', 'get-contexts', '-o', 'name']))?.stdout.trim().split('\n').sort()).toEqual([
        'sandbox',
        'sandbox-2',
      ]);
    }
    // One bucket for both: the snapshot uploaded once is what every cluster's etcd-init downloads (below).
    expect(sb.clusters.every((c) => c.env['HCP_DR_S3_ENDPOINT'] === sb.s3.endpoint)).toBe(true);
  });

  it('a new HostedCluster gets its control plane with healthy real etcd, and pre-created PKI secrets are kept', async () => {
    // Pre-create the control-plane namespace with a root CA of our own, as a restore does.
    mgmt2.sim.store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters-fresh' } });
    const ours = { 'ca.crt': Buffer.from('our CA').toString('base64'), 'ca.key': Buffer.from('our key').toString('base64') };
    mgmt2.sim.store.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'root-ca', namespace: 'clusters-fresh' },
      type: 'Opaque',
      data: ours,
    });
    const { cp, etcd } = await createReady(mgmt2, 'fresh');

    const hcp = mgmt2.sim.store.get(HCP, cp, 'fresh');
    expect(hcp?.metadata.annotations?.['hypershift.openshift.io/cluster']).toBe('clusters/fresh');
    expect(mgmt2.sim.store.get(HC, 'clusters', 'fresh')?.metadata.finalizers).toContain('hypershift.openshift.io/finalizer');
    expect(mgmt2.sim.store.get(SECRETS, cp, 'root-ca')?.['data']).toEqual(ours);
    const signer = mgmt2.sim.store.get(SECRETS, cp, 'etcd-signer')?.['data'] as Record<string, string>;
    expect(Buffer.from(signer['ca.crt']!, 'base64').toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await readFile(etcd.tls.ca, 'utf8')).toBe(Buffer.from(signer['ca.crt']!, 'base64').toString());
    const sa = mgmt2.sim.store.get(SECRETS, cp, 'sa-signing-key')?.['data'] as Record<string, string>;
    expect(Buffer.from(sa['service-account.key']!, 'base64').toString()).toMatch(/BEGIN RSA PRIVATE KEY/);
    // The encryption key is the HostedCluster's, copied.
    expect(mgmt2.sim.store.get(SECRETS, cp, 'fresh-etcd-encryption-key')?.['data']).toEqual(
      mgmt2.sim.store.get(SECRETS, 'clusters', 'fresh-etcd-encryption-key')?.['data'],
    );

    const members = await etcd.memberList();
    expect(members.map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    await waitFor(
      'EtcdAvailable on the HostedCluster',
      () => condition(mgmt2.sim.store.get(HC, 'clusters', 'fresh'), 'EtcdAvailable')?.status === 'True',
    );

    const view = await kubectl('sandbox-2', ['get', 'hcp,sts,pvc,pods,deploy,svc,route,secrets', '-n', cp, '-o', 'name']);
    if (view) {
      expect(view.code, view.stderr).toBe(0);
      for (const o of [
        'hostedcontrolplane.hypershift.openshift.io/fresh',
        'statefulset.apps/etcd',
        'persistentvolumeclaim/data-etcd-0',
        'persistentvolumeclaim/data-etcd-2',
        'pod/etcd-1',
        'deployment.apps/kube-apiserver',
        'deployment.apps/openshift-oauth-apiserver',
        'service/etcd-client',
        'service/etcd-discovery',
        'route.route.openshift.io/kube-apiserver',
        'secret/etcd-client-tls',
        'secret/root-ca',
        'secret/sa-signing-key',
      ])
        expect(view.stdout).toContain(`${o}\n`);
      expect((await kubectl('sandbox-2', ['get', 'ns', cp, '-o', 'name']))?.stdout).toBe(`namespace/${cp}\n`);
      const list = await kubectl('sandbox-2', [
        'exec',
        '-n',
        cp,
        'etcd-2',
        '-c',
        'etcd',
        '--',
        ...ETCDCTL,
        'member',
        'list',
        '-w',
        'simple',
      ]);
      expect(list?.code, list?.stderr).toBe(0);
      expect(list?.stdout).toContain(`https://etcd-0.etcd-discovery.${cp}.svc:2380`);
      const avail = await kubectl('sandbox-2', [
        'get',
        'hc',
        'fresh',
        '-n',
        'clusters',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="EtcdAvailable")].status}',
      ]);
      expect(avail?.stdout).toBe('True');
      // The etcd container's log is the member's own, with the pod's paths.
      const memberLog = await kubectl('sandbox-2', ['logs', '-n', cp, 'etcd-1', '-c', 'etcd']);
      expect(memberLog?.stdout).toContain('/var/lib/data');
      expect(memberLog?.stdout).toContain('etcd-1');
      expect(memberLog?.stdout).not.toContain(sb.dir);
    }
  });

  it('a HostedCluster created paused gets nothing but ReconciliationActive False until the pause is lifted', async () => {
    applyHostedCluster(mgmt2.sim.store, { name: 'paused', pausedUntil: 'true' });
    const cond = await waitFor('ReconciliationActive', () =>
      condition(mgmt2.sim.store.get(HC, 'clusters', 'paused'), 'ReconciliationActive'),
    );
    expect(cond).toMatchObject({ status: 'False', reason: 'ReconciliationPaused' });
    await new Promise((r) => setTimeout(r, 1500)); // a resync of the stand-in passes
    expect(mgmt2.sim.store.get(NAMESPACES, undefined, 'clusters-paused')).toBeUndefined();
    const unpause = await kubectl('sandbox-2', [
      'patch',
      'hc',
      'paused',
      '-n',
      'clusters',
      '--type=merge',
      '-p',
      '{"spec":{"pausedUntil":null}}',
    ]);
    if (unpause) expect(unpause.code, unpause.stderr).toBe(0);
    else
      mgmt2.sim.store.mutate(HC, 'clusters', 'paused', (o) => {
        delete (o['spec'] as { pausedUntil?: string }).pausedUntil;
      });
    await waitFor(
      'etcd ready',
      () =>
        (mgmt2.sim.store.get(STS, 'clusters-paused', 'etcd')?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas === 3,
    );
    await waitFor(
      'ReconciliationActive True',
      () => condition(mgmt2.sim.store.get(HC, 'clusters', 'paused'), 'ReconciliationActive')?.status === 'True',
    );
    await deleteHc(mgmt2, 'paused');
  });

  it('restoreSnapshotURL on the fixed etcd-init (--name/--initial-cluster): etcd-init downloads the pre-signed snapshot and every member holds its keys', async () => {
    mgmt2.operator!.setSplitBrainRestore(false);
    let created;
    try {
      created = await createReady(mgmt2, 'restored', await presign());
    } finally {
      mgmt2.operator!.setSplitBrainRestore(true);
    }
    const { cp, etcd } = created;
    await waitFor('EtcdSnapshotRestored', () => condition(mgmt2.sim.store.get(HCP, cp, 'restored'), 'EtcdSnapshotRestored'));
    expect(condition(mgmt2.sim.store.get(HCP, cp, 'restored'), 'EtcdSnapshotRestored')).toMatchObject({
      status: 'True',
      reason: 'AsExpected',
    });
    await waitFor(
      'the condition on the HostedCluster',
      () => condition(mgmt2.sim.store.get(HC, 'clusters', 'restored'), 'EtcdSnapshotRestored')?.status === 'True',
    );
    expect(
      (mgmt2.sim.store.get(HCP, cp, 'restored')?.['spec'] as { etcd: { managed: { storage: { restoreSnapshotURL: string[] } } } }).etcd
        .managed.storage.restoreSnapshotURL,
    ).toHaveLength(1);

    expect((await etcd.memberList()).length).toBe(3);
    const hashes = new Set<string>();
    for (const i of [0, 1, 2]) {
      expect(await etcd.get('/seed/00000007', i)).toBe('v'.repeat(64));
      const count = await etcd.etcdctl(['get', '/seed/', '--prefix', '--keys-only', '-w', 'json'], { endpoints: [i] });
      expect(JSON.parse(count.stdout).count).toBe(120);
      const hash = await etcd.etcdctl(['endpoint', 'hashkv', '-w', 'json'], { endpoints: [i] });
      hashes.add(String(JSON.parse(hash.stdout.replace(/"hash":(\d+)/, '"hash":"$1"'))[0].HashKV.hash));
    }
    expect(hashes.size).toBe(1);
    // The stand-in's own timeline (for benchmarks): in the order a restore goes.
    const t = mgmt2.operator!.timeline(cp)!;
    expect(t.created).toBeLessThanOrEqual(t.initStarted!);
    expect(t.initStarted!).toBeLessThanOrEqual(t.initFinished!);
    expect(t.initFinished!).toBeLessThanOrEqual(t.etcdReady!);
    expect(t.etcdReady!).toBeLessThanOrEqual(t.snapshotRestored!);
    // Once restored, HyperShift takes etcd-init out of the template.
    await waitFor('etcd-init out of the template', () => !JSON.stringify(mgmt2.sim.store.get(STS, cp, 'etcd')).includes('"etcd-init"'));

    const log = await kubectl('sandbox-2', ['logs', '-n', cp, 'etcd-1', '-c', 'etcd-init']);
    if (log) {
      expect(log.code, log.stderr).toBe(0);
      expect(log.stdout).toContain('etcd-init: restored snapshot into /var/lib/data');
      expect(log.stdout).not.toContain('X-Amz-Signature');
      expect(log.stdout).not.toContain(sb.dir);
      const got = await kubectl('sandbox-2', [
        'exec',
        '-n',
        cp,
        'etcd-0',
        '-c',
        'etcd',
        '--',
        ...ETCDCTL,
        'get',
        '/seed/00000042',
        '--print-value-only',
      ]);
      expect(got?.stdout.trim()).toBe('v'.repeat(64));
    }
  });

  it.each([
    [
      'an expired',
      'expired',
      () => presign({ expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) }),
      /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/,
    ],
    [
      'a forged',
      'forged',
      async () => (await presign()).replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`),
      /<Code>SignatureDoesNotMatch<\/Code>/,
    ],
    [
      'an unsigned',
      'unsigned',
      async () => (await presign()).split('?')[0]!,
      /<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/,
    ],
  ])(
    '%s pre-signed URL: EtcdSnapshotRestored False, S3 XML error in the etcd-init log, no member starts',
    async (_what, label, url, xml) => {
      const name = `bad-${label}`;
      const cp = `clusters-${name}`;
      applyHostedCluster(mgmt2.sim.store, { name, restoreUrl: await url() });
      const cond = await waitFor('EtcdSnapshotRestored', () => condition(mgmt2.sim.store.get(HCP, cp, name), 'EtcdSnapshotRestored'));
      expect(cond).toMatchObject({ status: 'False', reason: 'Error' });
      expect(cond.message).toMatch(/^container etcd-init of pod etcd-\d exited with code 1$/);
      await waitFor(
        'the condition on the HostedCluster',
        () => condition(mgmt2.sim.store.get(HC, 'clusters', name), 'EtcdSnapshotRestored')?.status === 'False',
      );
      const etcd = mgmt2.operator!.etcd(cp)!;
      expect([0, 1, 2].map((i) => etcd.isRunning(i))).toEqual([false, false, false]);
      expect([0, 1, 2].map((i) => etcd.volumeInUse(i))).toEqual([false, false, false]);

      // The pod the condition names: its etcd-init log holds S3's error body, through the pods/log API.
      const pod = /pod (etcd-\d)/.exec(cond.message)![1]!;
      const text = await (await fetch(`${mgmt2.sim.url}/api/v1/namespaces/${cp}/pods/${pod}/log?container=etcd-init`)).text();
      expect(text).toMatch(xml);
      expect(text).toContain('etcd-init: the snapshot download returned an error:\n<?xml');
      expect(text).not.toMatch(/X-Amz-Signature=[0-9a-f]{64}/);
      const log = await kubectl('sandbox-2', ['logs', '-n', cp, pod, '-c', 'etcd-init']);
      if (log) expect(log.stdout).toMatch(xml);
      const init = await kubectl('sandbox-2', [
        'get',
        'pod',
        pod,
        '-n',
        cp,
        '-o',
        'jsonpath={.status.initContainerStatuses[?(@.name=="etcd-init")].lastState.terminated.exitCode}',
      ]);
      if (init) expect(init.stdout).toBe('1');
      await deleteHc(mgmt2, name);
    },
  );

  it('the released etcd-init (the sandbox default) restores as HyperShift does (OCPBUGS-99534): three one-member clusters, while EtcdAvailable says True', async () => {
    const { cp, etcd } = await createReady(mgmt2, 'split', await presign());
    await waitFor('EtcdAvailable', () => condition(mgmt2.sim.store.get(HC, 'clusters', 'split'), 'EtcdAvailable')?.status === 'True');
    expect(condition(mgmt2.sim.store.get(HCP, cp, 'split'), 'EtcdSnapshotRestored')?.status).toBe('True');
    const lists = await Promise.all([0, 1, 2].map((i) => etcd.memberList(i)));
    expect(lists.map((l) => l.length)).toEqual([1, 1, 1]);
    // Each member has the snapshot's data, but they are separate clusters: a write to one is seen by no other.
    for (const i of [0, 1, 2]) expect(await etcd.get('/seed/00000001', i)).toBe('v'.repeat(64));
    await etcd.put('/split/written-to-0', 'x', 0);
    expect(await etcd.get('/split/written-to-0', 0)).toBe('x');
    expect([await etcd.get('/split/written-to-0', 1), await etcd.get('/split/written-to-0', 2)]).toEqual([undefined, undefined]);
    // As with real HyperShift, the default restore flags give every member the same member and cluster
    // IDs: a split brain cannot be told by cluster ID, only by member count and diverging data.
    const ids = await Promise.all(
      [0, 1, 2].map(
        async (i) => (await etcd.etcdctl(['endpoint', 'status', '-w', 'json'], { endpoints: [i] })).stdout.match(/"cluster_id":(\d+)/)?.[1],
      ),
    );
    expect(new Set(ids).size).toBe(1);
    const avail = await kubectl('sandbox-2', [
      'get',
      'hcp',
      'split',
      '-n',
      cp,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="EtcdAvailable")].status}',
    ]);
    if (avail) expect(avail.stdout).toBe('True');
    const list = await kubectl('sandbox-2', ['exec', '-n', cp, 'etcd-1', '-c', 'etcd', '--', ...ETCDCTL, 'member', 'list', '-w', 'simple']);
    if (list) expect(list.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('deleting the HostedCluster removes the control-plane namespace, its PVCs and their data through finalizers', async () => {
    const { cp, etcd } = await createReady(mgmt2, 'doomed');
    await etcd.put('/doomed/key', 'v');
    const volumes = [0, 1, 2].map((i) => etcd.member(i).volumeDir);
    expect(volumes.every((v) => existsSync(path.join(v, 'data', 'member', 'snap', 'db')))).toBe(true);
    mgmt2.sim.store.create(
      { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'nodepools' },
      {
        apiVersion: 'hypershift.openshift.io/v1beta1',
        kind: 'NodePool',
        metadata: { name: 'doomed-a', namespace: 'clusters', finalizers: ['hypershift.openshift.io/finalizer'] },
        spec: { clusterName: 'doomed', replicas: 1 },
      },
    );

    const del = await kubectl('sandbox-2', ['delete', 'hc', 'doomed', '-n', 'clusters', '--timeout=60s']);
    if (del) expect([del.code, del.stderr]).toEqual([0, '']);
    else await deleteHc(mgmt2, 'doomed');
    await mgmt2.operator!.settled();
    expect(mgmt2.sim.store.get(HC, 'clusters', 'doomed')).toBeUndefined();
    expect(mgmt2.sim.store.get(NAMESPACES, undefined, cp)).toBeUndefined();
    expect(mgmt2.sim.store.list({ group: '', version: 'v1', plural: 'persistentvolumeclaims' }, cp)).toEqual([]);
    expect(
      mgmt2.sim.store
        .list({ group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'nodepools' }, 'clusters')
        .map((n) => n.metadata.name),
    ).not.toContain('doomed-a');
    expect(volumes.map((v) => existsSync(v))).toEqual([false, false, false]);
    expect([0, 1, 2].map((i) => etcd.isRunning(i))).toEqual([false, false, false]);
    expect(mgmt2.operator!.etcd(cp)).toBeUndefined();
    const gone = await kubectl('sandbox-2', ['get', 'ns', cp]);
    if (gone) expect(gone.stderr.trim()).toBe(`Error from server (NotFound): namespaces "${cp}" not found`);
    // The same name can be created again, from scratch.
    const again = await createReady(mgmt2, 'doomed');
    expect(await again.etcd.get('/doomed/key')).toBeUndefined();
    await deleteHc(mgmt2, 'doomed');
  });

  it('with skip-delete-hosted-controlplane-namespace the namespace, PVCs and data stay; a new HostedCluster then keeps the old data and skips the restore', async () => {
    const { cp, etcd } = await createReady(mgmt2, 'kept');
    await etcd.put('/kept/old', 'old data');
    mgmt2.sim.store.mutate(HC, 'clusters', 'kept', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, 'hypershift.openshift.io/skip-delete-hosted-controlplane-namespace': 'true' };
    });
    await deleteHc(mgmt2, 'kept');
    await mgmt2.operator!.settled();
    expect(mgmt2.sim.store.get(NAMESPACES, undefined, cp)).toBeDefined();
    expect(mgmt2.sim.store.list({ group: '', version: 'v1', plural: 'persistentvolumeclaims' }, cp).map((p) => p.metadata.name)).toEqual([
      'data-etcd-0',
      'data-etcd-1',
      'data-etcd-2',
    ]);
    expect(mgmt2.sim.store.list({ group: '', version: 'v1', plural: 'pods' }, cp)).toEqual([]);
    expect([0, 1, 2].map((i) => etcd.volumeInUse(i))).toEqual([true, true, true]);

    // HyperShift's etcd-init skips a non-empty volume and says only that in its log (§3.11).
    const again = await createReady(mgmt2, 'kept', await presign());
    await waitFor('EtcdSnapshotRestored', () => condition(mgmt2.sim.store.get(HCP, cp, 'kept'), 'EtcdSnapshotRestored'));
    expect(condition(mgmt2.sim.store.get(HCP, cp, 'kept'), 'EtcdSnapshotRestored')?.status).toBe('True');
    expect(await again.etcd.get('/kept/old')).toBe('old data');
    expect(await again.etcd.get('/seed/00000001')).toBeUndefined();
    const log = await (await fetch(`${mgmt2.sim.url}/api/v1/namespaces/${cp}/pods/etcd-0/log?container=etcd-init`)).text();
    expect(log).toContain('/var/lib/data is not empty, not restoring the snapshot');
    await deleteHc(mgmt2, 'kept');
    await waitFor('namespace gone', () => !mgmt2.sim.store.get(NAMESPACES, undefined, cp));
  });

  it('a HostedCluster removed without its finalizer (as a move tears a frozen source down): its control plane goes with the namespace, and a new one of that name gets a new control plane', async () => {
    const first = await createReady(mgmt2, 'unfinalized');
    await first.etcd.put('/unfinalized/old', 'old');
    mgmt2.sim.store.mutate(HC, 'clusters', 'unfinalized', (o) => {
      o.metadata.finalizers = [];
    });
    mgmt2.sim.store.delete(HC, 'clusters', 'unfinalized');
    expect(mgmt2.sim.store.get(HC, 'clusters', 'unfinalized')).toBeUndefined();
    // The NodePool's and the HostedControlPlane's finalizers are the operator's too: removed by hand, as a move does.
    const NODEPOOLS: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'nodepools' };
    for (const np of mgmt2.sim.store.list(NODEPOOLS, 'clusters').filter((n) => n.metadata.name.startsWith('unfinalized'))) {
      mgmt2.sim.store.mutate(NODEPOOLS, 'clusters', np.metadata.name, (o) => {
        o.metadata.finalizers = [];
      });
      mgmt2.sim.store.delete(NODEPOOLS, 'clusters', np.metadata.name);
    }
    mgmt2.sim.store.mutate(HCP, first.cp, 'unfinalized', (o) => {
      o.metadata.finalizers = [];
    });
    mgmt2.sim.store.delete(NAMESPACES, undefined, first.cp);
    await waitFor('namespace gone', () => !mgmt2.sim.store.get(NAMESPACES, undefined, first.cp), 30_000);
    await waitFor('old control plane dropped', () => mgmt2.operator!.etcd(first.cp) !== first.etcd);
    const again = await createReady(mgmt2, 'unfinalized');
    expect(again.etcd).not.toBe(first.etcd);
    expect(await again.etcd.get('/unfinalized/old')).toBeUndefined();
    await deleteHc(mgmt2, 'unfinalized');
    await waitFor('namespace gone', () => !mgmt2.sim.store.get(NAMESPACES, undefined, first.cp));
  });

  it('the seeded demo on the first cluster is deleted like any other, and restored from the bucket into either cluster (https and http URLs)', async () => {
    const volumes = [0, 1, 2].map((i) => sb.etcd.member(i).volumeDir);
    mgmt1.sim.store.delete(HC, 'clusters', 'demo');
    await waitFor(
      'demo gone',
      () => !mgmt1.sim.store.get(HC, 'clusters', 'demo') && !mgmt1.sim.store.get(NAMESPACES, undefined, 'clusters-demo'),
    );
    expect(volumes.map((v) => existsSync(v))).toEqual([false, false, false]);
    // The first cluster downloads through the S3 server's https front (an https URL, as HyperShift's CRD
    // demands; the etcd images trust the front's CA: etcdImageTrustsS3Ca), the second over plain http: one bucket, two URLs.
    const tlsClient = new S3Client({
      endpoint: sb.s3.httpsEndpoint,
      region: sb.s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey },
    });
    const httpsUrl = await getSignedUrl(tlsClient, new GetObjectCommand({ Bucket: sb.s3.bucket, Key: snapshotKey }), { expiresIn: 600 });
    tlsClient.destroy();
    expect(httpsUrl).toMatch(/^https:\/\//);
    const [a, b] = await Promise.all([createReady(mgmt1, 'demo', httpsUrl), createReady(mgmt2, 'demo', await presign())]);
    for (const { etcd } of [a, b]) {
      await waitFor('restored', () => [0, 1, 2].every((i) => etcd.isRunning(i)));
      for (const i of [0, 1, 2]) expect(await etcd.get('/seed/00000119', i)).toBe('v'.repeat(64));
    }
    // Exec on the first cluster now reaches the restored members.
    const got = await kubectl('sandbox', [
      'exec',
      '-n',
      'clusters-demo',
      'etcd-2',
      '-c',
      'etcd',
      '--',
      ...ETCDCTL,
      'get',
      '/seed/00000003',
      '--print-value-only',
    ]);
    if (got) expect(got.stdout.trim()).toBe('v'.repeat(64));
  });
});
