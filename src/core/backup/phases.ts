/**
 * The backup workflow as phases (operation/workflow.ts), carried out by the runner for a run
 * (run-backup.ts) and for `resume` (resume.ts). A backup has no point of no return: until the
 * record is released every phase can be undone, and `resume` undoes what a killed run left.
 *
 *   preflight    (check) etcd health, the encryption key, the deployments, the bucket: reads only;
 *                chooses the member and the snapshot file
 *   quiesced     pause with a deadline (renewed while the run lives), API servers to 0
 *                undo: API servers back, spec.pausedUntil as it was. Online: changes nothing, not recorded
 *   snapshotted  the snapshot file written in the member's pod, recorded with the phase before it
 *                exists; online, its `snapshot status` taken in the same exec
 *                undo: the file removed (a leftover only costs volume space: warned, not failed)
 *   resumed      API servers back and unpaused: downtime ends; the quiesce undo data dropped, the
 *                lock kept. Not recorded: it has no undo
 *   uploaded     snapshot and restore inputs, backup.json last; the file removed (online: by the exec
 *                that streamed it; quiesced: after backup.json)
 *                undo: the incomplete upload deleted (by version; Object Lock: kept and reported).
 *                Not recorded: only the run holds the store's credentials, so `resume` would do
 *                from it what it does from snapshotted
 *
 * The lock names the first recorded phase (an undo is harmless when its phase never ran), so an
 * online backup writes its record twice (lock, release), a quiesced one four times (lock,
 * snapshotted, undo data dropped, release): every write is copied to every HostedCluster watcher.
 */
import { causeText } from '../errors.ts';
import { keysPrefix } from '../bundle/layout.ts';
import { defineWorkflow, type PhaseRun } from '../operation/workflow.ts';
import { removeSnapshot, saveAndCheckSnapshot, saveSnapshot, snapshotPathFor } from '../etcd/pod-snapshot.ts';
import { preflight } from '../capture/plan.ts';
import { storeBackup } from '../capture/upload.ts';
import type { BackupDeps } from '../capture/request.ts';
import { quiesce, resumeApi, unquiesce } from './quiesce-phases.ts';
import { need, podOf, prefixOf, type BackupState } from './state.ts';
import { deleteIncompleteBackup } from './undo-upload.ts';

/** The pod and file of the snapshot, recorded with the snapshotted phase (absent until the checks chose them). */
function snapshotFile(s: BackupState): { member?: string; snapshotPath?: string } {
  return { ...(s.member ? { member: s.member } : {}), ...(s.snapshotPath ? { snapshotPath: s.snapshotPath } : {}) };
}

async function snapshot(s: BackupState, run: PhaseRun<'backup'>): Promise<void> {
  const pre = need(s.pre, 'preflight');
  const path = need(s.snapshotPath, 'snapshot path');
  // Online, no downtime waits on the check: save and status share one exec. Quiesced, status runs once the API is back.
  if (s.req?.mode === 'online') s.status = await saveAndCheckSnapshot(podOf(s, run.signal), pre.tls, path);
  else await saveSnapshot(podOf(s, run.signal), pre.tls, path);
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
  lockWithFirstPhase: true,
  onEnd: (s) => s.pause?.stop(),
  phases: [
    {
      kind: 'check',
      name: 'preflight',
      async run(s) {
        const req = need(s.req, 'request');
        s.pre = await preflight(req, s.deps);
        s.member = s.pre.member.pod;
        s.snapshotPath = snapshotPathFor(s.id);
        const prefix = prefixOf(s, req);
        await req.destination.store.list(`${prefix}/`); // Credentials and bucket are checked before any downtime.
        s.deps.reporter.info(
          `backing up ${s.namespace}/${s.name} from member ${s.pre.member.pod} to ${req.destination.store.url(prefix)}/ (${req.mode})`,
        );
      },
    },
    {
      kind: 'change',
      name: 'quiesced',
      run: quiesce,
      undo: unquiesce,
      undoes: 'scale the API servers back and unpause the HostedCluster',
      recorded: (s) => s.req?.mode !== 'online',
    },
    {
      kind: 'change',
      name: 'snapshotted',
      run: snapshot,
      undo: removeSnapshotFile,
      undoes: 'remove the snapshot file',
      records: snapshotFile,
    },
    { kind: 'change', name: 'resumed', run: resumeApi, recorded: false },
    {
      kind: 'change',
      name: 'uploaded',
      run: upload,
      undo: deleteIncompleteUpload,
      undoes: 'delete the incomplete upload',
      recorded: false,
    },
  ],
});
