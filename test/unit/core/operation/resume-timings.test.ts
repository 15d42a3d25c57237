/**
 * The phase timings `resume` reports (`phases` in -o json) for backup, etcd restore and
 * recover-member: the phases the resume ran, from the record alone, each with its duration. Going
 * forward: the checks it ran again, then the recorded phase and every one after it; rolling back:
 * the undos, from the recorded phase down, marked `undo`. Expected lists are derived from each
 * workflow's own definition; the work of its phases is replaced by time passing on a fake clock
 * (a backup's resume runs its real undos against an in-memory cluster).
 */
import { describe, expect, it } from 'vitest';
import { Annotations, Resources, type KubeObject } from '../../../../src/core/model.ts';
import type { ExecRequest } from '../../../../src/core/ports.ts';
import { operationAnnotations, readOperation, type OperationType } from '../../../../src/core/operation/record.ts';
import { resumeWorkflow, type PhaseTiming, type RunOutcome } from '../../../../src/core/operation/runner.ts';
import { hostedClusterStore } from '../../../../src/core/operation/store.ts';
import { changeIndex, defineWorkflow, type OperationOf, type Phase, type Workflow } from '../../../../src/core/operation/workflow.ts';
import { backupWorkflow } from '../../../../src/core/backup/phases.ts';
import { resumeBackup } from '../../../../src/core/backup/resume.ts';
import { etcdRestoreWorkflow, type EtcdRestoreState } from '../../../../src/core/etcd-restore/restore-phases.ts';
import { etcdRestoreResumed } from '../../../../src/core/etcd-restore/restore-resume.ts';
import { recoverMemberWorkflow } from '../../../../src/core/recover-member/recover-member-phases.ts';
import { recoverMemberResult } from '../../../../src/core/recover-member/recover-member.ts';
import { FakeClock, memoryReporter } from '../../../support/fakes/clock.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';
import { deployment, hostedCluster } from '../../../support/fakes/objects.ts';
import { recoverMemberState } from '../../../support/fakes/workflow-states.ts';

/** The i-th phase of the definition's list takes 100 * (i + 1) ms; its undo 1000 * (i + 1) ms. */
const runMs = (i: number) => 100 * (i + 1);
const undoMs = (i: number) => 1000 * (i + 1);

function onTheClock<T extends OperationType, S>(wf: Workflow<T, S>, clock: FakeClock): Workflow<T, S> {
  const phases = wf.phases.map((p, i) => ({
    ...p,
    run: () => clock.sleep(runMs(i)),
    ...(p.kind === 'change' && p.undo ? { undo: () => clock.sleep(undoMs(i)) } : {}),
  })) as Phase<T, S>[];
  return defineWorkflow({ ...wf, phases });
}

/** Resumes `wf` (on the clock) from a record at `phase` held on an in-memory HostedCluster. */
async function resumedFrom<T extends OperationType, S>(wf: Workflow<T, S>, state: S, phase: string): Promise<RunOutcome<T>> {
  const api = new FakeKube();
  const op = { id: 'op1', type: wf.type, startedAt: '2026-12-07T09:00:00Z', phase, toolVersion: 'test' } as OperationOf<T>;
  api.put(Resources.hostedCluster, hostedCluster('demo', { metadata: { annotations: operationAnnotations(op) } }));
  const clock = new FakeClock();
  const outcome = await resumeWorkflow(onTheClock(wf, clock), state, op, {
    store: hostedClusterStore<T>(api, 'clusters', 'demo'),
    reporter: memoryReporter(),
    clock,
    resumeCommand: 'hcp-dr resume demo -n clusters',
  });
  expect(readOperation((await api.get(Resources.hostedCluster, 'clusters', 'demo'))!)).toBeUndefined();
  return outcome;
}

/** What the definition says a resume from `phase` runs (not skipped in `state`), with the durations of their places in the list. */
function expected<T extends OperationType, S>(wf: Workflow<T, S>, state: S, phase: string, recheck = false): PhaseTiming[] {
  const at = changeIndex(wf, phase);
  const place = (name: string) => wf.phases.findIndex((p) => p.name === name);
  const live = wf.changes.filter((c) => !c.skip?.(state));
  if (at < wf.pointOfNoReturn && !recheck)
    return live
      .filter((c) => c.undo && changeIndex(wf, c.name) <= at)
      .reverse()
      .map((c) => ({ phase: c.name, seconds: undoMs(place(c.name)) / 1000, undo: true }));
  const forward = live.filter((c) => changeIndex(wf, c.name) >= Math.max(at, 0)).map((c) => c.name);
  const ran = [...(recheck && at < wf.pointOfNoReturn ? wf.checks.map((c) => c.name) : []), ...forward];
  return ran.map((name) => ({ phase: name, seconds: runMs(place(name)) / 1000 }));
}

const recorded = (wf: { changes: readonly { name: string }[] }) => ['started', ...wf.changes.map((c) => c.name)];

