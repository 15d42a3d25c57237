/**
 * `etcd restore` as phases (operation/workflow.ts), carried out by the runner for a run
 * (restore.ts) and for `resume` (restore-resume.ts):
 *
 *   plan          (check)  every check and the snapshot's verification (restore-plan.ts): reads only
 *   paused        pause with a deadline (renewed while the run lives), API servers to 0, and for
 *                 --from-member the snapshot taken once nothing writes
 *                 undo: the --from-member file removed, API servers and the pause as before
 *   scaled-down   etcd to 0
 *                 undo: every volume back to its old data, helpers removed, etcd scaled back
 *   helpers       one helper pod per member volume
 *   copied        the snapshot into every volume (SHA-256 checked in each), the image's tool probed
 *   restoring     `snapshot restore` in every helper; the old data only moved aside
 *   restored      every volume holds the restored data
 *   etcd-started  (point of no return) helpers gone, etcd started on the restored data, API servers back
 *   verified      the data verified, unpaused, restart-date set, the moved-aside data removed
 */
import { controlPlaneNamespace } from '../model.ts';
import type { Clock, Cluster, Reporter } from '../ports.ts';
import {
  quiesceContextOf,
  startPause,
  scaleDeployments,
  waitForDeployments,
  type Pause,
  type QuiesceContext,
} from '../controlplane/quiesce.ts';
import { defineWorkflow, type PhaseRun } from '../operation/workflow.ts';
import { copyToHelpers, probeTool, restoreInEveryHelper } from '../etcd/restore-copy.ts';
import {
  putBackVolumes,
  scaleEtcd,
  startOnRestoredData,
  undoPause,
  verifyAndFinish,
  waitEtcdPods,
  type EndContext,
  type Finished,
  type Undo,
} from './restore-end.ts';
import { createHelpers, waitHelpersReady, type HelperContext } from '../etcd/restore-helpers.ts';
import { checkAtProbe, planEtcdRestore, type EtcdRestoreRequest, type PreparedRestore } from './restore-plan.ts';
import { volumePaths } from '../etcd/restore-scripts.ts';
import { openSnapshot, takeMemberSnapshot, type SnapshotInfo } from '../etcd/restore-source.ts';
import { noBumpNote } from '../etcd/versions.ts';

export interface EtcdRestoreState {
  ctx: EndContext;
  /** Absent in `resume`: it continues from the record alone. */
  req?: EtcdRestoreRequest;
  prepared?: PreparedRestore;
  onBytes?: ((n: number) => void) | undefined;
  pauseTtlMs: number;
  undo: Undo;
  pause?: Pause;
  info?: SnapshotInfo;
  notes: string[];
  downtimeStart?: number;
  apiDowntimeEnd?: number;
  tool?: { name: string; version: string; bumpRevision: boolean };
  /** What the phases after the point of no return did, in order. */
  actions: string[];
  finished?: Finished;
}

export interface EtcdRestoreContext extends Cluster {
  clock: Clock;
  reporter: Reporter;
  namespace: string;
  name: string;
  waitTimeoutMs: number;
}

export function etcdRestoreState(c: EtcdRestoreContext, undo: Undo, extra: Partial<EtcdRestoreState> = {}): EtcdRestoreState {
  // No signal here: phases add theirs (withSignal), undos must never be cut short by one.
  const ctx: EndContext = { ...c, signal: undefined, cpNamespace: controlPlaneNamespace(c.namespace, c.name) };
  return { ctx, undo, notes: [], actions: [], pauseTtlMs: 30 * 60_000, ...extra };
}

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`etcd restore state has no ${what}`);
  return value;
};

function withSignal<C extends object>(c: C, signal: AbortSignal | undefined): C & { signal?: AbortSignal } {
  return { ...c, signal };
}

const quiesceOf = (s: EtcdRestoreState, signal: AbortSignal | undefined): QuiesceContext => quiesceContextOf({ ...s.ctx, signal });

const helpersOf = (s: EtcdRestoreState, signal: AbortSignal | undefined): HelperContext =>
  withSignal({ ...s.ctx, controlPlaneNamespace: s.ctx.cpNamespace }, signal);

async function pauseAndQuiesce(s: EtcdRestoreState, run: PhaseRun<'etcd-restore'>): Promise<void> {
  const req = need(s.req, 'request');
  const p = need(s.prepared, 'plan');
  const quiesce = quiesceOf(s, run.signal);
  s.pause = await startPause(quiesce, s.pauseTtlMs);
  s.downtimeStart = s.ctx.clock.now().getTime();
  const zero = Object.fromEntries(Object.keys(p.apiReplicas).map((d) => [d, 0]));
  await scaleDeployments(quiesce, zero);
  await waitForDeployments(quiesce, zero);
  if (req.source.kind === 'member') {
    // Taken once nothing writes any more (API servers at 0), so no write is lost in between.
    s.ctx.reporter.info(`taking a snapshot in member ${req.source.pod}`);
    s.info = await takeMemberSnapshot(s.ctx.exec, s.ctx.cpNamespace, req.source.pod, volumePaths(run.operation.id));
    s.notes.push(...s.info.notes);
    for (const n of s.info.notes) s.ctx.reporter.warn(n);
    await run.record({ source: s.info.description, sha256: s.info.sha256, revision: s.info.revision, totalKeys: s.info.totalKeys });
  }
}

