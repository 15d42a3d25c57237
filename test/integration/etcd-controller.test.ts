import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, tempClusterDir, type EtcdCluster } from '../sandbox/etcd/cluster.ts';
import { attachEtcdController, etcdExecHandler, PODS, PVCS, STATEFULSETS } from '../sandbox/etcd/controller.ts';
import { parseEtcdJson } from '../sandbox/etcd/etcdctl.ts';
import type { GroupResource, SimObject, SimStore, StoreEvent } from '../sandbox/api/types.ts';
import { waitFor as waitForCondition } from '../support/wait.ts';

const NS = 'clusters-hc1';

/** A small stateful SimStore: uid/resourceVersion/generation, finalizers, synchronous events. */
class FakeStore implements SimStore {
  private objects = new Map<string, SimObject>();
  private listeners = new Set<(e: StoreEvent) => void>();
  private rv = 0;
  private key = (r: GroupResource, ns: string | undefined, name: string) => `${r.group}/${r.plural}/${ns ?? ''}/${name}`;
  private emit(e: StoreEvent) {
    for (const l of [...this.listeners]) l(structuredClone(e));
  }
  get(r: GroupResource, ns: string | undefined, name: string) {
    const o = this.objects.get(this.key(r, ns, name));
    return o && structuredClone(o);
  }
  peek<T>(r: GroupResource, ns: string | undefined, name: string, read: (o: Readonly<SimObject>) => T) {
    const o = this.objects.get(this.key(r, ns, name));
    return o && read(o);
  }
  peekAll(r: GroupResource, read: (o: Readonly<SimObject>) => void) {
    for (const o of this.list(r)) read(o);
  }
  list(r: GroupResource, ns?: string, sel?: string) {
    const [lk, lv] = sel ? sel.split('=') : [];
    return [...this.objects.entries()]
      .filter(
        ([k, o]) =>
          k.startsWith(`${r.group}/${r.plural}/`) && (!ns || o.metadata.namespace === ns) && (!lk || o.metadata.labels?.[lk] === lv),
      )
      .map(([, o]) => structuredClone(o));
  }
  create(r: GroupResource, object: SimObject) {
    const k = this.key(r, object.metadata.namespace, object.metadata.name);
    if (this.objects.has(k)) throw Object.assign(new Error('AlreadyExists'), { code: 409 });
    const o = structuredClone(object);
    Object.assign(o.metadata, {
      uid: randomUUID(),
      resourceVersion: String(++this.rv),
      generation: 1,
      creationTimestamp: new Date().toISOString(),
    });
    this.objects.set(k, o);
    this.emit({ type: 'ADDED', resource: r, object: o });
    return structuredClone(o);
  }
  update(r: GroupResource, object: SimObject) {
    const k = this.key(r, object.metadata.namespace, object.metadata.name);
    const old = this.objects.get(k);
    if (!old) throw Object.assign(new Error('NotFound'), { code: 404 });
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw Object.assign(new Error('Conflict'), { code: 409 });
    const o = structuredClone(object);
    o.metadata.resourceVersion = String(++this.rv);
    if (JSON.stringify(o['spec']) !== JSON.stringify(old['spec'])) o.metadata.generation = (old.metadata.generation ?? 1) + 1;
    if (o.metadata.deletionTimestamp && !(o.metadata.finalizers ?? []).length) {
      this.objects.delete(k);
      this.emit({ type: 'DELETED', resource: r, object: o, old });
    } else {
      this.objects.set(k, o);
      this.emit({ type: 'MODIFIED', resource: r, object: o, old });
    }
    return structuredClone(o);
  }
  mutate(r: GroupResource, ns: string | undefined, name: string, fn: (o: SimObject) => void) {
    const o = this.get(r, ns, name);
    if (!o) throw Object.assign(new Error('NotFound'), { code: 404 });
    fn(o);
    return this.update(r, o);
  }
  delete(r: GroupResource, ns: string | undefined, name: string) {
    const k = this.key(r, ns, name);
    const old = this.objects.get(k);
    if (!old) throw Object.assign(new Error('NotFound'), { code: 404 });
    if ((old.metadata.finalizers ?? []).length) {
      if (!old.metadata.deletionTimestamp)
        this.mutate(r, ns, name, (o) => {
          o.metadata.deletionTimestamp = new Date().toISOString();
        });
      return;
    }
    this.objects.delete(k);
    this.emit({ type: 'DELETED', resource: r, object: old, old });
  }
  subscribe(l: (e: StoreEvent) => void) {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }
}

