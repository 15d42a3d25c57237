/**
 * How an `etcd restore` is undone and how it ends, as the phases of restore-phases.ts use them;
 * each step idempotent and driven by the operation record alone, so the run (on failure or
 * interrupt) and `resume` (after SIGKILL) share them:
 *  - before etcd has started on the restored data: putBackVolumes (etcd kept at 0, the old data
 *    put back in every volume through fresh helper pods, deleting the old ones stops any script
 *    still running; helpers removed, etcd scaled back; when data had been moved and cannot be put
 *    back, etcd stays at 0 and the record stays: never in between), then undoPause (the
 *    --from-member file removed, the API servers and the pause as before);
 *  - from etcd-started on: startOnRestoredData (helpers gone, etcd scaled back and Ready, the API
 *    servers back), then verifyAndFinish (the data verified: member count, hashkv, revision, keys;
 *    unpaused, restart-date set, the moved-aside data removed unless kept).
 */
import { PartialFailureError, RemoteError, causeText } from '../errors.ts';
import { Etcd, Resources } from '../model.ts';
import type { Clock, Cluster, Reporter } from '../ports.ts';
import {
  restorePausedUntil,
  scaleDeployments,
  undoQuiesce,
  waitForDeployments,
  quiesceContextOf,
  type QuiesceContext,
} from '../controlplane/quiesce.ts';
import { waitUntil } from '../controlplane/wait.ts';
import { OperationPhases, type EtcdRestoreOperation } from '../operation/record.ts';
import { verifyRestoredData, type DataVerification } from '../etcd/verify-data.ts';
import { createHelpers, deleteHelpers, helperExec, lastLine, waitHelpersReady, type HelperContext } from '../etcd/restore-helpers.ts';
import { cleanupScript, KEPT, putBackScript, removeOldDataCommand, volumePaths } from '../etcd/restore-scripts.ts';
import { scaleEtcdTo as scaleEtcd, waitEtcdReplicas as waitEtcdPods } from '../etcd/volume-restore.ts';

export const RESTART_DATE = 'hypershift.openshift.io/restart-date';

export interface EndContext extends Cluster {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  namespace: string;
  name: string;
  cpNamespace: string;
  waitTimeoutMs: number;
}

export interface Undo {
  previousPausedUntil: string | null | undefined;
  previousReplicas: Record<string, number> | undefined;
}

const PHASES: readonly string[] = OperationPhases['etcd-restore'];
export const phaseAt = (phase: string) => PHASES.indexOf(phase);

const quiesceOf = (ctx: EndContext): QuiesceContext => quiesceContextOf(ctx);
const helpersOf = (ctx: EndContext): HelperContext => ({ ...ctx, controlPlaneNamespace: ctx.cpNamespace });

/** Scaling etcd and waiting for its pods: the in-place restore's own (volume-restore.ts), shared with restore's repair. */
export { scaleEtcd, waitEtcdPods };

/**
 * Before etcd started on the restored data, with etcd scaled down (phase `scaled-down` or later
 * recorded as `at`): every volume back to its old data (or the copied snapshot removed, when
 * nothing was moved yet), helpers removed, etcd scaled back.
 */
export async function putBackVolumes(ctx: EndContext, op: EtcdRestoreOperation, at: string): Promise<string[]> {
  const actions: string[] = [];
  const replicas = op.etcdReplicas ?? 3;
  const paths = volumePaths(op.id);
  const hctx = helpersOf(ctx);
  const moved = phaseAt(at) >= phaseAt('restoring');
  try {
    await scaleEtcd(ctx, 0);
    await waitEtcdPods(ctx, 0);
    await deleteHelpers(hctx, replicas);
    await createHelpers(hctx, replicas, op.image ?? '', op.id);
    await waitHelpersReady(hctx, replicas);
    const results = await Promise.all(Array.from({ length: replicas }, (_, i) => helperExec(hctx, i, putBackScript(paths))));
    const bad = results.findIndex((r) => r.exitCode !== 0);
    if (bad >= 0) throw new RemoteError(`helper pod ${bad}: ${lastLine(results[bad]?.stderr ?? '')}`);
    actions.push(moved ? 'put the old data back in every member volume' : 'removed the copied snapshot from every member volume');
  } catch (err) {
    if (moved) {
      await deleteHelpers(hctx, replicas).catch(() => undefined);
      throw new PartialFailureError(
        `failed to put the old etcd data back: ${causeText(err)}; etcd stays scaled to 0 and the record stays, so nothing starts on half-restored data`,
        { cause: err, hint: `fix the cause, then run "{cmd} resume ${ctx.name} -n ${ctx.namespace}" (safe to repeat)` },
      );
    }
    ctx.reporter.warn(`could not remove the copied snapshot from the member volumes (${causeText(err)}): remove ${paths.snapshot} by hand`);
  }
  await deleteHelpers(hctx, replicas);
  actions.push('removed the helper pods');
  await scaleEtcd(ctx, replicas);
  actions.push(`scaled etcd back to ${replicas}`);
  return actions;
}

/**
 * The pause and scale-down undone: etcd back at its replicas (a no-op after putBackVolumes), the
 * --from-member snapshot file removed when etcd was never scaled down (`at` before it), the API
 * servers and spec.pausedUntil as before.
 */
