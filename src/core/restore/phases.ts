/**
 * The restore workflow as phases (operation/workflow.ts), carried out by the runner for a run, a
 * re-run of the same restore (run-restore.ts) and `resume` (resume.ts). The record rides on the
 * HostedCluster the restore creates (store.ts), so the point of no return is its creation:
 * restoreSnapshotURL is honoured only then, and from there the only way is forward.
 *
 *   backup, preflight, trust, confirm  (checks)  read and verify the backup, every check of the
 *                 target (preflight.ts, preflight-trust.ts), then --replace's confirmation
 *   staged        a compressed/encrypted backup: its snapshot decoded into a short-lived key
 *                 etcd-init downloads (bundle/staging.ts); undone (deleted) on a failure before the point
 *                 of no return, deleted by the end of verifying otherwise; first, so a failed
 *                 decode leaves nothing else changed
 *   replaced      --replace: the old HostedCluster, NodePools and etcd PVCs deleted, waited for
 *   namespaces, cluster-data, control-plane   the objects before the HostedCluster, ensured
 *   hosted-cluster  (point of no return) created with restoreSnapshotURL and the record on it
 *   node-pools    ensured
 *   waiting       EtcdSnapshotRestored (finish.ts)
 *   verifying     the data verified on every member; a split brain repaired in place (repair.ts)
 *
 * Nothing before the point of no return is undone but the staged copy: every object is accepted
 * as identical by a re-run, which the failures say. Phases are idempotent: a re-run runs them all again.
 */
import { Resources } from '../model.ts';
import type { Clock, KubeApi, ObjectStore, PodExec, Reporter } from '../ports.ts';
import { defineWorkflow, type ChangePhase, type PhaseRun } from '../operation/workflow.ts';
import { applyObjects } from './apply.ts';
import { confirmReplace, preflightCheck, readBackup, trustCheck } from './checks.ts';
import type { RepairFrom } from './finish.ts';
import { verifyPhase, waitPhase } from './finish.ts';
import type { Preflight } from './preflight.ts';
import { readRestoreRecord, recordAnnotations, type RestoreRecord } from './record.ts';
import type { RecordedSnapshot } from './repair.ts';
import { replaceExisting } from './replace.ts';
import { deleteStaged, stageSnapshot, urlExpiry } from '../bundle/staging.ts';
import { BackupFiles, backupKey, joinKey } from '../bundle/layout.ts';
import type { RestoreRequest } from '../contracts/restore.ts';
import type { SourceProbe } from '../contracts/restore.ts';
import type { RestoreStore } from './store.ts';
import type { ApplyStep, DesiredObject, PlannedObject, PodLogs, RestoreBundle, RestoreResult } from '../contracts/restore.ts';
import type { DataVerification } from '../etcd/verify-data.ts';

export interface RestoreState {
  /** Absent in `resume`: the record names what the remaining phases need. */
  req?: RestoreRequest;
  deps: {
    api: KubeApi;
    exec: PodExec;
    logs: PodLogs;
    clock: Clock;
    reporter: Reporter;
    signal?: AbortSignal | undefined;
    onBytes?: ((n: number) => void) | undefined;
    confirmReplace?: (question: string) => Promise<void>;
    sourceProbe?: SourceProbe | undefined;
  };
  store: RestoreStore;
  startedAt: Date;
  waitTimeoutMs: number;
  /** The command that repeats this restore, for hints. */
  rerun: string;
  repairFrom: RepairFrom;
  /** Known once the backup is read (a run) or from the record (`resume`). */
  namespace: string;
  name: string;
  cp: string;
  bundle?: RestoreBundle;
  /** The record a run starts with, built from the backup. */
  record?: RecordedSnapshot;
  /** The one pre-signed URL etcd-init downloads (a run only). */
  snapshotUrl?: string;
  /**
   * The decoded copy of an encoded snapshot (bundle/staging.ts): its key, the store it is in (opened
   * when needed) and, in a run that stages it, when the URL signed for it expires (stored with it).
   */
  staged?: { key: string; expiresAt?: Date; open(): Promise<ObjectStore> };
  desired: DesiredObject[];
  pre?: Preflight;
  /** What the preflight plans (a dry run's objects). */
  planned: PlannedObject[];
  /** What the apply phases did, in order. */
  applied: PlannedObject[];
  /** What this run created, named in failures. */
  created: string[];
  /** Set by the waiting phase: it ran in this process, and what a member crash-looping after etcd-init says. */
  waited?: { crashed: string | undefined };
  verification?: DataVerification;
  repair: RestoreResult['repair'];
}

/** The restore's own fields of the record (record.ts) beside the shared ones. */
const recordFields = (run: PhaseRun<'restore'>, fields: Partial<RestoreRecord>) => run.record(fields);

const applyPhase = (name: ApplyStep): ChangePhase<'restore', RestoreState> => ({
  kind: 'change',
  name,
  run: async (s, run) => {
    s.applied.push(...(await apply(s, run, name)));
  },
});

function apply(s: RestoreState, run: PhaseRun<'restore'>, step: ApplyStep, skipHostedCluster = false): Promise<PlannedObject[]> {
  return applyObjects(
    {
      api: s.deps.api,
      reporter: s.deps.reporter,
      steps: [step],
      created: s.created,
      skipHostedCluster,
      beforeCreate: async (d) => {
        if (s.created.length === 0) await recordFields(run, { firstChangeAt: s.deps.clock.now().toISOString() });
        if (d.step !== 'hosted-cluster') return;
        await run.record({ created: [...s.created] });
        const carried = { ...recordAnnotations(run.operation as RestoreRecord), ...s.req?.hostedClusterAnnotations };
        d.object.metadata.annotations = { ...d.object.metadata.annotations, ...carried };
      },
    },
    s.desired,
  );
}

