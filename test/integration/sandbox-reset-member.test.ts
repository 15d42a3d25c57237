/**
 * The sandbox's model of HyperShift's reset-member init container (test/sandbox/etcd/reset-member.ts,
 * hypershift-domain.md §1.6), on real etcd members behind the simulated StatefulSet controller and
 * the API simulator's store. For a pod on an empty volume the shipped script greps
 * `etcdctl member list -w simple` for the pod's name: the line it finds (the member's name, or the
 * peer URL of an entry added but never started) is removed and the member added back as a VOTING
 * member, state existing; no line: state new. One cluster, tests in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, tempClusterDir, type EtcdCluster } from '../sandbox/etcd/cluster.ts';
import { attachEtcdController, PODS, PVCS, STATEFULSETS } from '../sandbox/etcd/controller.ts';
import { parseEtcdJson, type MemberListEntry } from '../sandbox/etcd/etcdctl.ts';
import { podUrlNames, resetMemberDecision } from '../sandbox/etcd/reset-member.ts';
import { startApiSimulator } from '../sandbox/api/server.ts';
import type { SimObject, SimStore } from '../sandbox/api/types.ts';
import { waitFor as waitForCondition } from '../support/wait.ts';

const NS = 'clusters-reset';
let cluster: EtcdCluster;
let store: SimStore;
let stopSim: () => Promise<void>;
let detach: () => void;

const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000) =>
  waitForCondition(what, fn, timeoutMs, 100);
type PodStatus = {
  containerStatuses?: { name: string; state: { waiting?: { reason: string } } }[];
  conditions?: { type: string; status: string }[];
};
const pod = (i: number) => store.get(PODS, NS, `etcd-${i}`);
const status = (p: SimObject | undefined) => p?.['status'] as PodStatus | undefined;
const isReady = (p: SimObject | undefined) => status(p)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const waiting = (p: SimObject | undefined) => status(p)?.containerStatuses?.find((c) => c.name === 'etcd')?.state.waiting?.reason;
const readyReplicas = () => (store.get(STATEFULSETS, NS, 'etcd')?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas;
const peerOf = (i: number) => cluster.member(i).peerUrl;

/** Deletes PVC data-etcd-i and pod etcd-i (the §2.2 procedure) and waits for a new pod that is Ready. */
async function replaceStorage(i: number): Promise<void> {
  const oldUid = pod(i)?.metadata.uid;
  store.delete(PVCS, NS, `data-etcd-${i}`);
  store.delete(PODS, NS, `etcd-${i}`);
  await waitFor(`new etcd-${i} ready`, () => {
    const p = pod(i);
    return p && p.metadata.uid !== oldUid && isReady(p);
  });
  await cluster.waitHealthy();
}

/** Every member started and voting, three of them, one hashkv. */
async function assertWhole(): Promise<MemberListEntry[]> {
  const list = await cluster.memberList(0);
  expect(list.map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
  expect(list.every((m) => m.status === 'started' && !m.isLearner)).toBe(true);
  const hashes = await waitFor('one hashkv', async () => {
    const r = await cluster.etcdctl(['endpoint', 'hashkv', '-w', 'json']);
    const h = parseEtcdJson<{ HashKV: { hash: string; header: { revision: number } } }[]>(r.stdout);
    return h.length === 3 && new Set(h.map((x) => `${x.HashKV.header.revision}:${x.HashKV.hash}`)).size === 1 && h;
  });
  expect(hashes).toHaveLength(3);
  return list;
}

beforeAll(async () => {
  cluster = await startEtcdCluster({ dir: tempClusterDir('reset-member') });
  const sim = await startApiSimulator();
  store = sim.store;
  stopSim = () => sim.stop();
  store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  detach = attachEtcdController(store, cluster, NS, { pollMs: 200 });
  await waitFor('3 ready', () => readyReplicas() === 3);
  await cluster.put('/reset-member/marker', 'kept');
});
afterAll(async () => {
  detach?.();
  await cluster?.stop();
  await stopSim?.();
});

describe('sandbox reset-member (HyperShift etcd StatefulSet init container)', { timeout: 180_000 }, () => {
  it('finds a member by its name: removes it and adds it back as a voting member with a new ID (state existing)', async () => {
    const before = (await cluster.memberList(0)).find((m) => m.name === 'etcd-1')!;
    await replaceStorage(1);
    const list = await assertWhole();
    const after = list.find((m) => m.name === 'etcd-1')!;
    expect(after.id).not.toBe(before.id);
    expect(after.peerURLs).toEqual([peerOf(1)]);
    expect(await cluster.get('/reset-member/marker', 1)).toBe('kept');
  });

  it('finds an entry added as a learner but never started (no name) by its peer URL: replaces it with a voting member', async () => {
    const old = (await cluster.memberList(0)).find((m) => m.name === 'etcd-2')!;
    expect((await cluster.memberChange(['member', 'remove', old.id], 0)).code).toBe(0);
    await cluster.kill(2);
    const add = await cluster.memberChange(['member', 'add', 'etcd-2', `--peer-urls=${peerOf(2)}`, '--learner'], 0);
    expect(add.code, add.stderr).toBe(0);
    const listed = await cluster.memberList(0);
    const learner = listed.find((m) => m.peerURLs.includes(peerOf(2)))!;
    expect(learner).toMatchObject({ name: '', status: 'unstarted', isLearner: true });
    // The script's `grep "$HOSTNAME"` sees the line as the pod prints it: the peer URL carries the pod's name.
    const names = podUrlNames(
      [0, 1, 2].map((i) => cluster.member(i)),
      NS,
    );
    expect(resetMemberDecision(listed, 'etcd-2', names)).toEqual({ action: 'replace', memberId: learner.id });

    await replaceStorage(2);
    const list = await assertWhole();
    const etcd2 = list.find((m) => m.name === 'etcd-2')!;
    expect(etcd2.id).not.toBe(learner.id); // the learner was removed before it ever ran
    expect(etcd2.isLearner).toBe(false);
    expect(await cluster.get('/reset-member/marker', 2)).toBe('kept');
  });

  it('finds no line for a member removed from the list: state new, refused by its peers, CrashLoopBackOff', async () => {
    const old = (await cluster.memberList(0)).find((m) => m.name === 'etcd-2')!;
    expect((await cluster.memberChange(['member', 'remove', old.id], 0)).code).toBe(0);
    store.delete(PVCS, NS, 'data-etcd-2');
    store.delete(PODS, NS, 'etcd-2');
    // Started `new` with the bootstrap flags, it has its bootstrap member ID, which the peers know as removed.
    await waitFor('etcd-2 CrashLoopBackOff', () => waiting(pod(2)) === 'CrashLoopBackOff');
    expect(isReady(pod(2))).toBe(false);
    expect((await cluster.memberList(0)).map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1']);
  });
});
