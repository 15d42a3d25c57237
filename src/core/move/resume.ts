/**
 * `resume` of a move, on either management cluster: reads the record of the side it runs on,
 * reaches the other side from the context it names, takes the further phase of the two records,
 * and hands it to the runner (phases.ts): before the DNS hand-off the move is undone (unfreeze the
 * source, drop the snapshot file and an incomplete upload, remove the record), from it on finished.
 */
import type { RunRestore } from '../contracts/restore.ts';
import { EtcdUnhealthyError, PreconditionError } from '../errors.ts';
import { Annotations, controlPlaneNamespace, Resources, type KubeObject } from '../model.ts';
import { readOperation, type MoveOperation } from '../operation/record.ts';
import type { ResumeInput, ResumeResult } from '../operation/resume.ts';
import { resumeWorkflow } from '../operation/runner.ts';
import type { Cluster, MoveWorld } from '../ports.ts';
import { forwardFailure, undoFailure } from './failures.ts';
import { moveWorkflow } from './phases.ts';
import {
  connectRecorded,
  isBeforeHandOff,
  phaseIndex,
  readMoveAnnotation,
  sourceRecordOf,
  viaTarget,
  type MoveContext,
} from './records.ts';
import { resumeCommandOf } from './sides.ts';
import { splitBrainStopOf, type MoveState } from './state.ts';
import { moveStore } from './store.ts';

/** `restore` is the restore workflow, given by the composer (move does not import another workflow). */
export async function resumeMove({ namespace, name, hc, record, deps }: ResumeInput<'move'>, restore: RunRestore): Promise<ResumeResult> {
  const world = deps.world;
  if (!world)
    throw new PreconditionError('this resume cannot reach a second management cluster', {
      hint: 'run resume from the hcp-dr command line',
    });
  const here: Cluster = { api: deps.api, exec: deps.exec };
  const onSource = hc.metadata.annotations?.[Annotations.move] === undefined;
  const recorded = record.operation;
  const other = await connectRecorded(world, onSource ? recorded.destination : recorded.source, onSource ? 'destination' : 'source');
  const ctx = { namespace, name, source: onSource ? here : other, destination: onSource ? other : here };
  const [srcHc, dstHc] = await Promise.all([
    ctx.source.api.get(Resources.hostedCluster, namespace, name),
    ctx.destination.api.get(Resources.hostedCluster, namespace, name),
  ]);
  const candidates = [
    sourceRecordOf(srcHc, recorded.id),
    dstHc && readMoveAnnotation(dstHc)?.id === recorded.id ? readMoveAnnotation(dstHc) : undefined,
  ];
  const op = candidates
    .filter((c): c is MoveOperation => c !== undefined)
    .reduce((a, b) => (phaseIndex(b.phase) > phaseIndex(a.phase) ? b : a), recorded);
  deps.reporter.info(`move ${op.id} of ${namespace}/${name} is at phase ${op.phase} (${onSource ? 'source' : 'destination'} side)`);

  const resumeCommand = resumeCommandOf(op.source ?? { context: '' }, namespace, name, op.via);
  const state = resumeState(ctx, op, srcHc, { ...deps, world, restore }, resumeCommand);
  // Records of hcp-dr before the runner kept `started` through the freeze (they wrote `frozen`
  // after it): a record at `started` is undone as one at `frozen` (the undo is idempotent).
  const from: MoveOperation = op.phase === 'started' ? { ...op, phase: 'frozen' } : op;
  const store = moveStore(ctx, undefined, from);
  const io = { store, reporter: deps.reporter, clock: deps.clock, signal: deps.signal, resumeCommand };
  if (isBeforeHandOff(from.phase)) {
    const undone = await resumeWorkflow(moveWorkflow, state, from, io).catch((err: unknown) => {
      throw undoFailure(err, state, op, resumeCommand);
    });
    return {
      namespace,
      name,
      operation: op.id,
      actions: [...state.actions, `removed the record of move ${op.id}: the source runs as before`],
      phases: undone.phases,
    };
  }
  try {
    await resumeWorkflow(moveWorkflow, state, from, io);
  } catch (err) {
    const stop = splitBrainStopOf(err);
    // A resume of a --no-repair move before any run reported the split brain stops at it as the run would.
    if (stop && !deps.signal?.aborted)
      throw new EtcdUnhealthyError(`move ${op.id} of "${namespace}/${name}" stopped at the destination: ${stop.reason}`, {
        hint: stop.hint,
      });
    throw forwardFailure(err, state, store.current() ?? op);
  }
  return {
    namespace,
    name,
    operation: op.id,
    actions: [
      ...state.actions,
      ...(state.nodes ? [`nodes: ${state.nodes.detail}`] : []),
      `move ${op.id} finished: ${namespace}/${name} runs on the destination`,
    ],
    nodes: state.nodes,
    phases: state.timings,
    steps: state.steps,
  };
}

/** The backup's store and prefix from the record (credentials from the environment, S3 flags given to resume win). */
async function openRecordedBackup(world: MoveWorld, op: MoveOperation) {
  if (!op.backup) throw new PreconditionError(`move ${op.id}: the record names no backup`, { hint: 'inspect the record' });
  return world.openObjectStore(viaTarget(op, op.backup));
}

/** The phases' state from the records: the freeze's undo data from the source, the rest from the move record. */
function resumeState(
  ctx: MoveContext,
  op: MoveOperation,
  srcHc: KubeObject | undefined,
  deps: ResumeInput<'move'>['deps'] & { world: MoveWorld; restore: RunRestore },
  resumeCommand: string,
): MoveState {
  const undo = srcHc ? readOperation(srcHc) : undefined;
  const { world } = deps;
  return {
    ...ctx,
    cp: controlPlaneNamespace(ctx.namespace, ctx.name),
    resolver: world.resolver(op.dnsServer),
    deps: {
      world,
      restore: deps.restore,
      clock: deps.clock,
      reporter: deps.reporter,
      ...(deps.signal ? { signal: deps.signal } : {}),
      // resume --decrypt-with: the destination's restore of an encrypted move backup.
      ...(deps.keyring ? { keyring: deps.keyring } : {}),
    },
    resumeCommand,
    freezeUndo: {
      previousPausedUntil: undo?.previousPausedUntil,
      previousReplicas: undo?.previousReplicas,
      nodePoolsPausedUntil: op.nodePoolsPausedUntil,
    },
    openBackupStore: () => openRecordedBackup(world, op),
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
