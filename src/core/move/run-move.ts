/**
 * `move <hosted-cluster> --to-context <ctx> --via s3://...`: a hosted cluster from one management
 * cluster to another (hypershift-domain.md §2.7-2.10), recorded on both so that `resume` on either
 * finishes it or, before the DNS hand-off, undoes it. The phases are phases.ts, carried out by the
 * operation runner; this builds the state, answers a dry run, and words the result.
 */
import { controlPlaneNamespace } from '../model.ts';
import { operationStillHeld } from '../capture/operation-watch.ts';
import type { BackupRequest } from '../capture/request.ts';
import { runWorkflow } from '../operation/runner.ts';
import { checkMove, initialRecord } from './before-handoff.ts';
import { moveRunFailure } from './failures.ts';
import { moveStep, moveWorkflow } from './phases.ts';
import { planMove } from './plan.ts';
import { moveBackupPrefix } from './backup-phase.ts';
import { resultOf } from './result.ts';
import { connectSides, resumeCommandOf } from './sides.ts';
import { runInput, splitBrainStopOf, type MoveState } from './state.ts';
import { moveStore } from './store.ts';
import { MOVE_API_VERSION, type MoveDeps, type MoveRequest, type MoveResult } from './types.ts';

export async function runMove(req: MoveRequest, deps: MoveDeps): Promise<MoveResult> {
  const state = await moveState(req, deps);
  if (req.dryRun) {
    await checkMove(state);
    const { pre, nodes } = runInput(state);
    return {
      ...baseOf(state),
      state: 'Planned',
      operation: null,
      backup: null,
      plan: planMove({ ...req, withNodes: nodes.mode === 'adopt', nodes: nodes.mode }, pre),
      phases: [],
      steps: [],
      downtimeSeconds: null,
      restore: null,
      ovnPodsRestarted: null,
      nextSteps: [],
    };
  }
  // The lock is conditional on the HostedCluster as the preflight read it, with the replicas it found.
  const store = moveStore(state, () => ({ hc: runInput(state).pre.hc, previousReplicas: runInput(state).pre.replicas }));
  try {
    await runWorkflow(moveWorkflow, state, initialRecord, {
      store,
      reporter: deps.reporter,
      clock: deps.clock,
      signal: deps.signal,
      step: moveStep(deps.step),
      resumeCommand: state.resumeCommand,
    });
  } catch (err) {
    const stop = splitBrainStopOf(err);
    const op = store.current();
    if (!stop || !op || deps.signal?.aborted) throw moveRunFailure(err, state, op);
    return { ...baseOf(state), ...resultOf(state, op, stop) };
  }
  deps.step?.('done');
  return { ...baseOf(state), ...resultOf(state, store.current()!) };
}

/** What every MoveResult says of the preflight. */
function baseOf(state: MoveState) {
  const { req, sides, pre } = runInput(state);
  return {
    apiVersion: MOVE_API_VERSION as typeof MOVE_API_VERSION,
    kind: 'MoveResult' as const,
    hostedCluster: { namespace: req.namespace, name: req.name },
    source: sides.source.api.describeTarget(),
    destination: sides.destination.api.describeTarget(),
    apiHostname: pre.apiHostname,
    preflight: pre.checks,
    warnings: pre.warnings,
    repairSplitBrain: req.repair !== false,
  };
}

/** The run's state: both sides connected, its id, and the checks (the preflight) still to run. */
async function moveState(req: MoveRequest, deps: MoveDeps): Promise<MoveState> {
  const { namespace, name } = req;
  const sides = await connectSides(req, deps.world);
  const backupRequest: BackupRequest = {
    namespace,
    name,
    mode: 'quiesce',
    destination: { store: sides.store, prefix: sides.prefix },
    pauseTtlMs: req.pauseTtlMs,
    waitTimeoutMs: req.waitTimeoutMs,
    force: req.force,
    ...(req.codec ? { codec: req.codec } : {}),
  };
  const id = deps.newId();
  return {
    namespace,
    name,
    cp: controlPlaneNamespace(namespace, name),
    source: sides.source,
    destination: sides.destination,
    resolver: sides.resolver,
    deps,
    step: deps.step,
    resumeCommand: resumeCommandOf(req.source, namespace, name, req.via),
    freezeUndo: { previousPausedUntil: undefined, previousReplicas: undefined, nodePoolsPausedUntil: undefined },
    openBackupStore: async () => ({ store: sides.store, prefix: moveBackupPrefix(backupRequest, id) }),
    run: {
      req,
      sides,
      backupRequest,
      id,
      confirm: (question) => deps.confirm(question),
      stillHeld: operationStillHeld(sides.source.api, namespace, name, id),
    },
    timings: [],
    steps: [],
    actions: [],
    rollbackFailures: [],
    restore: null,
    ovnPodsRestarted: null,
    nodes: null,
    downtimeSeconds: null,
  };
}