async function replace(s: RestoreState, run: PhaseRun<'restore'>): Promise<void> {
  const pre = s.pre;
  if (!pre || (pre.toDelete.length === 0 && pre.leftoverPvcs.length === 0)) return;
  await replaceExisting(
    {
      api: s.deps.api,
      clock: s.deps.clock,
      reporter: s.deps.reporter,
      namespace: s.namespace,
      name: s.name,
      timeoutMs: s.waitTimeoutMs,
      ...(run.signal ? { signal: run.signal } : {}),
      ...(s.req?.cleanupCloudResources ? { cleanupCloudResources: true } : {}),
    },
    pre,
  );
}

/**
 * Creates the HostedCluster with the record as it stands (naming what was created before it), or
 * takes over the one an earlier run of this restore created (its record: id, start, repair), or
 * accepts one an earlier, finished run restored (no record: nothing is written on it).
 */
async function hostedCluster(s: RestoreState, run: PhaseRun<'restore'>): Promise<void> {
  const live = await s.deps.api.get(Resources.hostedCluster, s.namespace, s.name);
  const carried = readRestoreRecord(live);
  const ours = live !== undefined && (carried ? carried.backup === s.bundle?.url : s.pre?.alreadyRestored === true);
  if (!ours) {
    s.applied.push(...(await apply(s, run, 'hosted-cluster')));
    s.store.attach();
    return;
  }
  s.applied.push(...(await apply(s, run, 'hosted-cluster', true)));
  if (!carried) {
    await recordFields(run, { firstChangeAt: live.metadata.creationTimestamp ?? run.operation.startedAt });
    return;
  }
  if (carried.id !== run.operation.id) {
    s.deps.reporter.info(
      `HostedCluster ${s.namespace}/${s.name} was created from this backup by run ${carried.id} (${carried.phase}): finishing it`,
    );
    const { phase: _phase, ...fields } = carried;
    await run.record(fields);
  }
  s.store.attach();
}

/** Decodes the backup's snapshot into the staged key the HostedCluster's URL names (bundle/staging.ts). */
async function stage(s: RestoreState, run: PhaseRun<'restore'>): Promise<void> {
  const req = s.req!;
  const staged = s.staged!;
  const m = s.bundle!.manifest;
  // Set where the URL was signed (checks.ts); the same reckoning otherwise.
  const expiresAt = staged.expiresAt ?? urlExpiry(s.deps.clock.now(), req.expiresInSeconds);
  s.deps.reporter.info(
    `staging the decoded snapshot at ${req.store.url(staged.key)} (deleted once the restored data is verified; if this run is abandoned, \`backup prune\` deletes it after ${expiresAt.toISOString()})`,
  );
  await stageSnapshot({
    store: req.store,
    sourceKey: backupKey(joinKey(req.prefix), m.snapshot.file || BackupFiles.snapshot),
    stagedKey: staged.key,
    expiresAt,
    keyring: req.keyring,
    expected: { sha256: m.snapshot.sha256, size: m.snapshot.size },
    signal: run.signal,
    onBytes: s.deps.onBytes,
  });
}

/** Deletes the staged copy (idempotent); what it did, for the rollback line and the log. */
async function unstage(s: RestoreState): Promise<string | void> {
  if (!s.staged) return;
  const store = await s.staged.open();
  const note = await deleteStaged(store, s.staged.key);
  const did = `deleted the staged snapshot copy ${store.url(s.staged.key)}`;
  s.deps.reporter.info(did);
  if (note) s.deps.reporter.warn(note);
  return did;
}

/**
 * The last phase: the data verified (repaired if split), then the staged copy deleted, which only
 * etcd-init and a repair read. A failure before keeps it, named in the record for `resume`.
 */
async function verifying(s: RestoreState, run: PhaseRun<'restore'>): Promise<void> {
  await verifyPhase(s, run);
  if (!s.staged || s.pre?.alreadyRestored) return;
  await unstage(s);
  run.step('unstaged');
}

export const restoreWorkflow = defineWorkflow<'restore', RestoreState>({
  type: 'restore',
  what: 'restore',
  // Nothing before the point of no return is undone: a re-run accepts what was created (apply.ts says so).
  rollbackNote: 'interrupt-only',
  rolledBack: (actions) =>
    `${actions.length ? `${actions.join('; ')}; nothing else` : 'nothing'} was undone: run the same restore again to go on (objects already created are accepted)`,
  afterPointOfNoReturn: 'the HostedCluster exists with the restore record on it',
  phases: [
    { kind: 'check', name: 'backup', run: readBackup },
    { kind: 'check', name: 'preflight', run: preflightCheck },
    { kind: 'check', name: 'trust', run: trustCheck },
    { kind: 'check', name: 'confirm', run: confirmReplace },
    {
      kind: 'change',
      name: 'staged',
      run: stage,
      undo: unstage,
      undoes: 'delete the staged snapshot copy',
      // Nothing to stage for a plain backup; none needed over a HostedCluster an earlier run finished.
      skip: (s) => !s.staged || !s.req || s.pre?.alreadyRestored === true,
    },
    { kind: 'change', name: 'replaced', run: replace },
    applyPhase('namespaces'),
    applyPhase('cluster-data'),
    applyPhase('control-plane'),
    { kind: 'change', name: 'hosted-cluster', run: hostedCluster, pointOfNoReturn: true },
    applyPhase('node-pools'),
    { kind: 'change', name: 'waiting', run: waitPhase },
    { kind: 'change', name: 'verifying', run: verifying },
  ],
});
