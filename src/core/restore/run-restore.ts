/**
 * `restore <backup-url>`: carried out by the operation runner from the phases of phases.ts:
 * checks (the backup, the preflight, trust, --replace's confirmation) → [--replace: delete and
 * wait] → apply in order → wait for EtcdSnapshotRestored → verify by data. The restore is
 * recorded on the HostedCluster it creates (store.ts); a run killed at any point is finished by
 * running it again or by `resume` (resumeRestore), from the cluster alone.
 */
import { NotFoundError, PartialFailureError, PreconditionError } from '../errors.ts';
import { controlPlaneNamespace, type KubeObject } from '../model.ts';
import type { OpenedStore, S3Target } from '../ports.ts';
import { resumeWorkflow, runWorkflow, type RunnerIO, type RunOutcome } from '../operation/runner.ts';
import { BackupFiles } from '../bundle/layout.ts';
import { restoreWorkflow, type RestoreState } from './phases.ts';
import type { Preflight } from './preflight.ts';
import { readRestoreRecord, type RestoreRecord } from './record.ts';
import { recordedSource, type RecordedSnapshot, type RepairSource } from './repair.ts';
import { withNodeCount } from './nodes.ts';
import { restoreStore } from './store.ts';
import { restoreResult } from './result.ts';
import type { RestoreBundle, RestoreDeps, RestoreRequest, RestoreResult } from '../contracts/restore.ts';

export async function runRestore(req: RestoreRequest, deps: RestoreDeps): Promise<RestoreResult> {
  const s = newState(req, deps);
  s.repairFrom = { allowed: req.repair !== false, source: () => Promise.resolve(repairSource(s, req)) };
  if (req.dryRun) {
    for (const check of restoreWorkflow.checks) await check.run(s, { reporter: deps.reporter, signal: deps.signal });
    return restoreResult(facts(s), deps.api, deps.clock, s.planned, null, null);
  }
  const outcome = await carryOut(s, () => runWorkflow(restoreWorkflow, s, (st) => st.record!, io(s)));
  const result = restoreResult(facts(s), deps.api, deps.clock, s.applied, s.verification!, outcome.operation as RestoreRecord, s.repair);
  return withNodeCount(result, { ...deps, timeoutMs: req.waitTimeoutMs });
}

/** `resume` of a restore: finish waiting and verifying from the record on the HostedCluster. */
export async function resumeRestore(
  hc: KubeObject,
  deps: Omit<RestoreDeps, 'confirmReplace' | 'onBytes'>,
  waitTimeoutMs: number,
  /** Opens the recorded backup's store (resume's S3 flags and credential chain), so a split brain can be repaired. */
  openStore?: (target: S3Target) => Promise<OpenedStore>,
): Promise<RestoreResult> {
  const record = readRestoreRecord(hc);
  const namespace = hc.metadata.namespace ?? '';
  const name = hc.metadata.name ?? '';
  if (!record)
    throw new NotFoundError(`failed to resume: HostedCluster ${namespace}/${name} carries no restore record`, {
      hint: 'nothing to finish',
    });
  const bundle = bundleFromRecord(hc, record);
  const rerun = `{cmd} restore ${record.backup}${namespace !== bundle.manifest.hostedCluster.namespace ? ` -n ${namespace}` : ''}`;
  // The store reads where it writes from the state: completed in place.
  const s = newState(undefined, deps, { waitTimeoutMs, rerun, attached: true });
  Object.assign(s, {
    namespace,
    name,
    cp: controlPlaneNamespace(namespace, name),
    bundle,
    pre: {
      checks: [],
      warnings: [],
      resumeRecord: record,
      alreadyRestored: false,
      toDelete: [],
      leftoverPvcs: [],
      sameManagementCluster: undefined,
    },
    repairFrom: { allowed: true, ...(openStore ? { source: () => recordedSource(record, openStore) } : {}) },
    ...stagedOf(record, openStore),
  } satisfies Partial<RestoreState>);
  const outcome = await carryOut(s, () => resumeWorkflow(restoreWorkflow, s, record, io(s)));
  return restoreResult(facts(s), deps.api, deps.clock, s.applied, s.verification!, outcome.operation as RestoreRecord, s.repair);
}

