/**
 * `backup`: a crash-safe, verified etcd snapshot of a hosted cluster to an object store.
 *
 * Ordering is the safety mechanism:
 *  1. Everything that can fail without touching the cluster runs first (etcd health, the
 *     encryption key, deployments, the bucket), so most failures cost no downtime at all.
 *  2. The undo record (lock, previous pausedUntil, previous replicas) is written on the
 *     HostedCluster before the first change: `resume` can undo a run killed with SIGKILL.
 *  3. The pause is a deadline, not "true": if nobody runs `resume`, reconciliation restarts.
 *  4. The API servers come back right after the snapshot is taken: the upload runs with the
 *     API up, so downtime is the snapshot time only.
 *  5. backup.json is written last; a prefix without it is not a backup.
 * Any error, SIGINT or SIGTERM runs the compensations in reverse before the error surfaces.
 */
import { InterruptedError, PartialFailureError, causeText } from '../errors.ts';
import { backupPrefix, keysPrefix } from '../bundle/layout.ts';
import {
  restorePausedUntil,
  replicasToRestore,
  scaleDeployments,
  startPause,
  waitForDeployments,
  type Pause,
  type QuiesceContext,
} from '../controlplane/quiesce.ts';
import { acquireOperation, releaseOperation, releaseQuiesceUndo, updateOperation, type BackupOperation } from '../operation/record.ts';
import { Rollback, type CompensationHandle } from '../operation/rollback.ts';
import { operationStillHeld } from '../capture/operation-watch.ts';
import { removeSnapshot, saveSnapshot, snapshotPathFor, snapshotStatus, type PodRef } from '../etcd/pod-snapshot.ts';
import { preflight } from '../capture/plan.ts';
import { uploadBackup } from '../capture/upload.ts';
import type { BackupDeps, BackupRequest, BackupResult } from '../capture/request.ts';