export async function undoPause(ctx: EndContext, op: EtcdRestoreOperation, undo: Undo, at: string): Promise<string[]> {
  const actions: string[] = [];
  const replicas = op.etcdReplicas ?? 3;
  const paths = volumePaths(op.id);
  if (phaseAt(at) < phaseAt('scaled-down')) {
    await scaleEtcd(ctx, replicas);
    actions.push(`scaled etcd back to ${replicas}`);
  }
  if (op.sourceMember && phaseAt(at) < phaseAt('scaled-down')) {
    const r = await ctx.exec
      .exec({
        namespace: ctx.cpNamespace,
        pod: op.sourceMember,
        container: Etcd.container,
        command: ['rm', '-f', paths.source, `${paths.source}.part`],
      })
      .catch((err: unknown) => ({ exitCode: 1, stderr: causeText(err), stdout: '' }));
    if (r.exitCode === 0) actions.push(`removed ${paths.source} from ${op.sourceMember}`);
    else
      ctx.reporter.warn(
        `could not remove ${paths.source} from ${op.sourceMember} (${lastLine(r.stderr)}): kubectl exec -n ${ctx.cpNamespace} ${op.sourceMember} -c etcd -- rm -f ${paths.source}`,
      );
  }
  const undone = await undoQuiesce(quiesceOf(ctx), undo);
  actions.push(...undone.actions);
  if (undone.failures.length > 0)
    throw new PartialFailureError(`failed to finish the rollback: ${undone.failures.join('; ')}`, {
      hint: `run "{cmd} resume ${ctx.name} -n ${ctx.namespace}" (safe to repeat)`,
    });
  return actions;
}

export interface Finished {
  actions: string[];
  verification: DataVerification;
  oldDataKept: string[];
}

/** From etcd-started on: helpers gone, etcd started on the restored data, the API servers back. Returns when the API downtime ended. */
export async function startOnRestoredData(ctx: EndContext, op: EtcdRestoreOperation, undo: Undo, actions: string[]): Promise<number> {
  const replicas = op.etcdReplicas ?? 3;
  await deleteHelpers(helpersOf(ctx), replicas);
  await scaleEtcd(ctx, replicas);
  await waitEtcdPods(ctx, replicas);
  actions.push(`scaled etcd back to ${replicas}: the members started on the restored data`);
  const quiesce = quiesceOf(ctx);
  if (undo.previousReplicas) {
    await scaleDeployments(quiesce, undo.previousReplicas);
    await waitForDeployments(quiesce, undo.previousReplicas).catch((err: unknown) =>
      ctx.reporter.warn(`API servers not ready yet: ${causeText(err)}`),
    );
    actions.push(
      `scaled ${Object.entries(undo.previousReplicas)
        .map(([d, n]) => `${d} to ${n}`)
        .join(', ')}`,
    );
  }
  return ctx.clock.now().getTime();
}

/** The restored data verified, then unpaused, restart-date set, the moved-aside data removed (unless kept). */
export async function verifyAndFinish(ctx: EndContext, op: EtcdRestoreOperation, undo: Undo): Promise<Finished> {
  const actions: string[] = [];
  const replicas = op.etcdReplicas ?? 3;
  const paths = volumePaths(op.id);
  let last: DataVerification | undefined;
  try {
    await waitUntil({ ...ctx, timeoutMs: ctx.waitTimeoutMs }, 'the restored data to verify', async () => {
      last = await verifyRestoredData({
        api: ctx.api,
        exec: ctx.exec,
        clock: ctx.clock,
        namespace: ctx.namespace,
        name: ctx.name,
        backup: { revision: op.revision ?? 0, totalKeys: op.totalKeys ?? 0 },
        bumped: op.bumpRevision === true,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return last.state === 'Restored';
    });
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    throw new PartialFailureError(`etcd started on the restored data but it does not verify: ${last?.reason ?? causeText(err)}`, {
      cause: err,
      hint: `inspect with "{cmd} etcd status ${ctx.name} -n ${ctx.namespace}"; "{cmd} resume ${ctx.name} -n ${ctx.namespace}" verifies again and finishes (the old data is kept aside)`,
    });
  }
  const verification = last as DataVerification;
  actions.push(`verified: ${verification.reason}`);
  const quiesce = quiesceOf(ctx);
  if (undo.previousPausedUntil !== undefined) {
    await restorePausedUntil(quiesce, undo.previousPausedUntil);
    actions.push(
      undo.previousPausedUntil === null ? 'removed spec.pausedUntil' : `restored spec.pausedUntil to "${undo.previousPausedUntil}"`,
    );
  }
  const now = ctx.clock.now().toISOString();
  await ctx.api.mergePatch(Resources.hostedCluster, ctx.namespace, ctx.name, { metadata: { annotations: { [RESTART_DATE]: now } } });
  actions.push(`set ${RESTART_DATE} to ${now} so the control plane reconnects`);
  const oldDataKept: string[] = [];
  for (let i = 0; i < replicas; i++) {
    const r = await ctx.exec
      .exec({
        namespace: ctx.cpNamespace,
        pod: `etcd-${i}`,
        container: Etcd.container,
        command: ['/bin/sh', '-c', cleanupScript(paths, op.keepOldData === true)],
      })
      .catch((err: unknown) => ({ exitCode: 1, stderr: causeText(err), stdout: '' }));
    if (r.exitCode !== 0 || r.stdout.includes(KEPT)) oldDataKept.push(removeOldDataCommand(ctx.cpNamespace, i, paths));
    if (r.exitCode !== 0) ctx.reporter.warn(`could not clean up the volume of etcd-${i} (${lastLine(r.stderr)})`);
  }
  actions.push(
    oldDataKept.length === 0 ? 'removed the moved-aside data' : `kept the moved-aside data (${paths.old}) in ${oldDataKept.length} volumes`,
  );
  return { actions, verification, oldDataKept };
}
