/**
 * `etcd recover-member` end to end on the sandbox: real etcd members behind the simulated
 * StatefulSet controller (pod deletion -> member restart, or reset-member on an empty volume;
 * PVC deletion held by pvc-protection until the pod is gone), the real kube adapter (REST +
 * WebSocket exec). One sandbox; every test leaves the cluster Healthy for the next.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { waitForKilledMembers } from '../support/etcd-pods.ts';
import type { EtcdStatusReport } from '../../src/core/etcd/status.ts';
import type { RecoverMemberPlan, RecoverMemberResult } from '../../src/core/recover-member/recover-member.ts';
import { cliKilledAt } from '../support/kill-at.ts';
import { recoverMemberWorkflow } from '../../src/core/recover-member/recover-member-phases.ts';
import { changeIndex } from '../../src/core/operation/workflow.ts';
import type { ResumeResult } from '../../src/core/operation/resume.ts';

let sb: Sandbox;
const PODS = { group: '', version: 'v1', plural: 'pods' };
const PVCS = { group: '', version: 'v1', plural: 'persistentvolumeclaims' };
const HC = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const JOBS = { group: 'batch', version: 'v1', plural: 'jobs' };
const OPERATION = 'hcp-dr.openshift.io/operation';

const cli = (...args: string[]) => runCliInProcess([...args, '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
const recover = (...extra: string[]) => cli('etcd', 'recover-member', 'demo', ...extra);

async function status(): Promise<EtcdStatusReport> {
  return JSON.parse((await cli('etcd', 'status', 'demo', '-o', 'json')).stdout) as EtcdStatusReport;
}

/** Polls until the verdict is `state` (generous: the machine is loaded). */
async function waitForState(state: string, timeoutMs = 90_000): Promise<EtcdStatusReport> {
  const deadline = Date.now() + timeoutMs;
  let last: EtcdStatusReport | undefined;
  while (Date.now() < deadline) {
    last = await status();
    if (last.verdict.state === state) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`still ${last?.verdict.state} after ${timeoutMs} ms: ${last?.verdict.reason}`);
}

/** What a refusal must leave untouched: PVC and pod UIDs, member IDs, no record. */
function snapshotOfCluster() {
  const ns = sb.controlPlaneNamespace;
  const uids = [0, 1, 2].map((i) => [
    sb.sim.store.get(PVCS, ns, `data-etcd-${i}`)?.metadata.uid,
    sb.sim.store.get(PODS, ns, `etcd-${i}`)?.metadata.uid,
  ]);
  const record = sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION];
  return { uids, record };
}

const memberIds = async () => (await sb.etcd.memberList(0)).map((m) => `${m.name}:${m.id}`).sort();

beforeAll(async () => {
  sb = await startSandbox();
  await sb.etcd.seed(50, { prefix: '/hcp-dr-test/recover/' });
  await sb.etcd.put('/hcp-dr-test/recover/marker', 'before');
});
afterAll(async () => {
  await sb?.stop();
});

