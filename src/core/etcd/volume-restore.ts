/**
 * The in-place restore of one snapshot into EVERY member volume (hypershift-domain.md §2.4), as
 * one forward-only sequence for workflows that do not need `etcd restore`'s rollback: restore's
 * split-brain repair (§3.1), where the members hold nothing worth keeping but the snapshot itself.
 * Built from `etcd restore`'s machinery (helper pods, the fan-out copy checked by SHA-256 in every
 * pod, the restore script with --name/--initial-cluster), so both restore the same way.
 *
 * Contract:
 *  - pause (with a deadline, renewed while it runs) and the API servers at 0 before etcd stops;
 *  - every volume restored with the full --initial-cluster and one fresh token, or none started:
 *    etcd comes back only once every helper finished;
 *  - then etcd, the API servers and the previous pausedUntil back, restart-date set;
 *  - idempotent: run again after a crash at any point, it ends in the same state (the scripts
 *    move the old data aside once and restore into a new directory).
 * Failures are the caller's to report: nothing here rolls back.
 */
import type { Readable } from 'node:stream';
import { RemoteError, causeText } from '../errors.ts';
import { Etcd, Resources } from '../model.ts';
import type { Clock, Cluster, Reporter } from '../ports.ts';
import {
  quiesceContextOf,
  readReplicas,
  restorePausedUntil,
  scaleDeployments,
  startPause,
  waitForDeployments,
} from '../controlplane/quiesce.ts';
import { waitUntil } from '../controlplane/wait.ts';
import { copyToHelpers, probeTool, restoreInEveryHelper } from './restore-copy.ts';
import { createHelpers, deleteHelpers, lastLine, waitHelpersReady, type HelperContext } from './restore-helpers.ts';
import { cleanupScript, volumePaths } from './restore-scripts.ts';
import type { SnapshotInfo } from './restore-source.ts';

export const RESTART_DATE_ANNOTATION = 'hypershift.openshift.io/restart-date';

export interface VolumeRestoreContext extends Cluster {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  namespace: string;
  name: string;
  cpNamespace: string;
  waitTimeoutMs: number;
}

export interface VolumeRestoreInput {
  /** Names the helper pods' label, the moved-aside paths and the cluster token. */
  operationId: string;
  replicas: number;
  /** The snapshot as verified (SHA-256 and size checked again in every helper pod). */
  info: SnapshotInfo;
  /** Opens the snapshot's bytes (read once, fanned out to every helper). */
  open(): Promise<Readable>;
  onBytes?: (n: number) => void;
  /** spec.pausedUntil to put back at the end (null: none). */
  previousPausedUntil: string | null;
  /** The API servers' replicas to put back (recorded by the caller before a first run); read now when absent. */
  apiReplicas?: Record<string, number>;
}

export interface VolumeRestoreOutcome {
  actions: string[];
  /** From the API servers at 0 to scaled back. */
  apiDowntimeSeconds: number;
  tool: string;
}

export async function scaleEtcdTo(ctx: VolumeRestoreContext, replicas: number): Promise<void> {
  await ctx.api.mergePatch(Resources.statefulSet, ctx.cpNamespace, Etcd.statefulSet, { spec: { replicas } }, 'scale');
}

