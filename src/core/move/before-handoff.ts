/**
 * A move's checks and its phases before the point of no return (phases.ts): the preflight of both
 * sides and the bucket, the confirmation, the freeze (undone by the rollback) and the backup.
 */
import { causeText } from '../errors.ts';
import type { MoveOperation } from '../operation/record.ts';
import type { PhaseRun } from '../operation/workflow.ts';
import { snapshotPathFor } from '../etcd/pod-snapshot.ts';
import { backUpFrozenSource, deleteIncompleteUploadAt, moveBackupPrefix } from './backup-phase.ts';
import { keptWarnings } from '../bundle/delete-objects.ts';
import { freeze, unfreeze } from './freeze.ts';
import { planNodes } from './nodes.ts';
import { movePreflight } from './preflight.ts';
import { checkDecryptable } from './encoding.ts';
import { removeSnapshotFile } from './snapshot-file.ts';
import { quiesceOf, runInput, timedPhase, type MoveState } from './state.ts';
import { BACKED_UP } from './types.ts';

/** The preflight (reads only): both sides, the bucket, the nodes; fills state.run.pre and .nodes. */
export async function checkMove(state: MoveState): Promise<void> {
  const run = state.run!;
  const { req, sides } = run;
  state.deps.reporter.info(`preflight: ${sides.source.api.describeTarget()} → ${sides.destination.api.describeTarget()}`);
  const decryptable = checkDecryptable(req, state.deps.keyring);
  const pre = await movePreflight(req, sides, run.backupRequest);
  if (decryptable) pre.checks.push(decryptable);
  for (const w of pre.warnings) state.deps.reporter.warn(w);
  const nodes = await planNodes(sides.source.api, state.cp, pre.nodePools, req.nodes ?? (req.withNodes ? 'adopt' : 'auto'));
  pre.checks.push(nodes.check);
  run.pre = pre;
  run.nodes = nodes;
  state.freezeUndo = {
    previousPausedUntil: (pre.hc['spec'] as { pausedUntil?: string }).pausedUntil ?? null,
    previousReplicas: pre.replicas,
    nodePoolsPausedUntil: Object.fromEntries(
      pre.nodePools.map((np) => [np.metadata.name ?? '', (np['spec'] as { pausedUntil?: string }).pausedUntil ?? null]),
    ),
  };
}

/** The downtime, asked once before the first change (throws to refuse). */
export async function confirmMove(state: MoveState): Promise<void> {
  const { req, sides, pre } = runInput(state);
  await state.run!.confirm(
    `Move ${req.namespace}/${req.name} from ${sides.source.contextName} to ${sides.destination.contextName}: its API is down from the freeze until ${pre.apiHostname} is served by the destination, and the source is torn down${req.keepSource ? ' (kept frozen with --keep-source)' : ''} once the destination is verified. Continue?`,
  );
}

/** The record the lock writes, built from what the checks found. */
export function initialRecord(state: MoveState): MoveOperation {
  const { req, sides, pre, nodes, backupRequest, id } = runInput(state);
  return {
    id,
    type: 'move',
    startedAt: state.deps.clock.now().toISOString(),
    phase: 'started',
    toolVersion: req.toolVersion,
    source: req.source,
    destination: req.destination,
    via: {
      url: req.via.url,
      ...(req.via.region ? { region: req.via.region } : {}),
      ...(req.via.endpoint ? { endpoint: req.via.endpoint } : {}),
      ...(req.via.pathStyle ? { pathStyle: true } : {}),
      ...(req.via.caBundle ? { caBundle: req.via.caBundle } : {}),
    },
    // Where the backup and the snapshot file go, recorded before either exists: every rollback finds them.
    backup: `${sides.store.url(moveBackupPrefix(backupRequest, id))}/`,
    snapshot: { member: pre.backup.member.pod, path: snapshotPathFor(id) },
    apiHostname: pre.apiHostname,
    sourceAddresses: pre.sourceAddresses,
    ...(req.dnsServer ? { dnsServer: req.dnsServer } : {}),
    dnsTimeoutMs: req.dnsTimeoutMs,
    waitTimeoutMs: req.waitTimeoutMs,
    keepSource: req.keepSource,
    ...(nodes.mode === 'adopt' ? { withNodes: true } : {}),
    nodeMode: nodes.mode,
    expectedNodes: nodes.expectedNodes,
    // --no-repair travels in the record (MoveRecord): a resume honours it until the stop is reported.
    ...(req.repair === false ? { repair: false } : {}),
    nodePoolsPausedUntil: state.freezeUndo.nodePoolsPausedUntil ?? {},
  };
}

