/**
 * gatherEtcd over real etcd members (the exec bridge runs each command "in" its member's pod), with
 * the pods and StatefulSet in a stateful in-memory API: the facts `etcd status` judges, and how many
 * execs it took to get them. A PodExec that refuses one pod stands for a pod the API server will not
 * exec into; one that answers 127 to /bin/sh stands for an image without a shell.
 */
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherEtcd, type GatheredEtcd } from '../../src/core/etcd/gather.ts';
import { removeSnapshot, saveSnapshot, snapshotStatus } from '../../src/core/etcd/pod-snapshot.ts';
import { judge } from '../../src/core/etcd/verdict.ts';
import { Etcd, Resources } from '../../src/core/model.ts';
import type { ExecRequest, ExecResult, PodExec } from '../../src/core/ports.ts';
import { startEtcdCluster, tempClusterDir, type EtcdCluster } from '../sandbox/etcd/cluster.ts';
import { FakeKube } from '../support/fakes/kube.ts';

const NS = 'clusters-demo';

/** Exec into the members of `cluster`, counting the execs per pod; `refuse` and `noShell` bend it. */
class MemberExec implements PodExec {
  readonly calls: ExecRequest[] = [];
  refuse = new Set<string>();
  noShell = false;
  /** Runs before each exec is answered (a test's hook to interleave writes). */
  before: (req: ExecRequest) => Promise<void> = async () => {};
  /** Runs after each exec was answered. */
  after: (req: ExecRequest) => Promise<void> = async () => {};
  readonly #cluster: EtcdCluster;
  constructor(cluster: EtcdCluster) {
    this.#cluster = cluster;
  }
  async exec(req: ExecRequest): Promise<ExecResult> {
    this.calls.push(req);
    if (this.refuse.has(req.pod)) throw new Error(`failed to exec in pod ${req.pod}: connection refused`);
    if (this.noShell && req.command[0] === '/bin/sh')
      return { exitCode: 127, stdout: '', stderr: 'exec: "/bin/sh": executable file not found in $PATH' };
    const i = Number(/^etcd-(\d+)$/.exec(req.pod)?.[1]);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
    const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
    await this.before(req);
    const exitCode = await this.#cluster.execInMember(i, req.command, { stdout, stderr, namespace: NS });
    await this.after(req);
    return { exitCode, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }
  perPod(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.calls) counts[c.pod] = (counts[c.pod] ?? 0) + 1;
    return counts;
  }
}

function world(members: number): FakeKube {
  const api = new FakeKube();
  api.put(Resources.statefulSet, {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: Etcd.statefulSet, namespace: NS },
    spec: { replicas: members },
    status: { readyReplicas: members },
  });
  for (let i = 0; i < members; i++) {
    api.put(Resources.pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `etcd-${i}`, namespace: NS, labels: { app: 'etcd' } },
      status: { phase: 'Running', containerStatuses: [{ name: 'etcd', ready: true, restartCount: 0, state: { running: {} } }] },
    });
  }
  return api;
}

/** The etcd process of member i (not its watchdog, whose signal line takes one signal only). */
async function etcdPid(cluster: EtcdCluster, i: number): Promise<number> {
  const pattern = `^\\S*etcd --name etcd-${i} --data-dir ${cluster.member(i).dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( |$)`;
  const { stdout } = await promisify(execFile)('pgrep', ['-f', pattern]);
  const pids = stdout.trim().split('\n').map(Number);
  if (pids.length !== 1 || !Number.isInteger(pids[0])) throw new Error(`etcd-${i}: expected one process, got "${stdout.trim()}"`);
  return pids[0] as number;
}

const gather = (api: FakeKube, exec: PodExec): Promise<GatheredEtcd> =>
  gatherEtcd({ api, exec, controlPlaneNamespace: NS, expectedReplicas: 3 });

