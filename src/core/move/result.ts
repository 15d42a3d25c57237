/**
 * What a move that went past the point of no return reports (MoveResult's fields from the forward
 * phases): Moved, or SplitBrain when --no-repair stopped it at the destination's split etcd.
 */
import type { ForwardOutcome } from './forward.ts';
import type { PhaseTiming } from './types.ts';

export function resultOf(outcome: ForwardOutcome, phases: PhaseTiming[]) {
  return {
    state: outcome.stopped ? ('SplitBrain' as const) : ('Moved' as const),
    operation: outcome.op.id,
    backup: outcome.op.backup ?? null,
    plan: [],
    phases,
    downtimeSeconds: outcome.downtimeSeconds,
    restore: outcome.restore ? { verdict: outcome.restore.verdict, etcd: outcome.restore.etcd, repair: outcome.restore.repair } : null,
    ovnPodsRestarted: outcome.ovnPodsRestarted,
    nodeMode: outcome.op.nodeMode ?? null,
    nodes: outcome.nodes ?? null,
    nextSteps: outcome.stopped ? [outcome.stopped.hint] : moveNextSteps(outcome.restore?.nextSteps ?? [], outcome.op.nodeMode ?? null),
  };
}

/**
 * A restore's next steps, as they read after a move: the OVN restart is done already, and the nodes
 * were adopted or kept in service (the move's node mode), not reprovisioned as after a restore.
 */
function moveNextSteps(restoreSteps: readonly string[], nodeMode: 'adopt' | 'keep' | null): string[] {
  const nodes =
    nodeMode === 'adopt'
      ? 'nodes: the running instances were adopted by the destination (their machine objects moved before the NodePools)'
      : nodeMode === 'keep'
        ? 'nodes: kept in service with no NodePool on the destination; no management cluster manages their machines until NodePools are re-created'
        : undefined;
  return restoreSteps.flatMap((s) => {
    if (s.includes('restart the OVN pods')) return [];
    if (s.includes('nodes are not re-adopted')) return nodes ? [nodes] : [s];
    return [s];
  });
}
