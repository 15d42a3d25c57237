/**
 * What a move that went past the point of no return reports (MoveResult's fields from its state):
 * Moved, or SplitBrain when --no-repair stopped it at the destination's split etcd.
 */
import type { MoveOperation } from '../operation/record.ts';
import type { SplitBrainStop } from './split-brain.ts';
import type { MoveState } from './state.ts';

export function resultOf(state: MoveState, op: MoveOperation, stopped?: SplitBrainStop) {
  const restore = state.restore;
  return {
    state: stopped ? ('SplitBrain' as const) : ('Moved' as const),
    operation: op.id,
    backup: op.backup ?? null,
    plan: [],
    phases: state.timings,
    steps: state.steps,
    downtimeSeconds: state.downtimeSeconds,
    restore: restore ? { verdict: restore.verdict, etcd: restore.etcd, repair: restore.repair } : null,
    ovnPodsRestarted: state.ovnPodsRestarted,
    nodeMode: op.nodeMode ?? null,
    nodes: state.nodes,
    nextSteps: stopped ? [stopped.hint] : moveNextSteps(restore?.nextSteps ?? [], op.nodeMode ?? null),
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
