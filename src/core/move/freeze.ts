/**
 * Freezing the source of a move, and undoing it (§2.7 steps 3-5): the HostedCluster and its
 * NodePools paused, the API servers and the control-plane operator scaled to 0.
 *
 * Contract:
 *  - Before the DNS hand-off the pause is a deadline (renewed while the run lasts): a move that
 *    dies there lets the source come back by itself. From the hand-off on it is "true": the
 *    source must never serve again, whatever happens to the run (`resume` finishes the move).
 *  - unfreeze is idempotent and tries every action, as rollback and `resume` need.
 */
import { causeText } from '../errors.ts';
import { Resources } from '../model.ts';
import {
  pauseDeadline,
  restorePausedUntil,
  scaleDeployments,
  startPause,
  undoQuiesce,
  waitForDeployments,
  waitForPausePropagation,
  setPausedUntil,
  type Pause,
  type QuiesceContext,
} from '../controlplane/quiesce.ts';
import { FROZEN_DEPLOYMENTS } from './types.ts';

const setNodePoolsPaused = (ctx: QuiesceContext, nodePools: string[], value: string | null) =>
  Promise.all(nodePools.map((np) => ctx.api.mergePatch(Resources.nodePool, ctx.namespace, np, { spec: { pausedUntil: value } })));

/** Pauses (deadline `ttlMs` ahead, renewed) and scales the frozen deployments to 0. */
export async function freeze(ctx: QuiesceContext, nodePools: string[], ttlMs: number): Promise<Pause> {
  const pause = await startPause(ctx, ttlMs);
  const renewal = setInterval(
    () =>
      void Promise.resolve(ctx.stillHeld?.())
        .then(() => setNodePoolsPaused(ctx, nodePools, pauseDeadline(ctx.clock.now(), ttlMs)))
        .catch(() => undefined),
    ttlMs / 3,
  );
  renewal.unref();
  const both: Pause = {
    deadline: pause.deadline,
    stop: () => {
      pause.stop();
      clearInterval(renewal);
    },
  };
  try {
    await setNodePoolsPaused(ctx, nodePools, pause.deadline);
    const zero = Object.fromEntries(FROZEN_DEPLOYMENTS.map((d) => [d, 0]));
    await scaleDeployments(ctx, zero);
    await waitForDeployments(ctx, zero);
  } catch (err) {
    both.stop();
    throw err;
  }
  return both;
}

/** From the DNS hand-off on: paused for good, so neither a dead run nor a deadline brings the source back. */
export async function freezeForGood(ctx: QuiesceContext, nodePools: string[]): Promise<void> {
  await setPausedUntil(ctx, 'true');
  await setNodePoolsPaused(ctx, nodePools, 'true');
  await waitForPausePropagation(ctx, 'true');
}

export interface FreezeUndo {
  previousPausedUntil: string | null | undefined;
  previousReplicas: Record<string, number> | undefined;
  nodePoolsPausedUntil: Record<string, string | null> | undefined;
}

/** Scales back, restores every NodePool's and the HostedCluster's spec.pausedUntil. */
export async function unfreeze(ctx: QuiesceContext, undo: FreezeUndo): Promise<{ actions: string[]; failures: string[] }> {
  const { actions, failures } = await undoQuiesce(
    ctx,
    { previousPausedUntil: undefined, previousReplicas: undo.previousReplicas },
    FROZEN_DEPLOYMENTS,
  );
  for (const [np, value] of Object.entries(undo.nodePoolsPausedUntil ?? {})) {
    try {
      await ctx.api.mergePatch(Resources.nodePool, ctx.namespace, np, { spec: { pausedUntil: value } });
      actions.push(`${value === null ? 'unpaused' : `restored spec.pausedUntil "${value}" of`} NodePool ${np}`);
    } catch (err) {
      failures.push(`NodePool ${np}: ${causeText(err)}`);
    }
  }
  if (undo.previousPausedUntil !== undefined) {
    const value = undo.previousPausedUntil;
    try {
      await restorePausedUntil(ctx, value);
      actions.push(value === null ? 'unpaused the HostedCluster' : `restored spec.pausedUntil "${value}" of the HostedCluster`);
    } catch (err) {
      failures.push(`HostedCluster spec.pausedUntil: ${causeText(err)}`);
    }
  }
  return { actions, failures };
}