describe("resume's phase timings", () => {
  const etcdState = () => ({ notes: [], actions: [], undo: {} }) as unknown as EtcdRestoreState;

  it.each(recorded(etcdRestoreWorkflow))('etcd restore from %s: the undos before etcd-started, the phases from it on', async (phase) => {
    const state = etcdState();
    const outcome = await resumedFrom(etcdRestoreWorkflow, state, phase);
    const result = etcdRestoreResumed('clusters', 'demo', outcome.operation, state, outcome);
    expect(result.phases).toEqual(expected(etcdRestoreWorkflow, state, phase));
    expect(result.phases!.every((p) => p.seconds >= 0)).toBe(true);
    const back = changeIndex(etcdRestoreWorkflow, phase) < etcdRestoreWorkflow.pointOfNoReturn;
    expect(result.actions[0]).toMatch(back ? /^rolled back etcd restore op1/ : /^finished etcd restore op1/);
    expect(result.phases!.every((p) => p.undo === (back ? true : undefined))).toBe(true);
  });

  it.each(recorded(recoverMemberWorkflow))('recover-member from %s: the checks again before storage-replaced, then on', async (phase) => {
    for (const needsMemberAdd of [true, false]) {
      const state = recoverMemberState(needsMemberAdd);
      const outcome = await resumedFrom(recoverMemberWorkflow, state, phase);
      const result = recoverMemberResult(state, outcome.operation, outcome.phases);
      expect(result.phases).toEqual(expected(recoverMemberWorkflow, state, phase, true));
      expect(result.phases.at(-1)?.phase).toBe(recoverMemberWorkflow.changes.at(-1)?.name);
      expect(result.phases.some((p) => p.undo)).toBe(false);
    }
  });

  it.each(recorded(backupWorkflow))('backup from %s: every undo from the recorded phase down, in that order', async (phase) => {
    const state = { namespace: 'clusters', name: 'demo', apiDowntimeSeconds: null } as never;
    const outcome = await resumedFrom(backupWorkflow, state, phase);
    expect(outcome.direction).toBe('rolled-back');
    expect(outcome.phases).toEqual(expected(backupWorkflow, state, phase));
  });
});

describe("a backup's resume reports its real undos, timed", () => {
  it('killed after the snapshot of a quiesced backup: the file removed, then the API servers back and unpaused', async () => {
    const api = new FakeKube();
    const clock = new FakeClock();
    const op = {
      id: 'op1',
      type: 'backup',
      startedAt: '2026-12-07T09:00:00Z',
      phase: 'snapshotted',
      member: 'etcd-0',
      snapshotPath: '/var/lib/data/hcp-dr-op1.db',
    } as const;
    const previousReplicas = { 'kube-apiserver': 3, 'openshift-apiserver': 2 };
    api.put(
      Resources.hostedCluster,
      hostedCluster('demo', {
        metadata: { annotations: operationAnnotations(op, { previousPausedUntil: null, previousReplicas }) },
        spec: { pausedUntil: '2026-12-07T09:30:00Z' },
      }),
    );
    const hcp = { metadata: { namespace: 'clusters-demo', name: 'demo' }, spec: { pausedUntil: '2026-12-07T09:30:00Z' } };
    api.put(Resources.hostedControlPlane, hcp);
    for (const d of Object.keys(previousReplicas)) api.put(Resources.deployment, deployment('clusters-demo', d, 0));
    // The operator copies spec.pausedUntil to the HostedControlPlane only as time passes: the undo waits for it.
    clock.onSleep = () => {
      const hc = api.objects.get(FakeKube.keyOf(Resources.hostedCluster, 'clusters', 'demo')) as KubeObject;
      api.put(Resources.hostedControlPlane, { ...hcp, spec: { ...(hc['spec'] as object) } });
    };
    const commands: string[][] = [];
    const exec = { exec: async (r: ExecRequest) => (commands.push(r.command), { exitCode: 0, stdout: '', stderr: '' }) };
    const hc = (await api.get(Resources.hostedCluster, 'clusters', 'demo'))!;
    const result = await resumeBackup({
      namespace: 'clusters',
      name: 'demo',
      hc,
      record: readOperation(hc) as never,
      deps: { api, exec, clock, reporter: memoryReporter() },
    });
    const undone = backupWorkflow.changes.filter(
      (c) => c.undo && changeIndex(backupWorkflow, c.name) <= changeIndex(backupWorkflow, op.phase),
    );
    expect(result.phases?.map((p) => p.phase)).toEqual(undone.map((c) => c.name).reverse());
    expect(result.phases?.every((p) => p.undo === true && p.seconds >= 0)).toBe(true);
    // The unpause waited for the operator: that wait is in the quiesce's undo, not lost.
    expect(result.phases?.find((p) => p.phase === 'quiesced')?.seconds).toBeGreaterThan(0);
    expect(commands).toEqual([['rm', '-f', op.snapshotPath, `${op.snapshotPath}.part`]]);
    const after = (await api.get(Resources.hostedCluster, 'clusters', 'demo'))!;
    expect(after.metadata.annotations?.[Annotations.operation]).toBeUndefined();
    expect(after['spec']).toEqual({});
  });
});
