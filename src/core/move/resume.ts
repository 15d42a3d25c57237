/**
 * `resume` of a move, on either management cluster: reads the record of the side it runs on,
 * reaches the other side from the context it names, takes the further phase of the two records,
 * and then undoes the move (before the DNS hand-off: unfreeze the source, drop an incomplete
 * upload, remove the record) or finishes it (forward.ts).
 */
import { EtcdUnhealthyError, PartialFailureError, PreconditionError } from '../errors.ts';
import { Annotations, controlPlaneNamespace, Resources } from '../model.ts';
import { readOperation, releaseOperation, type MoveOperation } from '../operation/record.ts';
import type { ResumeInput, ResumeResult } from '../operation/resume.ts';
import type { Cluster } from '../ports.ts';
import { removeSnapshotFile } from './snapshot-file.ts';
import { deleteIncompleteUploadAt } from './backup-phase.ts';
import { unfreeze } from './freeze.ts';
import { moveForward } from './forward.ts';
import { connectRecorded, isBeforeHandOff, phaseIndex, readMoveAnnotation, sourceRecordOf, viaTarget } from './records.ts';
import { resumeCommandOf } from './sides.ts';

export async function resumeMove({ namespace, name, hc, record, deps }: ResumeInput<'move'>): Promise<ResumeResult> {
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

  if (isBeforeHandOff(op.phase)) {
    const undo = srcHc ? readOperation(srcHc) : undefined;
    const cp = controlPlaneNamespace(namespace, name);
    const { actions, failures } = await unfreeze(
      {
        api: ctx.source.api,
        clock: deps.clock,
        reporter: deps.reporter,
        namespace,
        name,
        controlPlaneNamespace: cp,
        waitTimeoutMs: op.waitTimeoutMs ?? 15 * 60_000,
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
      {
        previousPausedUntil: undo?.previousPausedUntil,
        previousReplicas: undo?.previousReplicas,
        nodePoolsPausedUntil: op.nodePoolsPausedUntil,
      },
    );
    if (op.snapshot && srcHc) await removeSnapshotFile(ctx.source, cp, op.snapshot, actions, deps.reporter);
    // The record stays until the bucket holds nothing of this run: a store still unreachable is a
    // failure to repeat `resume` for, not a warning that leaves an orphan upload behind.
    if (op.backup && op.phase !== 'backed-up') {
      await world
        .openObjectStore(viaTarget(op, op.backup))
        .then((opened) => deleteIncompleteUploadAt(opened.store, opened.prefix))
        .then(
          () => actions.push(`deleted the incomplete upload ${op.backup}`),
          (e: unknown) => failures.push(`delete the incomplete upload ${op.backup}: ${(e as Error).message}`),
        );
    }
    if (failures.length > 0)
      throw new PartialFailureError(`failed to undo move ${op.id} of "${namespace}/${name}": ${failures.join('; ')}`, {
        hint: `fix the cause and run "${resumeCommandOf(op.source ?? { context: '' }, namespace, name, op.via)}" again (it is safe to repeat)`,
      });
    await releaseOperation(ctx.source.api, namespace, name);
    actions.push(`removed the record of move ${op.id}: the source runs as before`);
    return { namespace, name, operation: op.id, actions };
  }

  const outcome = await moveForward({
    op,
    ctx,
    resolver: world.resolver(op.dnsServer),
    deps: { world, clock: deps.clock, reporter: deps.reporter, ...(deps.signal ? { signal: deps.signal } : {}) },
    resumeCommand: resumeCommandOf(op.source ?? { context: '' }, namespace, name, op.via),
  });
  // A resume of a --no-repair move before any run reported the split brain stops at it as the run would.
  if (outcome.stopped)
    throw new EtcdUnhealthyError(`move ${op.id} of "${namespace}/${name}" stopped at the destination: ${outcome.stopped.reason}`, {
      hint: outcome.stopped.hint,
    });
  return {
    namespace,
    name,
    operation: op.id,
    actions: [
      ...outcome.actions,
      ...(outcome.nodes ? [`nodes: ${outcome.nodes.detail}`] : []),
      `move ${op.id} finished: ${namespace}/${name} runs on the destination`,
    ],
    nodes: outcome.nodes ?? null,
    phases: outcome.phases,
  };
}