export async function runBackup(req: BackupRequest, deps: BackupDeps): Promise<BackupResult> {
  const { api, reporter } = deps;
  // 1. Preflight: reads only.
  const { hc, controlPlaneNamespace: cpNamespace, member, tls, replicas, capture } = await preflight(req, deps);
  const quiesce: QuiesceContext = {
    api,
    clock: deps.clock,
    reporter,
    namespace: req.namespace,
    name: req.name,
    controlPlaneNamespace: cpNamespace,
    waitTimeoutMs: req.waitTimeoutMs,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const id = deps.newBackupId();
  const prefix = backupPrefix(req.destination.prefix, req.namespace, req.name, id);
  await req.destination.store.list(`${prefix}/`); // Credentials and bucket are checked before any downtime.
  reporter.info(`backing up ${req.namespace}/${req.name} from member ${member.pod} to ${req.destination.store.url(prefix)}/ (${req.mode})`);

  // 2. The undo record, before the first change.
  const operation: BackupOperation = {
    id,
    type: 'backup',
    startedAt: deps.clock.now().toISOString(),
    phase: 'started',
    toolVersion: deps.toolVersion,
  };
  quiesce.stillHeld = operationStillHeld(api, req.namespace, req.name, id);
  const lockedHc = await acquireOperation(api, hc, operation, replicas);
  deps.step?.('locked');
  const rollback = new Rollback(reporter);
  rollback.push('remove the operation record', () => releaseOperation(api, req.namespace, req.name));
  const pod: PodRef = { exec: deps.exec, namespace: cpNamespace, pod: member.pod, ...(deps.signal ? { signal: deps.signal } : {}) };
  // Compensations run after an interrupt too: they must not carry the aborted signal.
  const undoQuiesce: QuiesceContext = { ...quiesce, signal: undefined, stillHeld: undefined };
  const undoPod: PodRef = { ...pod, signal: undefined };
  const previousPausedUntil = (hc['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ?? null;
  let pause: Pause | undefined;
  const quiesceUndo: CompensationHandle[] = [];
  let downtimeStart: number | undefined;
  let apiDowntimeSeconds: number | null = null;
  try {
    if (req.mode === 'quiesce') {
      // 3. Pause with a deadline, renewed while the run lasts.
      quiesceUndo.push(rollback.push('unpause the HostedCluster', () => restorePausedUntil(undoQuiesce, previousPausedUntil)));
      pause = await startPause(quiesce, req.pauseTtlMs);
      deps.step?.('paused');
      quiesceUndo.push(
        rollback.push('scale the API servers back', async () =>
          scaleDeployments(undoQuiesce, await replicasToRestore(undoQuiesce, replicas)),
        ),
      );
      downtimeStart = deps.clock.now().getTime();
      const zero = Object.fromEntries(Object.keys(replicas).map((d) => [d, 0]));
      await scaleDeployments(quiesce, zero);
      await waitForDeployments(quiesce, zero);
      deps.step?.('quiesced');
    }
    const path = snapshotPathFor(id);
    await updateOperation(api, lockedHc, { ...operation, phase: 'quiesced', member: member.pod, snapshotPath: path });
    rollback.push(`remove ${path} from pod ${member.pod}`, () => removeSnapshot(undoPod, path));
    await saveSnapshot(pod, tls, path);
    deps.signal?.throwIfAborted();
    deps.step?.('snapshotted');

    if (req.mode === 'quiesce') {
      // 4. API back up right after the snapshot; the upload runs with the API available.
      await scaleDeployments(quiesce, replicas);
      await waitForDeployments(quiesce, replicas).catch((err: unknown) => reporter.warn(`API servers not ready yet: ${causeText(err)}`));
      apiDowntimeSeconds = (deps.clock.now().getTime() - (downtimeStart ?? 0)) / 1000;
      // Unpausing is not part of the downtime: the API servers already serve.
      pause?.stop();
      await restorePausedUntil(quiesce, previousPausedUntil);
      rollback.drop(...quiesceUndo);
      reporter.info(`API servers back after ${apiDowntimeSeconds}s of downtime`);
    }
    // The file is point-in-time already: checking it need not extend the downtime.
    const status = await snapshotStatus(pod, tls, path);
    await updateOperation(api, lockedHc, { ...operation, phase: 'resumed', member: member.pod, snapshotPath: path });
    // After the API is back, the undo data for pause and scale is spent: drop it, keep the lock.
    await releaseQuiesceUndo(api, req.namespace, req.name);
    deps.step?.('resumed');

    // 5. Upload; backup.json last.
    // Both prefixes: Secrets already written under --keys-to would otherwise be orphaned, since
    // only backup.json names them and it is written last.
    const written = [{ store: req.destination.store, prefix }];
    if (req.keysDestination)
      written.push({ store: req.keysDestination.store, prefix: keysPrefix(req.keysDestination.prefix, req.namespace, req.name, id) });
    rollback.push(
      'delete the incomplete upload',
      async () => {
        for (const w of written) {
          const objects = await w.store.list(`${w.prefix}/`);
          await Promise.all(objects.map((o) => w.store.delete(o.key)));
        }
      },
      { bestEffort: true },
    );
    const manifest = await uploadBackup({
      req,
      deps,
      capture,
      pod,
      path,
      prefix,
      id,
      status,
      member,
      apiDowntimeSeconds,
      etcdVersion: member.version,
    });
    await removeSnapshot(pod, path);
    await releaseOperation(api, req.namespace, req.name);
    deps.step?.('done');
    return { manifest, url: `${req.destination.store.url(prefix)}/` };
  } catch (err) {
    pause?.stop();
    const failures = await rollback.run();
    if (failures.length > 0) {
      throw new PartialFailureError(
        `failed to back up "${req.namespace}/${req.name}": ${causeText(err)}; and the rollback failed: ${failures.join('; ')}`,
        {
          cause: err,
          hint: `undo what is left with: {cmd} resume ${req.name} -n ${req.namespace}`,
        },
      );
    }
    if (deps.signal?.aborted)
      throw new InterruptedError(`backup of "${req.namespace}/${req.name}" interrupted; the cluster was restored`, { cause: err });
    throw err;
  }
}
