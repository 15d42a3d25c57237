/**
 * The runner's phase timings, as backup, etcd restore and recover-member report them (`phases` in
 * -o json): each workflow's own definition run through the runner on the in-memory API, its phases'
 * work replaced by time passing on a fake clock. The timings are present, in the order of the
 * definition's phase list (a skipped phase absent), each the time its phase took, never negative.
 * And move's backup phase has one name: the record's, the test hook's, its timing's and its plan's.
 */
import { describe, expect, it } from 'vitest';
import { Resources } from '../../../../src/core/model.ts';
import type { Clock } from '../../../../src/core/ports.ts';
import { readOperation, type OperationType } from '../../../../src/core/operation/record.ts';
import { runWorkflow, type PhaseTiming } from '../../../../src/core/operation/runner.ts';
import { hostedClusterStore } from '../../../../src/core/operation/store.ts';
import { defineWorkflow, type OperationOf, type Phase, type Workflow } from '../../../../src/core/operation/workflow.ts';
import { backupWorkflow } from '../../../../src/core/backup/phases.ts';
import { etcdRestoreWorkflow } from '../../../../src/core/etcd-restore/restore-phases.ts';
import { recoverMemberWorkflow } from '../../../../src/core/recover-member/recover-member-phases.ts';
import { recoverMemberResult } from '../../../../src/core/recover-member/recover-member.ts';
import { moveStep, moveWorkflow } from '../../../../src/core/move/phases.ts';
import { planMove } from '../../../../src/core/move/plan.ts';
import { BACKED_UP } from '../../../../src/core/move/types.ts';
import { FakeClock, memoryReporter } from '../../../support/fakes/clock.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';
import { hostedCluster } from '../../../support/fakes/objects.ts';
import { recoverMemberState } from '../../../support/fakes/workflow-states.ts';

type Sleeper = Clock & { sleep(ms: number): Promise<void> };

/** The definition with every phase's work replaced by `ms(i)` milliseconds on the clock (the i-th phase of the list). */
function onTheClock<T extends OperationType, S>(wf: Workflow<T, S>, clock: Sleeper, ms: (i: number) => number): Workflow<T, S> {
  const phases = wf.phases.map((p, i) => ({ ...p, run: () => clock.sleep(ms(i)) })) as Phase<T, S>[];
  return defineWorkflow({ ...wf, phases });
}

async function timings<T extends OperationType, S>(
  wf: Workflow<T, S>,
  state: S,
  type: T,
  ms: (i: number) => number = (i) => 250 * (i + 1),
  clock: Sleeper = new FakeClock(),
): Promise<{ phases: PhaseTiming[]; api: FakeKube }> {
  const api = new FakeKube();
  api.put(Resources.hostedCluster, hostedCluster());
  const hc = (await api.get(Resources.hostedCluster, 'clusters', 'demo'))!;
  const op = { id: 'op1', type, startedAt: '2026-12-07T09:00:00Z', phase: 'started', toolVersion: 'test' } as OperationOf<T>;
  const outcome = await runWorkflow(onTheClock(wf, clock, ms), state, op, {
    store: hostedClusterStore<T>(api, 'clusters', 'demo', () => ({ hc })),
    reporter: memoryReporter(),
    clock,
    resumeCommand: 'hcp-dr resume demo -n clusters',
  });
  return { phases: outcome.phases, api };
}

const names = (wf: { phases: readonly { name: string }[] }) => wf.phases.map((p) => p.name);