describe('gatherEtcd on three real members', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster({ dir: tempClusterDir('gather'), members: 3 });
    await cluster.seed(20);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('when all are healthy, one exec per pod gives every fact: status, health, members, alarms, hashes at one revision', async () => {
    const exec = new MemberExec(cluster);
    const { facts, caPath } = await gather(world(3), exec);
    expect(exec.perPod()).toEqual({ 'etcd-0': 1, 'etcd-1': 1, 'etcd-2': 1 });
    expect(exec.calls.every((c) => c.command[0] === '/bin/sh' && c.container === 'etcd')).toBe(true);
    expect(caPath).toBe(Etcd.caPath);
    const listed = await cluster.memberList();
    expect(facts.members.map((m) => m.id).sort()).toEqual(listed.map((m) => m.id).sort());
    expect(facts.members.map((m) => [m.name, m.pod]).sort()).toEqual([0, 1, 2].map((i) => [`etcd-${i}`, `etcd-${i}`]));
    expect(facts.members.every((m) => m.health?.healthy === true && m.status?.memberId === m.id)).toBe(true);
    // Endpoints as the pod sees them (in-cluster names), not the sandbox's ports.
    expect(facts.members.find((m) => m.name === 'etcd-1')?.clientURL).toBe(`https://etcd-1.etcd-discovery.${NS}.svc:2379`);
    expect(new Set(facts.members.map((m) => m.status?.leader)).size).toBe(1);
    const hashes = facts.members.map((m) => m.hash);
    expect(hashes.every((h) => h !== undefined && h.hash !== 0)).toBe(true);
    expect(new Set(hashes.map((h) => `${h?.hash}@${h?.revision}`)).size).toBe(1);
    expect(facts.podViews.map((v) => v.memberCount)).toEqual([3, 3, 3]);
    expect(new Set(facts.podViews.map((v) => v.clusterId)).size).toBe(1);
    expect(facts.alarms).toEqual([]);
    expect(judge(facts).state).toBe('Healthy');
  });

  it('when one pod refuses exec, it is recorded and skipped, and its member is seen and hashed through another pod', async () => {
    const exec = new MemberExec(cluster);
    exec.refuse.add('etcd-1');
    const { facts } = await gather(world(3), exec);
    expect(facts.pods.find((p) => p.name === 'etcd-1')?.execError).toBe('cannot exec in pod etcd-1: connection refused');
    expect(facts.podViews.map((v) => v.pod)).toEqual(['etcd-0', 'etcd-2']);
    const m1 = facts.members.find((m) => m.name === 'etcd-1');
    expect(m1?.status?.memberId).toBe(m1?.id);
    expect(m1?.health?.healthy).toBe(true);
    expect(facts.members.every((m) => m.hash !== undefined && m.hash.hash === facts.members[0]?.hash?.hash)).toBe(true);
    // One refused attempt at etcd-1; etcd-0 also asked the cluster about etcd-1.
    expect(exec.perPod()).toEqual({ 'etcd-0': 2, 'etcd-1': 1, 'etcd-2': 1 });
    expect(judge(facts).state).toBe('Healthy');
  });

  it("when a write lands between the pods' answers, the hashes are taken again at one revision (one more exec per pod)", async () => {
    const exec = new MemberExec(cluster);
    let wrote: () => void = () => {};
    const written = new Promise<void>((resolve) => (wrote = resolve));
    // etcd-0 answers first; then a key is written; then etcd-1 and etcd-2 answer, one revision later.
    exec.before = async (req) => {
      if (req.pod !== 'etcd-0' && exec.calls.length <= 3) await written;
    };
    exec.after = async (req) => {
      if (req.pod === 'etcd-0' && exec.calls.filter((c) => c.pod === 'etcd-0').length === 1) {
        await cluster.put('/gather-test/between', 'x');
        wrote();
      }
    };
    const { facts } = await gather(world(3), exec);
    const revisions = facts.members.map((m) => m.status?.revision);
    expect(new Set(revisions).size).toBe(2);
    expect(new Set(facts.members.map((m) => m.hash?.revision)).size).toBe(1);
    expect(new Set(facts.members.map((m) => m.hash?.hash)).size).toBe(1);
    expect(exec.perPod()).toEqual({ 'etcd-0': 2, 'etcd-1': 2, 'etcd-2': 2 });
    expect(judge(facts).state).toBe('Healthy');
  });

  it('when the image has no /bin/sh, every call runs as its own exec and the facts are the same', async () => {
    const exec = new MemberExec(cluster);
    exec.noShell = true;
    const { facts, caPath } = await gather(world(3), exec);
    expect(caPath).toBe(Etcd.caPath);
    expect(facts.members.every((m) => m.health?.healthy === true && m.hash !== undefined)).toBe(true);
    expect(facts.podViews).toHaveLength(3);
    expect(judge(facts).state).toBe('Healthy');
    // Per pod: the script, test -f, then curl alone (status, health, member list, alarms) and hashkv alone.
    expect(exec.perPod()).toEqual({ 'etcd-0': 4, 'etcd-1': 4, 'etcd-2': 4 });
  });

  it("a snapshot's status takes one exec with a shell, and is the same without one (test -x, then the tool)", async () => {
    const path = '/var/lib/hcp-dr-gather-test.db';
    const withShell = new MemberExec(cluster);
    const ref = { exec: withShell, namespace: NS, pod: 'etcd-0' };
    await saveSnapshot(ref, { caPath: Etcd.caPath }, path);
    try {
      const before = withShell.calls.length;
      const status = await snapshotStatus(ref, { caPath: Etcd.caPath }, path);
      expect(withShell.calls.length - before).toBe(1);
      expect(status.revision).toBeGreaterThan(0);
      expect(status.totalKey).toBeGreaterThan(0);
      const noShell = new MemberExec(cluster);
      noShell.noShell = true;
      expect(await snapshotStatus({ exec: noShell, namespace: NS, pod: 'etcd-0' }, { caPath: Etcd.caPath }, path)).toEqual(status);
      // The image's tool: etcdutl in the 3.6 image (its etcdctl has no `snapshot status`), else etcdctl.
      expect(noShell.calls.map((c) => c.command[0])).toEqual(['/bin/sh', 'test', cluster.version === '3.6' ? 'etcdutl' : 'etcdctl']);
    } finally {
      await removeSnapshot(ref, path);
    }
  });

  it('when a member stops answering (SIGSTOP), it times out, is named unhealthy with its error, and the rest is judged', async () => {
    // A follower: stopping the leader would also fail the others' health until a new one is elected.
    const before = (await gather(world(3), new MemberExec(cluster))).facts.members;
    const leader = before.find((m) => m.status?.leader === m.id)?.name;
    const victim = [0, 1, 2].find((i) => `etcd-${i}` !== leader) as number;
    const primary = [0, 1, 2].find((i) => i !== victim) as number;
    const pid = await etcdPid(cluster, victim);
    process.kill(pid, 'SIGSTOP');
    try {
      const exec = new MemberExec(cluster);
      const { facts } = await gather(world(3), exec);
      const stopped = facts.members.find((m) => m.name === `etcd-${victim}`);
      expect(stopped?.health?.healthy).toBe(false);
      expect(stopped?.health?.error).toMatch(/deadline exceeded|timed out|timeout/i);
      expect(stopped?.status).toBeUndefined();
      expect(stopped?.hash).toBeUndefined();
      expect(facts.podViews.map((v) => v.pod)).toEqual([0, 1, 2].filter((i) => i !== victim).map((i) => `etcd-${i}`));
      const verdict = judge(facts);
      expect(verdict.state).toBe('Degraded');
      expect(verdict.reason).toContain(`etcd-${victim}`);
      // The first answering pod asked the cluster about the member that did not answer in its own pod.
      const expected = Object.fromEntries([0, 1, 2].map((i) => [`etcd-${i}`, i === primary ? 2 : 1]));
      expect(exec.perPod()).toEqual(expected);
    } finally {
      process.kill(pid, 'SIGCONT');
      await cluster.waitHealthy([victim]);
    }
  });
});

describe('gatherEtcd on a 4.11 member (legacy CA path)', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster({ dir: tempClusterDir('gather-legacy'), members: 1, legacyCaPath: true });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('finds the CA at the 4.11 path and needs one exec in all', async () => {
    const exec = new MemberExec(cluster);
    const { facts, caPath } = await gather(world(1), exec);
    expect(caPath).toBe(Etcd.legacyCaPath);
    expect(exec.calls).toHaveLength(1);
    expect(facts.members).toHaveLength(1);
    expect(facts.members[0]?.hash?.revision).toBe(facts.members[0]?.status?.revision);
    expect(judge(facts).state).toBe('Healthy');
  });
});
