/**
 * The backup workflow as phases (operation/workflow.ts), carried out by the runner for a run
 * (run-backup.ts) and for `resume` (resume.ts). A backup has no point of no return: until the
 * record is released every phase can be undone, and `resume` undoes what a killed run left.
 *
 *   preflight    (check)  etcd health, the encryption key, the deployments, the bucket: reads only
 *   quiesced     pause with a deadline (renewed while the run lives), API servers to 0
 *                undo: API servers back, spec.pausedUntil as it was
 *   snapshotted  the snapshot file written in the member's pod (its path recorded first); online,
 *                its `snapshot status` taken in the same exec
 *                undo: the file removed (a leftover only costs volume space: warned, not failed)
 *   resumed      API servers back and unpaused right after the snapshot: downtime ends here; the
 *                quiesce undo data is dropped, the lock kept
 *   uploaded     snapshot and restore inputs uploaded, backup.json last; the file removed (online:
 *                by the exec that streamed it; quiesced: after backup.json)
 *                undo: the incomplete upload deleted, by version on a versioned bucket; objects
 *                under Object Lock kept and reported (best effort; never a complete backup)
 */
import { causeText, PartialFailureError } from '../errors.ts';
import { backupPrefix, keysPrefix } from '../bundle/layout.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import {
  replicasToRestore,
  restorePausedUntil,
  scaleDeployments,
  startPause,
  undoQuiesce,
  waitForDeployments,
  type Pause,
  type QuiesceContext,
} from '../controlplane/quiesce.ts';
import { releaseQuiesceUndo } from '../operation/record.ts';
import { defineWorkflow, type PhaseRun } from '../operation/workflow.ts';
import type { SnapshotStatus } from '../etcd/etcdctl.ts';
import { operationStillHeld } from '../capture/operation-watch.ts';
import { removeSnapshot, saveAndCheckSnapshot, saveSnapshot, snapshotPathFor, snapshotStatus, type PodRef } from '../etcd/pod-snapshot.ts';
import { preflight, type Preflight } from '../capture/plan.ts';
import { storeBackup } from '../capture/upload.ts';
import type { BackupDeps, BackupRequest } from '../capture/request.ts';
import { deleteIncompleteBackup } from './undo-upload.ts';

export interface BackupState {
  namespace: string;
  name: string;
  cpNamespace: string;
  /** Absent in `resume`: the store is not recorded (no credentials on the cluster). */
  req?: BackupRequest;
  deps: Omit<BackupDeps, 'step' | 'toolVersion' | 'newBackupId'>;
  id: string;
  pre?: Preflight;
  /** The pod and file of the snapshot, once chosen (recorded before the file is written). */
  member?: string;
  snapshotPath?: string;
  /** The undo data of the pause and scale-down while it is live on the cluster. */
  quiesceUndo?: { previousPausedUntil: string | null | undefined; previousReplicas: Record<string, number> | undefined };
  pause?: Pause;
  downtimeStart?: number;
  apiDowntimeSeconds: number | null;
  status?: SnapshotStatus;
  manifest?: BackupManifest;
}

export const prefixOf = (s: BackupState, req: BackupRequest) => backupPrefix(req.destination.prefix, s.namespace, s.name, s.id);

/** For a phase (`run` given: its signal, and a stop once `resume` took the record away) or for an undo. */
function quiesceOf(s: BackupState, run: PhaseRun<'backup'> | undefined): QuiesceContext {
  return {
    api: s.deps.api,
    clock: s.deps.clock,
    reporter: s.deps.reporter,
    namespace: s.namespace,
    name: s.name,
    controlPlaneNamespace: s.cpNamespace,
    waitTimeoutMs: s.req?.waitTimeoutMs ?? 60_000,
    ...(run ? { stillHeld: operationStillHeld(s.deps.api, s.namespace, s.name, s.id) } : {}),
    ...(run?.signal ? { signal: run.signal } : {}),
  };
}

const podOf = (s: BackupState, signal: AbortSignal | undefined): PodRef => ({
  exec: s.deps.exec,
  namespace: s.cpNamespace,
  pod: s.member ?? '',
  ...(signal ? { signal } : {}),
});

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`backup state has no ${what}`);
  return value;
};