function newState(
  req: RestoreRequest | undefined,
  deps: Omit<RestoreDeps, 'confirmReplace' | 'onBytes'> & Partial<Pick<RestoreDeps, 'confirmReplace' | 'onBytes'>>,
  resume?: { waitTimeoutMs: number; rerun: string; attached: true },
): RestoreState {
  const s = {
    ...(req ? { req } : {}),
    deps,
    startedAt: deps.clock.now(),
    waitTimeoutMs: req?.waitTimeoutMs ?? resume?.waitTimeoutMs ?? 0,
    rerun: req?.rerun ?? resume?.rerun ?? '',
    repairFrom: { allowed: false },
    namespace: req?.namespace ?? '',
    name: '',
    cp: '',
    desired: [],
    planned: [],
    applied: [],
    created: [],
    repair: null,
  } as Omit<RestoreState, 'store'> as RestoreState;
  s.store = restoreStore(deps.api, s, () => s.verification?.state === 'Restored', resume?.attached);
  return s;
}

/** The runner's I/O; `step: <name>` debug lines are the test hook (restore-crash.test.ts). */
function io(s: RestoreState): RunnerIO<'restore'> {
  return {
    store: s.store,
    reporter: s.deps.reporter,
    clock: s.deps.clock,
    signal: s.deps.signal,
    step: (name) => {
      if (name !== 'locked') s.deps.reporter.debug(`step: ${name}`);
    },
    // The HostedCluster is named once the backup is read (a check).
    get resumeCommand() {
      return `{cmd} resume ${s.name} -n ${s.namespace}`;
    },
  };
}

/**
 * Runs or resumes, then says `step: verified`. Past the point of no return the runner wraps a
 * failure as "restore did not finish (phase ...)": the restore's own failures already name the
 * command that goes on (a re-run, `resume`, --replace) and keep their exit codes, so the cause is
 * what surfaces.
 */
async function carryOut(s: RestoreState, go: () => Promise<RunOutcome<'restore'>>): Promise<RunOutcome<'restore'>> {
  try {
    const outcome = await go();
    s.deps.reporter.debug('step: verified');
    return outcome;
  } catch (err) {
    if (err instanceof PartialFailureError && err.cause instanceof Error && err.message.startsWith('restore did not finish (phase '))
      throw err.cause;
    throw err;
  }
}

/** For `resume`: the backup facts the record carries (no store access needed). */
function bundleFromRecord(hc: KubeObject, record: RestoreRecord): RestoreBundle {
  const spec = (hc['spec'] ?? {}) as { platform?: { type?: string } };
  const namespace = hc.metadata.namespace ?? '';
  const name = hc.metadata.name ?? '';
  const manifest = {
    id: record.backupId,
    createdAt: record.backupCreatedAt,
    hostedCluster: { namespace, name, platform: spec.platform?.type ?? '', controlPlaneNamespace: controlPlaneNamespace(namespace, name) },
    snapshot: { revision: record.revision, totalKeys: record.totalKeys, sha256: '', size: 0, file: '' },
  } as unknown as RestoreBundle['manifest'];
  return { url: record.backup, manifest, hostedCluster: hc, nodePools: [], objects: [] };
}

/** What the result reports besides the phases' outcome. */
function facts(s: RestoreState) {
  return { bundle: s.bundle!, namespace: s.namespace, name: s.name, cp: s.cp, pre: s.pre as Preflight, startedAt: s.startedAt };
}

/** The backup's own snapshot object, as the run verified it (its staged plain copy, if any): what a repair reads again. */
function repairSource(s: RestoreState, req: RestoreRequest): RepairSource {
  const snapshot = s.record!.snapshot!;
  const file = snapshot.file || BackupFiles.snapshot;
  const key = s.staged?.key ?? (req.prefix ? `${req.prefix}/${file}` : file);
  return { store: req.store, key, sha256: snapshot.sha256, size: snapshot.size };
}

/**
 * `resume`: the staged copy the record names (bundle/staging.ts), deleted once verifying ends; its store
 * is reached as the record says (resume's S3 flags and credential chain).
 */
function stagedOf(record: RestoreRecord, openStore?: (target: S3Target) => Promise<OpenedStore>): Pick<RestoreState, 'staged'> {
  const snap = (record as RecordedSnapshot).snapshot;
  if (!snap?.staged) return {};
  const open = async () => {
    if (!openStore)
      throw new PreconditionError(`the staged snapshot copy s3://.../${snap.staged} of the restore cannot be deleted from here`, {
        hint: 'run resume from the hcp-dr command line, which can reach the backup',
      });
    return (await openStore({ url: record.backup, ...(snap.via ?? {}) })).store;
  };
  return { staged: { key: snap.staged, open } };
}