/** `frozen`: pause (a deadline, renewed while the run lasts) and scale the API servers and the CPO to 0. */
export async function freezeSource(state: MoveState, run: PhaseRun<'move'>): Promise<void> {
  const { req, pre } = runInput(state);
  state.deps.reporter.info(
    `freezing ${state.namespace}/${state.name} on the source: pause, scale the API servers and the control-plane operator to 0`,
  );
  const nodePools = pre.nodePools.map((np) => np.metadata.name ?? '');
  state.pause = await timedPhase(state, 'frozen', () => freeze(quiesceOf(state, req.waitTimeoutMs), nodePools, req.pauseTtlMs));
  await run.record({ frozenAt: state.deps.clock.now().toISOString() });
}

/**
 * Undoes everything before the hand-off, for the run's rollback and `resume` alike, the unfreeze
 * first (it ends the downtime before a clean-up that may wait on a slow store), then the snapshot
 * file (best effort) and the incomplete upload. The record goes last (the runner), and only when
 * the bucket holds nothing of this run: a store still unreachable keeps it, for `resume`.
 */
export async function undoBeforeHandOff(state: MoveState, run: PhaseRun<'move'>): Promise<void> {
  state.pause?.stop();
  const op = run.operation;
  const { reporter } = state.deps;
  const { actions, failures } = await unfreeze(quiesceOf(state, op.waitTimeoutMs ?? 15 * 60_000, true), state.freezeUndo);
  state.actions.push(...actions);
  const failed = failures.length > 0 ? [`unfreeze the source: ${failures.join('; ')}`] : [];
  if (op.snapshot) {
    reporter.info(`rollback: remove ${op.snapshot.path} from pod ${op.snapshot.member}`);
    await removeSnapshotFile(state.source, state.cp, op.snapshot, state.actions, reporter);
  }
  if (op.backup) {
    reporter.info('rollback: delete the incomplete upload');
    try {
      const { store, prefix } = await state.openBackupStore();
      const out = await deleteIncompleteUploadAt(store, prefix, state.deps.clock.now());
      for (const line of keptWarnings([`${store.url(prefix)}/`], out)) reporter.warn(line);
      state.actions.push(
        out.retained.length > 0
          ? `kept ${out.retained.length} locked object(s) of the incomplete upload ${op.backup}`
          : `deleted the incomplete upload ${op.backup}`,
      );
    } catch (err) {
      failed.push(`delete the incomplete upload: ${causeText(err)}`);
    }
  }
  reporter.info('rollback: remove the operation record');
  if (failed.length > 0) {
    state.rollbackFailures.push(...failed);
    throw new Error(failed.join('; '));
  }
}

/** `backed-up`: the snapshot and the bundle from the frozen source, to the store (--via). */
export async function backUpSource(state: MoveState): Promise<void> {
  const { req, sides, pre, backupRequest, id } = runInput(state);
  await timedPhase(state, BACKED_UP, () =>
    backUpFrozenSource({
      source: sides.source,
      request: backupRequest,
      pre: pre.backup,
      id,
      toolVersion: req.toolVersion,
      clock: state.deps.clock,
      reporter: state.deps.reporter,
      signal: state.deps.signal,
      onBytes: state.deps.onBytes,
    }),
  );
}
