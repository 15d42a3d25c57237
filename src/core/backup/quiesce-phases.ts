/**
 * The backup's quiesce and its end (phases.ts): the pause with a deadline and the API servers to 0
 * before the snapshot, their undo, and the API servers back right after it.
 */
import { causeText, PartialFailureError } from '../errors.ts';
import {
  replicasToRestore,
  restorePausedUntil,
  scaleDeployments,
  startPause,
  undoQuiesce,
  waitForDeployments,
  type QuiesceContext,
} from '../controlplane/quiesce.ts';
import { releaseQuiesceUndo } from '../operation/record.ts';
import type { PhaseRun } from '../operation/workflow.ts';
import { operationStillHeld } from '../capture/operation-watch.ts';
import { snapshotStatus } from '../etcd/pod-snapshot.ts';
import { need, podOf, type BackupState } from './state.ts';

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

export async function quiesce(s: BackupState, run: PhaseRun<'backup'>): Promise<void> {
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

export async function unquiesce(s: BackupState): Promise<string | void> {
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

export async function resumeApi(s: BackupState, run: PhaseRun<'backup'>): Promise<void> {
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
  // Online the lock's undo data (the pause as found, no replicas) goes with the record at the release.
  if (s.req?.mode !== 'online') await releaseQuiesceUndo(s.deps.api, s.namespace, s.name);
}
