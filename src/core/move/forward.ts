/**
 * The phases of a move from the point of no return on (phases.ts), for the run and for `resume`
 * alike: from the DNS hand-off a move only goes forward. The runner writes each phase on both
 * sides before it runs (store.ts); each is idempotent, so a run killed anywhere is finished by
 * `resume` on either management cluster.
 *
 *   dns-handoff     pause the source for good, delete its Routes, wait until the API name leaves it
 *   restoring       the restore workflow on the destination (the record rides on the HostedCluster
 *                   it creates), verified by data, a split brain repaired in place (--no-repair: the
 *                   move stops here, split-brain.ts); then the API name resolves to the destination
 *   verified        --keep-source: leave the source paused for good, its record removed
 *   tearing-down    tear the source down (not with --keep-source)
 *   source-removed  restart the OVN pods in the hosted cluster, wait for its nodes; the runner then
 *                   removes the destination's record
 *
 * Each marks its start for the test hook under the name the move has always used there.
 */
import { causeText, PartialFailureError, RemoteError } from '../errors.ts';
import { Annotations, Resources } from '../model.ts';
import { releaseOperation, type MoveOperation } from '../operation/record.ts';
import type { PhaseRun } from '../operation/workflow.ts';
import { restartOvn, waitForMovedNodes } from './after.ts';
import { restoreOnDestination } from './destination-restore.ts';
import { freezeForGood } from './freeze.ts';
import { deleteRoutes, waitForDestination, waitForRelease, type HandOffContext } from './handoff.ts';
import { phaseIndex } from './records.ts';
import { resumeCommandOf } from './sides.ts';
import { removeSnapshotFile } from './snapshot-file.ts';
import { stopAtSplitBrain } from './split-brain.ts';
import { quiesceOf, SplitBrainStopped, timedPhase, timedStep, type MoveRecordFields, type MoveState } from './state.ts';
import { tearDownSource } from './teardown.ts';
import { repairAllowed } from './types.ts';

type ForwardPhase = (state: MoveState, run: PhaseRun<'move'>) => Promise<void>;

const waitTimeout = (op: MoveOperation) => op.waitTimeoutMs ?? 15 * 60_000;

/**
 * The resume that continues from `op`'s phase: on the source until the destination is verified,
 * then on the destination (the teardown deletes the source's HostedCluster and its record).
 */
export function resumeAt(state: MoveState, op: MoveOperation): string {
  const verified = phaseIndex(op.phase) >= phaseIndex('verified');
  return verified && op.destination?.context ? resumeCommandOf(op.destination, state.namespace, state.name, op.via) : state.resumeCommand;
}

/** Whether the failure came from the object store or the snapshot download (resume's S3 flags may help). */
function s3Cause(err: unknown): boolean {
  return /\bS3\b|bucket|pre-sign|snapshot URL|download|curl|endpoint/i.test(causeText(err));
}

/**
 * Every failure past the point of no return is a PartialFailureError (exit 5) whose hint is the
 * `resume` that continues from the phase reached; a signal is left to the runner (run-move.ts
 * words it), and so is the --no-repair stop.
 */
export function forwardOnly(phase: ForwardPhase): ForwardPhase {
  return async (state, run) => {
    try {
      await phase(state, run);
    } catch (err) {
      if (state.deps.signal?.aborted || err instanceof PartialFailureError || err instanceof SplitBrainStopped) throw err;
      const { namespace, name } = state;
      throw new PartialFailureError(
        `failed to move "${namespace}/${name}": stopped after the point of no return (the source stays paused for good): ${causeText(err)}`,
        {
          cause: err,
          hint: `${s3Cause(err) ? 'once the store is reachable (S3 flags given to resume override the recorded ones), ' : ''}continue with: ${resumeAt(state, run.operation)}`,
        },
      );
    }
  };
}

function handOffOf(state: MoveState, op: MoveOperation): HandOffContext {
  return {
    clock: state.deps.clock,
    reporter: state.deps.reporter,
    signal: state.deps.signal,
    resolver: state.resolver,
    host: op.apiHostname ?? '',
    sourceAddresses: op.sourceAddresses ?? [],
    timeoutMs: op.dnsTimeoutMs ?? 10 * 60_000,
    resumeCommand: state.resumeCommand,
  };
}