async function quiesce(s: BackupState, run: PhaseRun<'backup'>): Promise<void> {
  const req = need(s.req, 'request');
  const pre = need(s.pre, 'preflight');
  if (req.mode !== 'quiesce') return;
  const ctx = quiesceOf(s, run);
  s.quiesceUndo = {
    previousPausedUntil: (pre.hc['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ?? null,
    previousReplicas: pre.replicas,
  };
  s.pause = await startPause(ctx, req.pauseTtlMs);
  run.step('paused');
  s.downtimeStart = s.deps.clock.now().getTime();
  const zero = Object.fromEntries(Object.keys(pre.replicas).map((d) => [d, 0]));
  await scaleDeployments(ctx, zero);
  await waitForDeployments(ctx, zero);
}

async function unquiesce(s: BackupState): Promise<string | void> {
  s.pause?.stop();
  if (!s.quiesceUndo) return;
  const ctx = quiesceOf(s, undefined);
  // Only the deployments not at their count: a run that scaled nothing needs no scale permission to undo nothing.
  const previousReplicas = s.quiesceUndo.previousReplicas ? await replicasToRestore(ctx, s.quiesceUndo.previousReplicas) : undefined;
  const { actions, failures } = await undoQuiesce(ctx, { previousPausedUntil: s.quiesceUndo.previousPausedUntil, previousReplicas });
  if (failures.length > 0) throw new PartialFailureError(failures.join('; '));
  s.quiesceUndo = undefined;
  return actions.join('; ') || undefined;
}

async function snapshot(s: BackupState, run: PhaseRun<'backup'>): Promise<void> {
  const pre = need(s.pre, 'preflight');
  s.member = pre.member.pod;
  s.snapshotPath = snapshotPathFor(s.id);
  await run.record({ member: s.member, snapshotPath: s.snapshotPath });
  // Online, no downtime waits on the check: save and status share one exec. Quiesced, status runs once the API is back.
  if (s.req?.mode === 'online') s.status = await saveAndCheckSnapshot(podOf(s, run.signal), pre.tls, s.snapshotPath);
  else await saveSnapshot(podOf(s, run.signal), pre.tls, s.snapshotPath);
}

async function removeSnapshotFile(s: BackupState): Promise<string | void> {
  if (!s.member || !s.snapshotPath) return;
  try {
    await removeSnapshot(podOf(s, undefined), s.snapshotPath);
    return `removed ${s.snapshotPath} from pod ${s.member}`;
  } catch (err) {
    s.deps.reporter.warn(
      `could not remove ${s.snapshotPath} from pod ${s.member} (${causeText(err)}); remove it with: kubectl exec -n ${s.cpNamespace} ${s.member} -c etcd -- rm -f ${s.snapshotPath}`,
    );
  }
}

async function resumeApi(s: BackupState, run: PhaseRun<'backup'>): Promise<void> {
  const pre = need(s.pre, 'preflight');
  if (s.quiesceUndo) {
    const ctx = quiesceOf(s, run);
    await scaleDeployments(ctx, pre.replicas);
    await waitForDeployments(ctx, pre.replicas).catch((err: unknown) =>
      s.deps.reporter.warn(`API servers not ready yet: ${causeText(err)}`),
    );
    s.apiDowntimeSeconds = (s.deps.clock.now().getTime() - (s.downtimeStart ?? 0)) / 1000;
    // Unpausing is not part of the downtime: the API servers already serve.
    s.pause?.stop();
    await restorePausedUntil(ctx, s.quiesceUndo.previousPausedUntil ?? null);
    s.quiesceUndo = undefined;
    s.deps.reporter.info(`API servers back after ${s.apiDowntimeSeconds}s of downtime`);
  }
  // The file is point-in-time already: checking it need not extend the downtime.
  s.status ??= await snapshotStatus(podOf(s, run.signal), pre.tls, need(s.snapshotPath, 'snapshot path'));
  await releaseQuiesceUndo(s.deps.api, s.namespace, s.name);
}

async function upload(s: BackupState, run: PhaseRun<'backup'>): Promise<void> {
  const req = need(s.req, 'request');
  const pre = need(s.pre, 'preflight');
  const pod = podOf(s, run.signal);
  const path = need(s.snapshotPath, 'snapshot path');
  const stored = await storeBackup({
    req,
    deps: { ...s.deps, toolVersion: run.operation.toolVersion ?? '' } as BackupDeps,
    capture: pre.capture,
    pod,
    path,
    prefix: prefixOf(s, req),
    id: s.id,
    status: need(s.status, 'snapshot status'),
    member: pre.member,
    apiDowntimeSeconds: s.apiDowntimeSeconds,
    etcdVersion: pre.member.version,
    etcdImage: pre.etcdImage,
    // Online, the exec that reads the file removes it. Quiesced, it is removed after backup.json as
    // its own step, the order the crash matrix kills between (resume then removes the file).
    removeSnapshotAfterRead: req.mode === 'online',
  });
  s.manifest = stored.manifest;
  if (!stored.snapshotRemoved) await removeSnapshot(pod, path);
}

async function deleteIncompleteUpload(s: BackupState): Promise<string | void> {
  // backup.json is written last: with it the backup is complete and never deleted here.
  if (!s.req || s.manifest) return;
  const written = [{ store: s.req.destination.store, prefix: prefixOf(s, s.req) }];
  // Secrets already written under --keys-to would be orphaned too: only backup.json names them.
  if (s.req.keysDestination)
    written.push({ store: s.req.keysDestination.store, prefix: keysPrefix(s.req.keysDestination.prefix, s.namespace, s.name, s.id) });
  // By version on a versioned bucket; objects under Object Lock are kept and reported (undo-upload.ts).
  return deleteIncompleteBackup(written, { locked: s.req.lock !== undefined, clock: s.deps.clock, reporter: s.deps.reporter });
}

export const backupWorkflow = defineWorkflow<'backup', BackupState>({
  type: 'backup',
  what: (s) => `backup of "${s.namespace}/${s.name}"`,
  failedTo: (s) => `failed to back up "${s.namespace}/${s.name}"`,
  rolledBack: () => 'the cluster was restored',
  rollbackNote: 'interrupt-only',
  onEnd: (s) => s.pause?.stop(),
  phases: [
    {
      kind: 'check',
      name: 'preflight',
      async run(s) {
        const req = need(s.req, 'request');
        s.pre = await preflight(req, s.deps);
        const prefix = prefixOf(s, req);
        await req.destination.store.list(`${prefix}/`); // Credentials and bucket are checked before any downtime.
        s.deps.reporter.info(
          `backing up ${s.namespace}/${s.name} from member ${s.pre.member.pod} to ${req.destination.store.url(prefix)}/ (${req.mode})`,
        );
      },
    },
    { kind: 'change', name: 'quiesced', run: quiesce, undo: unquiesce, undoes: 'scale the API servers back and unpause the HostedCluster' },
    { kind: 'change', name: 'snapshotted', run: snapshot, undo: removeSnapshotFile, undoes: 'remove the snapshot file' },
    { kind: 'change', name: 'resumed', run: resumeApi },
    { kind: 'change', name: 'uploaded', run: upload, undo: deleteIncompleteUpload, undoes: 'delete the incomplete upload' },
  ],
});