describe('etcd recover-member on the sandbox', { timeout: 240_000 }, () => {
  it('when all members are healthy, it refuses with exit 3 and says how to replace one anyway', async () => {
    const run = await recover('--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/all 3 members are healthy/);
    expect(run.stderr).toContain('recover-member');
  });

  it('with --dry-run, it names the crashed member and its steps and changes nothing', async () => {
    await sb.etcd.kill(1);
    await waitForKilledMembers(sb);
    const before = snapshotOfCluster();
    const run = await recover('--dry-run', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as RecoverMemberPlan;
    expect(plan.member).toBe('etcd-1');
    expect(plan.steps.join('\n')).toMatch(/delete PVC data-etcd-1/);
    expect(snapshotOfCluster()).toEqual(before);
  });

  it('when a second member is down too, it refuses with exit 3 before any change', async () => {
    // etcd-1 is still down from the previous test; etcd-2 goes now: quorum is lost.
    await sb.etcd.kill(2);
    await waitForKilledMembers(sb);
    const before = snapshotOfCluster();
    const run = await recover('--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/restore/);
    expect(snapshotOfCluster()).toEqual(before);
    await Promise.all([sb.etcd.start(2), sb.etcd.start(1)]);
    await sb.etcd.waitHealthy();
    await waitForState('Healthy');
  });

  it('when the named member is healthy but another is down, it refuses: replacing it would lose quorum', async () => {
    await sb.etcd.kill(2);
    await waitForKilledMembers(sb);
    const before = snapshotOfCluster();
    const ids = await memberIds();
    const run = await recover('etcd-0', '--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/would lose quorum.*etcd-2/);
    expect(snapshotOfCluster()).toEqual(before);
    expect(await memberIds()).toEqual(ids);
    await sb.etcd.start(2);
    await sb.etcd.waitHealthy();
    await waitForState('Healthy');
  });

  it('on a SingleReplica hosted cluster, it refuses with exit 3', async () => {
    const setPolicy = (policy: string) =>
      sb.sim.store.mutate(HC, 'clusters', 'demo', (o) => {
        (o['spec'] as Record<string, unknown>)['controllerAvailabilityPolicy'] = policy;
      });
    setPolicy('SingleReplica');
    try {
      const run = await recover('etcd-1', '--yes');
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/SingleReplica/);
    } finally {
      setPolicy('HighlyAvailable');
    }
  });

  it("while HyperShift's etcd-recovery Job runs, it refuses with exit 3", async () => {
    const ns = sb.controlPlaneNamespace;
    sb.sim.store.create(JOBS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'etcd-recovery', namespace: ns },
      spec: {},
      status: { active: 1 },
    });
    try {
      const run = await recover('etcd-1', '--yes');
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/etcd-recovery/);
    } finally {
      sb.sim.store.delete(JOBS, ns, 'etcd-recovery');
    }
  });

  it('when one member crashed with its data wiped, it replaces that member: Healthy, new member ID and PVC, keys intact', async () => {
    await sb.etcd.put('/hcp-dr-test/recover/marker', 'before');
    const oldId = (await sb.etcd.memberList(0)).find((m) => m.name === 'etcd-1')?.id;
    const oldPvc = sb.sim.store.get(PVCS, sb.controlPlaneNamespace, 'data-etcd-1')?.metadata.uid;
    await sb.etcd.kill(1);
    await sb.etcd.wipe(1);
    await waitForKilledMembers(sb);
    const run = await recover('--yes', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as RecoverMemberResult;
    expect(result.member).toBe('etcd-1');
    expect(result.oldMemberId).toBe(oldId);
    expect(result.newMemberId).not.toBe(oldId);
    expect(result.verification.every((v) => v.ok)).toBe(true);
    // -o json carries the runner's timings: the member is still listed (no member-added), in order, never negative.
    expect(result.phases.map((p) => p.phase)).toEqual(['plan', 'storage-replaced', 'rejoined']);
    expect(result.phases.every((p) => p.seconds >= 0)).toBe(true);
    expect(sb.sim.store.get(PVCS, sb.controlPlaneNamespace, 'data-etcd-1')?.metadata.uid).not.toBe(oldPvc);
    const after = await status();
    expect(after.verdict.state).toBe('Healthy');
    expect(new Set(after.members.map((m) => m.hash)).size).toBe(1);
    // The rebuilt member serves the keys written before.
    expect(await sb.etcd.get('/hcp-dr-test/recover/marker', 1)).toBe('before');
    expect(await sb.etcd.get('/hcp-dr-test/recover/00000049', 1)).toBe('v'.repeat(64));
    expect(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION]).toBeUndefined();
  });

  it('when the member was already removed from the member list, it adds it (a voter, as reset-member re-adds it) and ends Healthy', async () => {
    const list = await sb.etcd.memberList(0);
    const old = list.find((m) => m.name === 'etcd-2');
    await sb.etcd.kill(2);
    const removed = await sb.etcd.memberChange(['member', 'remove', old?.id ?? ''], 0);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await sb.etcd.memberList(0)).map((m) => m.name)).not.toContain('etcd-2');
    const seen = sb.sim.requests.length;
    const run = await recover('--yes', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as RecoverMemberResult;
    expect(result.member).toBe('etcd-2');
    expect(result.oldMemberId).toBeNull();
    // Here the member-added phase ran: it is timed, in its place.
    expect(result.phases.map((p) => p.phase)).toEqual(['plan', 'member-added', 'storage-replaced', 'rejoined']);
    const added = /added etcd-2 to the member list \(member ([0-9a-f]+);/.exec(result.actions.join('\n'))?.[1];
    expect(added, result.actions.join('\n')).toBeDefined();
    const commands = sb.sim.requests
      .slice(seen)
      .filter((q) => q.url.includes('/exec?'))
      .map((q) => new URL(q.url, 'http://sim').searchParams.getAll('command').join(' '));
    // A plain `member add`: reset-member finds that entry by its peer URL, removes it and adds etcd-2
    // back as a voting member, so a learner would never have started.
    // (etcd refuses membership changes for a while after one: the add may be asked several times.)
    const adds = commands.filter((c) => /member add etcd-2 /.test(c));
    expect(adds.length).toBeGreaterThan(0);
    expect(adds.filter((c) => /--learner/.test(c))).toEqual([]);
    expect(commands.some((c) => /member promote/.test(c))).toBe(false);
    const final = await sb.etcd.memberList(0);
    const etcd2 = final.find((m) => m.name === 'etcd-2');
    expect(etcd2?.isLearner).toBe(false);
    expect(etcd2?.id).not.toBe(added); // reset-member's own entry replaced the one hcp-dr added
    expect(final.map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(final.some((m) => m.isLearner || m.status !== 'started')).toBe(false);
    expect(result.verification.every((v) => v.ok)).toBe(true);
    const after = await status();
    expect(after.verdict.state).toBe('Healthy');
    expect(after.members.map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(after.members.every((m) => !m.learner && m.hash !== null)).toBe(true);
    expect(new Set(after.members.map((m) => `${m.hashRevision}:${m.hash}`)).size).toBe(1);
    expect(await sb.etcd.get('/hcp-dr-test/recover/marker', 2)).toBe('before');
  });

  it('a named healthy member is replaced too (rotation)', async () => {
    const oldId = (await sb.etcd.memberList(0)).find((m) => m.name === 'etcd-0')?.id;
    const run = await recover('etcd-0', '--yes', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as RecoverMemberResult;
    expect(result.newMemberId).not.toBe(oldId);
    expect((await status()).verdict.state).toBe('Healthy');
    expect(await sb.etcd.get('/hcp-dr-test/recover/marker', 0)).toBe('before');
  });

  it('when killed with SIGKILL right after the storage was released, resume finishes: Healthy, record gone', async () => {
    await sb.etcd.kill(1);
    await waitForKilledMembers(sb);
    const run = await untilStep('storage-replaced');
    expect(run.reached, run.stderr).toBe(true);
    // Past the point of no return: the kill may land after the next phase (rejoined) was recorded.
    expect(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION]).toMatch(/"phase":"(storage-replaced|rejoined)"/);
    const resumed = await cli('resume', 'demo');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/rejoined/);
    expect(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION]).toBeUndefined();
    expect((await status()).verdict.state).toBe('Healthy');
    expect(await sb.etcd.get('/hcp-dr-test/recover/marker', 1)).toBe('before');
  });

  it('when killed with SIGKILL right after taking the lock, resume runs the checks again and finishes', async () => {
    await sb.etcd.kill(2);
    await waitForKilledMembers(sb);
    const run = await untilStep('locked');
    expect(run.reached, run.stderr).toBe(true);
    // Only one API call separates "locked" from the next phase: the kill may land after it.
    expect(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION]).toMatch(/"phase":"(started|storage-replaced)"/);
    const recorded = (JSON.parse(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION] ?? '{}') as { phase: string })
      .phase;
    const resumed = await cli('resume', 'demo', '-o', 'json');
    expect(resumed.code, resumed.stderr).toBe(0);
    // The phases it ran, timed: the checks again before the point of no return, then the recorded phase on
    // (member-added skipped: the killed member is still in the list).
    const at = changeIndex(recoverMemberWorkflow, recorded);
    const again = at < recoverMemberWorkflow.pointOfNoReturn ? recoverMemberWorkflow.checks.map((c) => c.name) : [];
    const onward = recoverMemberWorkflow.changes.slice(Math.max(at, 0)).map((c) => c.name);
    const { phases } = JSON.parse(resumed.stdout) as ResumeResult;
    expect(phases?.map((p) => p.phase)).toEqual([...again, ...onward.filter((n) => n !== 'member-added')]);
    expect(phases?.every((p) => p.seconds >= 0)).toBe(true);
    expect(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION]).toBeUndefined();
    expect((await status()).verdict.state).toBe('Healthy');
  });

  it('when killed with SIGKILL right after "member add", resume finishes: the member rejoins, Healthy', async () => {
    const old = (await sb.etcd.memberList(0)).find((m) => m.name === 'etcd-1');
    // Removed while the cluster is whole (a removal needs a quorum that answers), then stopped.
    const removed = await sb.etcd.memberChange(['member', 'remove', old?.id ?? ''], 0);
    expect(removed.code, removed.stderr).toBe(0);
    await sb.etcd.kill(1);
    const run = await untilStep('member-added');
    expect(run.reached, run.stderr).toBe(true);
    // The kill may land after the next phase was recorded: either way the record must be there for resume.
    expect(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION]).toMatch(
      /"phase":"(member-added|storage-replaced)"/,
    );
    const resumed = await cli('resume', 'demo');
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = await status();
    expect(after.verdict.state).toBe('Healthy');
    expect(after.members.map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(await sb.etcd.get('/hcp-dr-test/recover/marker', 1)).toBe('before');
  });
});

/** Runs recover-member in a child process and SIGKILLs it when it reports `step`. */
function untilStep(step: string): Promise<{ reached: boolean; stderr: string }> {
  const args = ['etcd', 'recover-member', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--yes', '-v'];
  return cliKilledAt(args, `debug: step: ${step}\n`, { env: sb.env });
}