async function copySnapshot(s: EtcdRestoreState, run: PhaseRun<'etcd-restore'>): Promise<void> {
  const req = need(s.req, 'request');
  const p = need(s.prepared, 'plan');
  const snapshot = need(s.info, 'snapshot');
  const hctx = helpersOf(s, run.signal);
  const paths = volumePaths(run.operation.id);
  s.ctx.reporter.info(`copying the snapshot (${snapshot.size} bytes) into ${p.etcdReplicas} member volumes`);
  // Which tool the image has is asked while the bytes flow: it costs no downtime.
  const probing = probeTool(hctx);
  probing.catch(() => undefined);
  const source = await openSnapshot(req.source, snapshot, hctx, paths);
  await copyToHelpers(hctx, p.etcdReplicas, source, snapshot, paths, s.onBytes);
  const probe = await probing;
  s.tool = { name: probe.tool, version: probe.version, bumpRevision: probe.bumpRevision };
  // No etcd pod ran at planning: the image's own tool tells the target's version (rolled back if refused).
  if (!p.targetVersion) s.notes.push(...checkAtProbe(req, snapshot, probe, p.image));
  if (!probe.bumpRevision) {
    const note = noBumpNote(probe.tool, probe.version);
    s.notes.push(note);
    s.ctx.reporter.warn(note);
  }
  await run.record({ bumpRevision: probe.bumpRevision });
}

async function restoreVolumes(s: EtcdRestoreState, run: PhaseRun<'etcd-restore'>): Promise<void> {
  const p = need(s.prepared, 'plan');
  const snapshot = need(s.info, 'snapshot');
  const tool = need(s.tool, 'tool');
  const flags = {
    replicas: p.etcdReplicas,
    controlPlaneNamespace: p.cpNamespace,
    token: `hcp-dr-${run.operation.id}`,
    skipHashCheck: snapshot.skipHashCheck,
    bumpRevision: tool.bumpRevision,
  };
  await restoreInEveryHelper(helpersOf(s, run.signal), volumePaths(run.operation.id), flags, tool.name);
}

export const etcdRestoreWorkflow = defineWorkflow<'etcd-restore', EtcdRestoreState>({
  type: 'etcd-restore',
  what: 'etcd restore',
  afterPointOfNoReturn: 'etcd runs on the restored data; finish (verify, unpause, clean up)',
  onEnd: (s) => s.pause?.stop(),
  phases: [
    {
      kind: 'check',
      name: 'plan',
      async run(s, run) {
        s.prepared ??= await planEtcdRestore(need(s.req, 'request'), withSignal(s.ctx, run.signal));
        s.info ??= s.prepared.info;
        s.notes.push(...(s.prepared.info?.notes ?? []));
      },
    },
    {
      kind: 'change',
      name: 'paused',
      run: pauseAndQuiesce,
      undoes: 'the pause and the scale-down',
      async undo(s, run) {
        s.pause?.stop();
        return (await undoPause(s.ctx, run.operation, s.undo, run.operation.phase)).join('; ');
      },
    },
    {
      kind: 'change',
      name: 'scaled-down',
      async run(s, run) {
        await scaleEtcd(withSignal(s.ctx, run.signal), 0);
        await waitEtcdPods(withSignal(s.ctx, run.signal), 0);
      },
      undoes: 'the old data back in every member volume',
      undo: async (s, run) => (await putBackVolumes(s.ctx, run.operation, run.operation.phase)).join('; '),
    },
    {
      kind: 'change',
      name: 'helpers',
      async run(s, run) {
        const p = need(s.prepared, 'plan');
        await createHelpers(helpersOf(s, run.signal), p.etcdReplicas, p.image, run.operation.id);
        await waitHelpersReady(helpersOf(s, run.signal), p.etcdReplicas);
      },
    },
    { kind: 'change', name: 'copied', run: copySnapshot },
    { kind: 'change', name: 'restoring', run: restoreVolumes },
    // A mark: every volume holds the restored data; etcd has not started on it.
    { kind: 'change', name: 'restored', run: async () => undefined },
    {
      kind: 'change',
      name: 'etcd-started',
      pointOfNoReturn: true,
      async run(s, run) {
        // No renewal from here: it could re-pause the cluster after it is unpaused.
        s.pause?.stop();
        s.apiDowntimeEnd = await startOnRestoredData(withSignal(s.ctx, run.signal), run.operation, s.undo, s.actions);
      },
    },
    {
      kind: 'change',
      name: 'verified',
      async run(s, run) {
        s.finished = await verifyAndFinish(withSignal(s.ctx, run.signal), run.operation, s.undo);
        s.actions.push(...s.finished.actions);
      },
    },
  ],
});
