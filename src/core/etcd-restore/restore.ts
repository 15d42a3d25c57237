/**
 * `etcd restore`: the in-place restore of a hosted cluster's etcd from one snapshot into EVERY
 * member volume (hypershift-domain.md §2.3-2.4), for quorum loss and on-premise clusters. With
 * the data in one volume only, the empty members can form a cluster of their own with the same
 * initial cluster and win the election (§3): this command never leaves a volume unrestored.
 *
 * Ordering is the safety mechanism:
 *  1. Every check and the snapshot's verification run before the first change (restore-plan.ts).
 *  2. The operation record (lock, undo data: pause, API server and etcd replicas, image,
 *     snapshot identity) is written before the first change; every phase is recorded before
 *     the step it names, so `resume` knows the most that may have happened.
 *  3. Until phase etcd-started, any failure, SIGINT or SIGTERM rolls back (restore-end.ts): the
 *     old data back in every volume, replicas and pause as before. Old data is only moved aside.
 *  4. From etcd-started on, only forward: etcd and API servers back, verified by data, unpaused.
 */
import { InterruptedError, PartialFailureError, causeText } from '../errors.ts';
import type { Clock, Cluster, Reporter } from '../ports.ts';
import { startPause, scaleDeployments, waitForDeployments, type Pause, type QuiesceContext } from '../controlplane/quiesce.ts';
import { acquireOperation, updateOperation, type EtcdRestoreOperation } from '../operation/record.ts';
import type { DataVerification } from '../etcd/verify-data.ts';
import { copyToHelpers, probeTool, restoreInEveryHelper } from '../etcd/restore-copy.ts';
import { finishRestore, rollBackRestore, scaleEtcd, waitEtcdPods, type EndContext, type Undo } from './restore-end.ts';
import { createHelpers, waitHelpersReady, type HelperContext } from '../etcd/restore-helpers.ts';
import { checkAtProbe, planEtcdRestore, type EtcdRestoreRequest, type PreparedRestore } from './restore-plan.ts';
import { volumePaths } from '../etcd/restore-scripts.ts';
import { openSnapshot, takeMemberSnapshot, type SnapshotInfo } from '../etcd/restore-source.ts';
import { BUMP_REVISION, noBumpNote } from '../etcd/versions.ts';

export interface EtcdRestoreDeps extends Cluster {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  toolVersion: string;
  newId: () => string;
  /** Called after each phase (tests kill the process here). */
  step?: (name: string) => void;
  onBytes?: (n: number) => void;
  /** How long the pause lasts unless renewed (it is renewed while the run lives). */
  pauseTtlMs?: number;
}

export interface EtcdRestoreResult {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'EtcdRestoreResult';
  hostedCluster: { namespace: string; name: string; controlPlaneNamespace: string };
  operation: string;
  source: string;
  snapshot: { sha256: string; size: number; revision: number; totalKeys: number };
  tool: { name: string; version: string; bumpRevision: boolean };
  /**
   * How far the revision was moved past the snapshot's (--bump-revision, with --mark-compacted, so
   * watches of the old cluster fail as compacted and their clients re-list); null when the image's
   * tool cannot (etcd 3.4), which notes says.
   */
  revisionBump: number | null;
  members: number;
  apiDowntimeSeconds: number;
  notes: string[];
  actions: string[];
  verification: DataVerification['etcd'];
  /** Commands that remove the moved-aside data, when it was kept. */
  removeOldData: string[];
}