export const handOffDns: ForwardPhase = async (state, run) => {
  state.pause?.stop();
  state.step?.('dns-handoff');
  const op = run.operation;
  const { namespace, name, cp, source } = state;
  await timedPhase(state, 'dns-handoff', async () => {
    if (await source.api.get(Resources.hostedCluster, namespace, name)) {
      await freezeForGood(quiesceOf(state, waitTimeout(op)), Object.keys(op.nodePoolsPausedUntil ?? {}));
      // A run killed while removing its snapshot file may have left it: gone before the teardown.
      if (op.snapshot) await removeSnapshotFile(source, cp, op.snapshot, state.actions, state.deps.reporter);
      const routes = await deleteRoutes(source.api, cp);
      if (routes.length) state.actions.push(`deleted the source's routes ${routes.join(', ')}`);
    }
    const handoff = handOffOf(state, op);
    if (handoff.host) {
      state.deps.reporter.info(`waiting for ${handoff.host} to leave the source (${state.resolver.describe()})`);
      await timedStep(state, 'dns-release', () => waitForRelease(handoff));
    }
  });
};

export const restoreDestination: ForwardPhase = async (state, run) => {
  state.step?.('dns-released');
  await timedPhase(state, 'restoring', () => restoreAndVerify(state, run));
};

/** The destination's restore, verified by data (a split brain repaired or stopped at), then DNS there. */
async function restoreAndVerify(state: MoveState, run: PhaseRun<'move'>): Promise<void> {
  const op = run.operation;
  const restore = await timedStep(state, 'restore', () => restoreOnDestination(state, op));
  state.restore = restore;
  if (restore.verdict.state === 'SplitBrain' && !repairAllowed(op)) {
    const record = (next: MoveRecordFields) => run.record({ splitBrain: next.splitBrain } as MoveRecordFields);
    const { stop } = await stopAtSplitBrain(state, op, restore, state.resumeCommand, record);
    throw new SplitBrainStopped(stop);
  }
  if (restore.verdict.state !== 'Restored')
    throw new RemoteError(
      `the restore on the destination is ${restore.verdict.state}: ${restore.verdict.reason}${restore.verdict.hint ? ` (${restore.verdict.hint})` : ''}`,
    );
  const handoff = handOffOf(state, op);
  if (handoff.host) {
    state.deps.reporter.info(`waiting for ${handoff.host} to resolve to the destination`);
    const addresses = await timedStep(state, 'dns-destination', () => waitForDestination(handoff));
    state.actions.push(`${handoff.host} resolves to ${addresses.join(', ')}`);
  }
  if (op.frozenAt) state.downtimeSeconds = (state.deps.clock.now().getTime() - new Date(op.frozenAt).getTime()) / 1000;
}

export const keepOrLeaveSource: ForwardPhase = async (state, run) => {
  state.step?.('verified');
  if (run.operation.keepSource) await timedPhase(state, 'verified', () => leaveSource(state, run.operation));
};

/** --keep-source: the source stays paused for good, released from the move's record and marked moved. */
async function leaveSource(state: MoveState, op: MoveOperation): Promise<void> {
  const { namespace, name, source } = state;
  await releaseOperation(source.api, namespace, name).catch(() => undefined);
  await source.api
    .mergePatch(Resources.hostedCluster, namespace, name, {
      metadata: { annotations: { [Annotations.movedTo]: op.destination?.context ?? '' } },
    })
    .catch(() => undefined);
  state.actions.push('left the source paused for good with its API servers at 0 (--keep-source)');
}

export const tearDown: ForwardPhase = async (state, run) => {
  const op = run.operation;
  if (op.keepSource) return;
  state.step?.('tearing-down');
  const { namespace, name, cp } = state;
  const removed = await timedPhase(state, 'tearing-down', () =>
    tearDownSource({
      api: state.source.api,
      clock: state.deps.clock,
      reporter: state.deps.reporter,
      signal: state.deps.signal,
      namespace,
      name,
      controlPlaneNamespace: cp,
      timeoutMs: waitTimeout(op),
      nodeMode: op.nodeMode,
    }),
  );
  state.actions.push(...removed);
};

export const settleDestination: ForwardPhase = async (state, run) => {
  state.step?.('source-removed');
  const op = run.operation;
  const { clock, reporter, signal, world } = state.deps;
  const after = {
    clock,
    reporter,
    signal,
    api: state.destination.api,
    world,
    namespace: state.namespace,
    name: state.name,
    timeoutMs: waitTimeout(op),
  };
  await timedPhase(state, 'source-removed', async () => {
    state.ovnPodsRestarted = await timedStep(state, 'ovn-restart', () => restartOvn(after));
    state.actions.push(`restarted ${state.ovnPodsRestarted} OVN pods in the hosted cluster`);
    state.nodes = await timedStep(state, 'nodes', () => waitForMovedNodes({ ...after, expected: op.expectedNodes }));
  });
};