const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 25_000) =>
  waitForCondition(what, fn, timeoutMs, 100);

interface CS {
  name: string;
  ready: boolean;
  restartCount: number;
  state: { waiting?: { reason: string }; running?: unknown };
  lastState: { terminated?: { reason: string } };
}
const statusOf = (p: SimObject | undefined) =>
  p?.['status'] as { phase: string; podIP?: string; containerStatuses?: CS[]; conditions?: { type: string; status: string }[] } | undefined;
const etcdStatus = (p: SimObject | undefined) => statusOf(p)?.containerStatuses?.find((c) => c.name === 'etcd');
const isReady = (p: SimObject | undefined) => statusOf(p)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

const simulatorAvailable = existsSync(new URL('../sandbox/api/server.ts', import.meta.url));
const stores: [string, () => Promise<{ store: SimStore; close: () => Promise<void> }>][] = [
  ['fake store', async () => ({ store: new FakeStore(), close: async () => {} })],
];
if (simulatorAvailable) {
  stores.push([
    'API simulator store',
    async () => {
      const { startApiSimulator } = await import('../sandbox/api/server.ts');
      const sim = await startApiSimulator();
      sim.store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
      return { store: sim.store, close: () => sim.stop() };
    },
  ]);
}

describe.each(stores)('etcd StatefulSet controller (%s)', (_label, makeStore) => {
  let cluster: EtcdCluster;
  let store: SimStore;
  let close: () => Promise<void>;
  let detach: () => void;
  const pod = (i: number) => store.get(PODS, NS, `etcd-${i}`);
  const sts = () => store.get(STATEFULSETS, NS, 'etcd')!;
  const readyReplicas = () => (sts()['status'] as { readyReplicas?: number } | undefined)?.readyReplicas;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ dir: tempClusterDir('ctrl') });
    ({ store, close } = await makeStore());
    detach = attachEtcdController(store, cluster, NS, { pollMs: 200 });
  });
  afterAll(async () => {
    detach?.();
    await cluster?.stop();
    await close?.();
  });

  it('creates the StatefulSet, PVCs and Ready pods for running members', async () => {
    await waitFor('3 ready', () => readyReplicas() === 3);
    expect((sts()['spec'] as { replicas: number }).replicas).toBe(3);
    const pods = store.list(PODS, NS, 'app=etcd');
    expect(pods.map((p) => p.metadata.name)).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    for (const p of pods) {
      expect(statusOf(p)?.phase).toBe('Running');
      expect(statusOf(p)?.containerStatuses?.map((c) => c.name)).toEqual(['etcd', 'etcd-metrics', 'healthz']);
      expect(etcdStatus(p)).toMatchObject({ ready: true, restartCount: 0 });
    }
    const pvc = store.get(PVCS, NS, 'data-etcd-0');
    expect(pvc?.metadata.finalizers).toContain('kubernetes.io/pvc-protection');
  });

  it('a member that dies shows CrashLoopBackOff, restartCount+1, and readyReplicas drops', async () => {
    await cluster.kill(1);
    const p = await waitFor('etcd-1 crashloop', () => etcdStatus(pod(1))?.state.waiting?.reason === 'CrashLoopBackOff' && pod(1));
    expect(etcdStatus(p)).toMatchObject({ ready: false, restartCount: 1, lastState: { terminated: { reason: 'Error' } } });
    expect(isReady(p)).toBe(false);
    await waitFor('readyReplicas 2', () => readyReplicas() === 2);
    expect(cluster.isRunning(1)).toBe(false); // not restarted behind the test's back
  });

  it('deleting the pod restarts the member on its data; a new pod turns Ready', async () => {
    await cluster.waitHealthy([0, 2]);
    await cluster.put('/ctrl/while-down', 'kept', 0);
    const oldUid = pod(1)!.metadata.uid;
    store.delete(PODS, NS, 'etcd-1');
    const p = await waitFor('new etcd-1 ready', () => {
      const q = pod(1);
      return q && q.metadata.uid !== oldUid && isReady(q) && q;
    });
    expect(etcdStatus(p)?.restartCount).toBe(0);
    expect(await cluster.get('/ctrl/while-down', 1)).toBe('kept');
    await waitFor('readyReplicas 3', () => readyReplicas() === 3);
  });

  it('PVC + pod deletion of the leader wipes its data and rejoins it (reset-member)', async () => {
    // The leader makes the harder case: its loss triggers an election while reset-member runs.
    const st = parseEtcdJson<{ Status: { header: { member_id: string }; leader: string } }[]>(
      (await cluster.etcdctl(['endpoint', 'status', '-w', 'json'])).stdout,
    );
    const leaderHex = BigInt(st[0]!.Status.leader).toString(16);
    const members = await cluster.memberList();
    const i = Number(members.find((m) => m.id === leaderHex)!.name.slice(5));
    const pvcUid = store.get(PVCS, NS, `data-etcd-${i}`)!.metadata.uid;
    store.delete(PVCS, NS, `data-etcd-${i}`);
    await new Promise((r) => setTimeout(r, 500));
    expect(store.get(PVCS, NS, `data-etcd-${i}`)?.metadata.deletionTimestamp).toBeTruthy(); // protected while in use
    expect(cluster.isRunning(i)).toBe(true);
    store.delete(PODS, NS, `etcd-${i}`);
    await waitFor('new PVC', () => {
      const v = store.get(PVCS, NS, `data-etcd-${i}`);
      return v && v.metadata.uid !== pvcUid && !v.metadata.deletionTimestamp;
    });
    await waitFor(`etcd-${i} ready`, () => isReady(pod(i)));
    const after = await cluster.memberList();
    expect(after.find((m) => m.name === `etcd-${i}`)!.id).not.toBe(leaderHex);
    expect(after.length).toBe(3);
    expect(await cluster.get('/ctrl/while-down', i)).toBe('kept');
    expect(etcdStatus(pod(i))?.restartCount).toBe(0);
  });

  it('scales to 0 and back to 3 with the data intact', async () => {
    store.mutate(STATEFULSETS, NS, 'etcd', (o) => {
      (o['spec'] as { replicas: number }).replicas = 0;
    });
    await waitFor('no pods', () => store.list(PODS, NS, 'app=etcd').length === 0);
    await waitFor('no members', () => [0, 1, 2].every((i) => !cluster.isRunning(i)));
    await waitFor('status 0', () => (sts()['status'] as { replicas?: number }).replicas === 0);
    store.mutate(STATEFULSETS, NS, 'etcd', (o) => {
      (o['spec'] as { replicas: number }).replicas = 3;
    });
    await waitFor('3 ready again', () => readyReplicas() === 3);
    expect(await cluster.get('/ctrl/while-down', 0)).toBe('kept');
  });

  describe('quorum-loss restore through exec (HyperShift docs 2.3 vs 2.4)', () => {
    const io = () => ({ stdout: new PassThrough(), stderr: new PassThrough() });
    const tls = [
      '--cacert',
      '/etc/etcd/tls/etcd-ca/ca.crt',
      '--cert',
      '/etc/etcd/tls/client/etcd-client.crt',
      '--key',
      '/etc/etcd/tls/client/etcd-client.key',
    ];
    const access = { requireRunning: false }; // the etcd-data pod mounts the PVC while etcd is scaled to 0
    const peers = () => [0, 1, 2].map((j) => `etcd-${j}=https://etcd-${j}.etcd-discovery.${NS}.svc:2380`).join(',');
    const hashes = async () => {
      const r = await cluster.etcdctl(['endpoint', 'hashkv', '-w', 'json']);
      return parseEtcdJson<{ HashKV: { hash: string } }[]>(r.stdout).map((e) => e.HashKV.hash);
    };
    const scale = async (replicas: number) => {
      store.mutate(STATEFULSETS, NS, 'etcd', (o) => {
        (o['spec'] as { replicas: number }).replicas = replicas;
      });
      if (replicas === 0)
        await waitFor('no members', () => [0, 1, 2].every((j) => !cluster.isRunning(j)) && store.list(PODS, NS, 'app=etcd').length === 0);
      else {
        await waitFor(`${replicas} ready`, () => readyReplicas() === replicas);
        await cluster.waitHealthy();
      }
    };
    const snapshotThenWrite = async (tag: string) => {
      await cluster.waitHealthy();
      await cluster.put(`/ctrl/${tag}/in-snapshot`, 'yes', 0);
      expect(
        await cluster.execInMember(
          0,
          ['etcdctl', ...tls, '--endpoints=https://localhost:2379', 'snapshot', 'save', '/var/lib/snapshot.db'],
          io(),
        ),
      ).toBe(0);
      await cluster.put(`/ctrl/${tag}/after-snapshot`, 'lost', 0);
    };
    const restoreInto = async (m: number, snapshotFrom: number) => {
      if (m !== snapshotFrom) {
        // "oc cp" of the snapshot into the etcd-data pod that mounts data-etcd-m: copy on the host.
        await copyFile(
          path.join(cluster.member(snapshotFrom).volumeDir, 'snapshot.db'),
          path.join(cluster.member(m).volumeDir, 'snapshot.db'),
        );
      }
      expect(await cluster.execInMember(m, ['rm', '-rf', '/var/lib/data'], io(), access)).toBe(0);
      expect(
        await cluster.execInMember(
          m,
          [
            // The image's restore tool: etcdutl in the 3.6 image (its etcdctl has no snapshot restore).
            cluster.version === '3.6' ? 'etcdutl' : 'etcdctl',
            'snapshot',
            'restore',
            '/var/lib/snapshot.db',
            '--data-dir=/var/lib/data',
            '--skip-hash-check',
            '--name',
            `etcd-${m}`,
            '--initial-cluster-token=etcd-cluster',
            '--initial-cluster',
            peers(),
            '--initial-advertise-peer-urls',
            `https://etcd-${m}.etcd-discovery.${NS}.svc:2380`,
          ],
          io(),
          access,
        ),
      ).toBe(0);
    };

    it('old procedure (restore etcd-0, delete PVCs 1-2): healthy, 3 members, but diverged like the docs warn', async () => {
      await snapshotThenWrite('old');
      await scale(0);
      store.delete(PVCS, NS, 'data-etcd-1');
      store.delete(PVCS, NS, 'data-etcd-2');
      await waitFor('PVCs 1-2 gone', () => !store.get(PVCS, NS, 'data-etcd-1') && !store.get(PVCS, NS, 'data-etcd-2'));
      await restoreInto(0, 0);
      await scale(3);
      expect((await cluster.memberList()).length).toBe(3);
      const [h0, h1, h2] = await hashes();
      expect(h1).toBe(h2);
      expect(h0).not.toBe(h1); // empty members bootstrapped "new" with the same token: same cluster ID, other data
      expect(await cluster.get('/ctrl/old/in-snapshot', 0)).toBe('yes');
    });

    it('current procedure (restore into every PVC): members agree and hold exactly the snapshot', async () => {
      await snapshotThenWrite('new');
      await scale(0);
      for (const m of [0, 1, 2]) await restoreInto(m, 0);
      await scale(3);
      const hs = await hashes();
      expect(new Set(hs).size).toBe(1);
      for (const m of [0, 1, 2]) expect(await cluster.get('/ctrl/new/in-snapshot', m)).toBe('yes');
      expect(await cluster.get('/ctrl/new/after-snapshot', 1)).toBeUndefined();
      expect((await cluster.memberList()).map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    });
  });

  it('etcdExecHandler routes pods etcd-N/container etcd to the member', async () => {
    const handler = etcdExecHandler(cluster, NS);
    const out: Buffer[] = [];
    const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
    const code = await handler({
      namespace: NS,
      pod: 'etcd-2',
      container: 'etcd',
      stdout,
      stderr: new PassThrough(),
      signal: new AbortController().signal,
      command: [
        'etcdctl',
        '--cacert',
        '/etc/etcd/tls/etcd-ca/ca.crt',
        '--cert',
        '/etc/etcd/tls/client/etcd-client.crt',
        '--key',
        '/etc/etcd/tls/client/etcd-client.key',
        '--endpoints',
        'https://localhost:2379',
        'endpoint',
        'status',
        '-w',
        'json',
      ],
    });
    expect(code).toBe(0);
    expect(Buffer.concat(out).toString()).toContain(`"Endpoint":"https://etcd-2.etcd-discovery.${NS}.svc:2379"`);
    await expect(
      handler({
        namespace: NS,
        pod: 'kube-apiserver-0',
        container: 'etcd',
        command: ['true'],
        stdout,
        stderr: stdout,
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(/no exec target/);
  });

  it('the returned function stops all updates', async () => {
    detach();
    const rv = pod(0)!.metadata.resourceVersion;
    await cluster.kill(0);
    await new Promise((r) => setTimeout(r, 800));
    expect(pod(0)!.metadata.resourceVersion).toBe(rv);
    expect(etcdStatus(pod(0))?.ready).toBe(true);
  });
});