/** 0: until no etcd pod is left (they hold the volumes); n: until n are Ready. */
export async function waitEtcdReplicas(ctx: VolumeRestoreContext, want: number): Promise<void> {
  await waitUntil(
    { ...ctx, timeoutMs: ctx.waitTimeoutMs },
    want === 0 ? 'the etcd pods to be gone' : `${want} etcd pods to be Ready`,
    async () => {
      if (want === 0) return (await ctx.api.list(Resources.pod, ctx.cpNamespace, { labelSelector: Etcd.podSelector })).length === 0;
      const sts = await ctx.api.get(Resources.statefulSet, ctx.cpNamespace, Etcd.statefulSet);
      return ((sts?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) >= want;
    },
  );
}

export async function restoreEveryVolume(ctx: VolumeRestoreContext, input: VolumeRestoreInput): Promise<VolumeRestoreOutcome> {
  const actions: string[] = [];
  const paths = volumePaths(input.operationId);
  const hctx: HelperContext = { ...ctx, controlPlaneNamespace: ctx.cpNamespace };
  const quiesce = quiesceContextOf(ctx);
  const sts = await ctx.api.get(Resources.statefulSet, ctx.cpNamespace, Etcd.statefulSet);
  const image = (
    sts?.['spec'] as { template?: { spec?: { containers?: { name: string; image?: string }[] } } } | undefined
  )?.template?.spec?.containers?.find((c) => c.name === Etcd.container)?.image;
  if (!image) throw new RemoteError(`the etcd StatefulSet in ${ctx.cpNamespace} has no "${Etcd.container}" container image`);
  const apiReplicas = input.apiReplicas ?? (await readReplicas(quiesce));
  // At least one replica each: replicas read from a control plane an earlier run left at 0 are not the ones to put back.
  const back = Object.fromEntries(Object.entries(apiReplicas).map(([d, n]) => [d, Math.max(n, 1)]));
  const pause = await startPause(quiesce, 30 * 60_000);
  try {
    actions.push('paused reconciliation');
    const downFrom = ctx.clock.now().getTime();
    const zero = Object.fromEntries(Object.keys(apiReplicas).map((d) => [d, 0]));
    await scaleDeployments(quiesce, zero);
    await waitForDeployments(quiesce, zero);
    actions.push(`scaled ${Object.keys(apiReplicas).join(', ')} to 0`);
    await scaleEtcdTo(ctx, 0);
    await waitEtcdReplicas(ctx, 0);
    await createHelpers(hctx, input.replicas, image, input.operationId);
    await waitHelpersReady(hctx, input.replicas);
    ctx.reporter.info(`copying the snapshot (${input.info.size} bytes) into ${input.replicas} member volumes`);
    const probing = probeTool(hctx);
    probing.catch(() => undefined);
    await copyToHelpers(hctx, input.replicas, await input.open(), input.info, paths, input.onBytes);
    const probe = await probing;
    const flags = {
      replicas: input.replicas,
      controlPlaneNamespace: ctx.cpNamespace,
      token: `hcp-dr-${input.operationId}`,
      skipHashCheck: input.info.skipHashCheck,
      bumpRevision: probe.bumpRevision,
    };
    await restoreInEveryHelper(hctx, paths, flags, probe.tool);
    actions.push(`restored the snapshot into ${input.replicas} member volumes with ${probe.tool} (--name etcd-N, one --initial-cluster)`);
    ctx.reporter.debug('step: volumes-restored');
    await deleteHelpers(hctx, input.replicas);
    await scaleEtcdTo(ctx, input.replicas);
    await waitEtcdReplicas(ctx, input.replicas);
    actions.push(`scaled etcd back to ${input.replicas}`);
    await scaleDeployments(quiesce, back);
    await waitForDeployments(quiesce, back).catch((err: unknown) => ctx.reporter.warn(`API servers not ready yet: ${causeText(err)}`));
    actions.push(
      `scaled ${Object.entries(back)
        .map(([d, n]) => `${d} to ${n}`)
        .join(', ')}`,
    );
    const apiDowntimeSeconds = Math.round(ctx.clock.now().getTime() - downFrom) / 1000;
    pause.stop();
    await restorePausedUntil(quiesce, input.previousPausedUntil);
    const now = ctx.clock.now().toISOString();
    await ctx.api.mergePatch(Resources.hostedCluster, ctx.namespace, ctx.name, {
      metadata: { annotations: { [RESTART_DATE_ANNOTATION]: now } },
    });
    actions.push(`unpaused; set ${RESTART_DATE_ANNOTATION}`);
    for (let i = 0; i < input.replicas; i++) {
      const r = await ctx.exec
        .exec({
          namespace: ctx.cpNamespace,
          pod: `etcd-${i}`,
          container: Etcd.container,
          command: ['/bin/sh', '-c', cleanupScript(paths, false)],
        })
        .catch((err: unknown) => ({ exitCode: 1, stderr: causeText(err), stdout: '' }));
      if (r.exitCode !== 0) ctx.reporter.warn(`could not remove the split members' old data from etcd-${i} (${lastLine(r.stderr)})`);
    }
    return { actions, apiDowntimeSeconds, tool: `${probe.tool} ${probe.version}` };
  } finally {
    pause.stop();
  }
}