export async function runEtcdRestore(
  req: EtcdRestoreRequest,
  deps: EtcdRestoreDeps,
  prepared?: PreparedRestore,
): Promise<EtcdRestoreResult> {
  const p = prepared ?? (await planEtcdRestore(req, deps));
  const id = deps.newId();
  const paths = volumePaths(id);
  let op: EtcdRestoreOperation = {
    id,
    type: 'etcd-restore',
    startedAt: deps.clock.now().toISOString(),
    phase: 'started',
    toolVersion: deps.toolVersion,
    source: p.plan.source,
    etcdReplicas: p.etcdReplicas,
    image: p.image,
    keepOldData: req.keepOldData,
    ...(p.info?.backupUrl ? { backup: p.info.backupUrl } : {}),
    ...(p.info?.backupId ? { backupId: p.info.backupId } : {}),
    ...(p.info ? { sha256: p.info.sha256, revision: p.info.revision, totalKeys: p.info.totalKeys } : {}),
    ...(req.source.kind === 'member' ? { sourceMember: req.source.pod } : {}),
  };
  const hc = await acquireOperation(deps.api, p.hc, op, p.apiReplicas);
  const undo: Undo = {
    previousPausedUntil: (p.hc['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ?? null,
    previousReplicas: p.apiReplicas,
  };
  const record = async (next: EtcdRestoreOperation) => {
    op = next;
    await updateOperation(deps.api, hc, op);
  };
  deps.step?.('locked');
  const ctx: EndContext = {
    ...deps,
    namespace: req.namespace,
    name: req.name,
    cpNamespace: p.cpNamespace,
    waitTimeoutMs: req.waitTimeoutMs,
  };
  const hctx: HelperContext = { ...ctx, controlPlaneNamespace: p.cpNamespace };
  const quiesce: QuiesceContext = {
    api: deps.api,
    clock: deps.clock,
    reporter: deps.reporter,
    namespace: req.namespace,
    name: req.name,
    controlPlaneNamespace: p.cpNamespace,
    waitTimeoutMs: req.waitTimeoutMs,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const notes = [...(p.info?.notes ?? [])];
  let pause: Pause | undefined;
  let info: SnapshotInfo | undefined = p.info;
  let downtimeStart: number | undefined;
  let tool: EtcdRestoreResult['tool'] | undefined;
  try {
    pause = await startPause(quiesce, deps.pauseTtlMs ?? 30 * 60_000);
    await record({ ...op, phase: 'paused' });
    deps.step?.('paused');
    downtimeStart = deps.clock.now().getTime();
    const zero = Object.fromEntries(Object.keys(p.apiReplicas).map((d) => [d, 0]));
    await scaleDeployments(quiesce, zero);
    await waitForDeployments(quiesce, zero);
    if (req.source.kind === 'member') {
      // Taken once nothing writes any more (API servers at 0), so no write is lost in between.
      deps.reporter.info(`taking a snapshot in member ${req.source.pod}`);
      info = await takeMemberSnapshot(deps.exec, p.cpNamespace, req.source.pod, paths);
      notes.push(...info.notes);
      for (const n of info.notes) deps.reporter.warn(n);
      await record({ ...op, source: info.description, sha256: info.sha256, revision: info.revision, totalKeys: info.totalKeys });
      deps.signal?.throwIfAborted();
    }
    const snapshot = info as SnapshotInfo;
    await scaleEtcd(ctx, 0);
    await waitEtcdPods(ctx, 0);
    await record({ ...op, phase: 'scaled-down' });
    deps.step?.('scaled-down');
    await record({ ...op, phase: 'helpers' });
    await createHelpers(hctx, p.etcdReplicas, p.image, id);
    await waitHelpersReady(hctx, p.etcdReplicas);
    deps.step?.('helpers');
    deps.reporter.info(`copying the snapshot (${snapshot.size} bytes) into ${p.etcdReplicas} member volumes`);
    // Which tool the image has is asked while the bytes flow: it costs no downtime.
    const probing = probeTool(hctx);
    probing.catch(() => undefined);
    const source = await openSnapshot(req.source, snapshot, hctx, paths);
    await copyToHelpers(hctx, p.etcdReplicas, source, snapshot, paths, deps.onBytes);
    const probe = await probing;
    tool = { name: probe.tool, version: probe.version, bumpRevision: probe.bumpRevision };
    // No etcd pod ran at planning: the image's own tool tells the target's version (rolled back if refused).
    if (!p.targetVersion) notes.push(...checkAtProbe(req, snapshot, probe, p.image));
    if (!probe.bumpRevision) {
      const note = noBumpNote(probe.tool, probe.version);
      notes.push(note);
      deps.reporter.warn(note);
    }
    op = { ...op, bumpRevision: probe.bumpRevision };
    await record({ ...op, phase: 'copied' });
    deps.step?.('copied');
    deps.signal?.throwIfAborted();
    await record({ ...op, phase: 'restoring' });
    deps.step?.('restoring');
    const flags = {
      replicas: p.etcdReplicas,
      controlPlaneNamespace: p.cpNamespace,
      token: `hcp-dr-${id}`,
      skipHashCheck: snapshot.skipHashCheck,
      bumpRevision: probe.bumpRevision,
    };
    await restoreInEveryHelper(hctx, paths, flags, probe.tool);
    await record({ ...op, phase: 'restored' });
    deps.step?.('restored');
    deps.signal?.throwIfAborted();
  } catch (err) {
    pause?.stop();
    deps.reporter.warn(`etcd restore failed (${causeText(err)}): rolling back to the old data`);
    const undoCtx = { ...ctx, signal: undefined };
    let actions: string[];
    try {
      actions = await rollBackRestore(undoCtx, op, undo);
    } catch (rollbackErr) {
      throw new PartialFailureError(`etcd restore failed: ${causeText(err)}; and the rollback failed: ${causeText(rollbackErr)}`, {
        cause: err,
        hint: `finish the rollback with: {cmd} resume ${req.name} -n ${req.namespace}`,
      });
    }
    const undone = `rolled back (${actions.join('; ')})`;
    if (deps.signal?.aborted) throw new InterruptedError(`etcd restore interrupted; ${undone}`, { cause: err });
    throw withRollbackNote(err, undone);
  }
  // Point of no return: etcd starts on the restored data.
  await record({ ...op, phase: 'etcd-started' });
  deps.step?.('etcd-started');
  // No renewal from here: it could re-pause the cluster after finishRestore unpaused it.
  pause?.stop();
  try {
    const end = await finishRestore(ctx, op, undo, record);
    pause?.stop();
    deps.step?.('verified');
    const snapshot = info as SnapshotInfo;
    return {
      apiVersion: 'hcp-dr.openshift.io/v1alpha1',
      kind: 'EtcdRestoreResult',
      hostedCluster: { namespace: req.namespace, name: req.name, controlPlaneNamespace: p.cpNamespace },
      operation: id,
      source: snapshot.description,
      snapshot: { sha256: snapshot.sha256, size: snapshot.size, revision: snapshot.revision, totalKeys: snapshot.totalKeys },
      tool: tool ?? { name: '', version: '', bumpRevision: false },
      revisionBump: tool?.bumpRevision ? BUMP_REVISION : null,
      members: p.etcdReplicas,
      apiDowntimeSeconds: Math.round(end.apiDowntimeEnd - (downtimeStart ?? end.apiDowntimeEnd)) / 1000,
      notes,
      actions: end.actions,
      verification: end.verification.etcd,
      removeOldData: end.oldDataKept,
    };
  } catch (err) {
    pause?.stop();
    const hint = `etcd runs on the restored data; finish (verify, unpause, clean up) with: {cmd} resume ${req.name} -n ${req.namespace}`;
    if (deps.signal?.aborted)
      throw new InterruptedError('etcd restore interrupted after etcd started on the restored data', { cause: err, hint });
    if (err instanceof PartialFailureError) throw err;
    throw new PartialFailureError(`etcd restore did not finish: ${causeText(err)}`, { cause: err, hint });
  }
}

/** The original error, its message extended by what the rollback did (its exit code kept). */
function withRollbackNote(err: unknown, note: string): unknown {
  if (err instanceof Error) err.message = `${err.message}; ${note}`;
  return err;
}