describe("the runner's timings in the workflows' results", () => {
  it('backup: every phase, checks first, in the order of its definition, each the time it took', async () => {
    const { phases, api } = await timings(
      backupWorkflow,
      { namespace: 'clusters', name: 'demo', apiDowntimeSeconds: null } as never,
      'backup',
    );
    expect(phases.map((p) => p.phase)).toEqual(['preflight', 'quiesced', 'snapshotted', 'resumed', 'uploaded']);
    expect(phases.map((p) => p.phase)).toEqual(names(backupWorkflow));
    expect(phases.map((p) => p.seconds)).toEqual([0.25, 0.5, 0.75, 1, 1.25]);
    // The run finished: the record is gone, the timings are what is left of it.
    expect(readOperation((await api.get(Resources.hostedCluster, 'clusters', 'demo'))!)).toBeUndefined();
  });

  it('etcd restore: the plan check and every change phase through the point of no return to verified', async () => {
    const { phases } = await timings(etcdRestoreWorkflow, { notes: [], actions: [] } as never, 'etcd-restore');
    expect(phases.map((p) => p.phase)).toEqual(names(etcdRestoreWorkflow));
    expect(phases.map((p) => p.phase)).toEqual([
      'plan',
      'paused',
      'scaled-down',
      'helpers',
      'copied',
      'restoring',
      'restored',
      'etcd-started',
      'verified',
    ]);
    expect(phases.every((p, i) => p.seconds === 0.25 * (i + 1))).toBe(true);
  });

  it('recover-member: member-added only when it ran, and the result carries the timings as they came', async () => {
    const state = recoverMemberState;
    const skipped = await timings(recoverMemberWorkflow, state(false), 'recover-member');
    expect(skipped.phases.map((p) => p.phase)).toEqual(['plan', 'storage-replaced', 'rejoined']);
    // The skipped phase neither ran nor took time: the others keep the durations of their places in the list.
    expect(skipped.phases.map((p) => p.seconds)).toEqual([0.25, 0.75, 1]);
    const added = await timings(recoverMemberWorkflow, state(true), 'recover-member');
    expect(added.phases.map((p) => p.phase)).toEqual(names(recoverMemberWorkflow));
    const op = { id: 'op1', type: 'recover-member', startedAt: '', phase: 'rejoined', member: 'etcd-1' } as const;
    expect(recoverMemberResult(state(true), op, added.phases).phases).toEqual(added.phases);
  });

  it('a phase that takes no time counts 0, and a clock stepped back never makes a negative duration', async () => {
    let now = Date.parse('2026-12-07T09:00:00Z');
    // Every sleep steps the clock BACK (an NTP correction in the middle of a phase).
    const backwards = { now: () => new Date(now), sleep: async (ms: number) => void (now -= ms) };
    const { phases } = await timings(backupWorkflow, { namespace: 'clusters', name: 'demo' } as never, 'backup', () => 5000, backwards);
    expect(phases).toHaveLength(5);
    expect(phases.every((p) => p.seconds === 0)).toBe(true);
    const instant = await timings(backupWorkflow, { namespace: 'clusters', name: 'demo' } as never, 'backup', () => 0);
    expect(instant.phases.map((p) => p.seconds)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("move's phases have one name each", () => {
  it('the record’s and the definition’s, the test hook’s, and the plan’s entries', () => {
    expect(BACKED_UP).toBe('backed-up');
    expect(moveWorkflow.changes.map((p) => p.name)).toContain(BACKED_UP);
    const seen: string[] = [];
    moveStep((n) => seen.push(n))!(BACKED_UP);
    expect(seen).toEqual([BACKED_UP]);
    const req = {
      namespace: 'clusters',
      name: 'demo',
      source: { context: 'mgmt1' },
      destination: { context: 'mgmt2' },
      via: { url: 's3://b/hcp' },
      pauseTtlMs: 30 * 60_000,
      dnsTimeoutMs: 600_000,
      withNodes: false,
      keepSource: false,
    };
    const pre = {
      nodePools: [],
      replicas: { 'kube-apiserver': 3 },
      apiHostname: 'api.demo.example.com',
      sourceAddresses: ['10.0.0.1'],
      backup: { member: { pod: 'etcd-0' }, capture: { secrets: [] } },
    };
    const plan = planMove(req as never, pre as never);
    // The plan has a row per change phase, under the phase's own name, in the definition's order.
    expect(plan.map((p) => p.phase)).toEqual(moveWorkflow.changes.map((p) => p.name));
    expect(plan.map((p) => p.phase)).toEqual([
      'frozen',
      BACKED_UP,
      'dns-handoff',
      'restoring',
      'verified',
      'tearing-down',
      'source-removed',
    ]);
  });
});
