/**
 * `move <hosted-cluster> --to-context <ctx> --via s3://...`: a hosted cluster from one management
 * cluster to another (hypershift-domain.md §2.7-2.10), recorded on both so that `resume` on either
 * finishes it or, before the DNS hand-off, undoes it.
 *
 *   preflight  reads only, both sides and the bucket (preflight.ts)
 *   freeze     the record (lock + undo data), then pause and scale to 0     → rolled back on failure
 *   back up    snapshot and bundle from the frozen source                    → rolled back on failure
 *   ---------- point of no return: from here the move only goes forward (forward.ts) ----------
 */
import { InterruptedError, PartialFailureError, causeText } from '../errors.ts';
import { controlPlaneNamespace } from '../model.ts';
import { acquireOperation, releaseOperation, updateOperation, type MoveOperation } from '../operation/record.ts';
import { Rollback } from '../operation/rollback.ts';
import { operationStillHeld } from '../backup/operation-watch.ts';
import type { BackupRequest } from '../backup/request.ts';
import { removeSnapshot, snapshotPathFor } from '../backup/pod-snapshot.ts';
import type { Pause, QuiesceContext } from '../controlplane/quiesce.ts';
import { backUpFrozenSource, deleteIncompleteUpload, moveBackupPrefix } from './backup-phase.ts';
import { freeze, unfreeze } from './freeze.ts';
import { moveForward, type ForwardOutcome } from './forward.ts';
import { resultOf } from './result.ts';
import { planMove } from './plan.ts';
import { movePreflight } from './preflight.ts';
import { planNodes } from './nodes.ts';
import { connectSides, resumeCommandOf } from './sides.ts';
import { MOVE_API_VERSION, type MoveDeps, type MoveRequest, type MoveResult, type PhaseTiming } from './types.ts';

export async function runMove(req: MoveRequest, deps: MoveDeps): Promise<MoveResult> {
  const { namespace, name } = req;
  const cp = controlPlaneNamespace(namespace, name);
  const sides = await connectSides(req, deps.world);
  const backupRequest: BackupRequest = {
    namespace,
    name,
    mode: 'quiesce',
    destination: { store: sides.store, prefix: sides.prefix },
    pauseTtlMs: req.pauseTtlMs,
    waitTimeoutMs: req.waitTimeoutMs,
    force: req.force,
  };
  deps.reporter.info(`preflight: ${sides.source.api.describeTarget()} → ${sides.destination.api.describeTarget()}`);
  const pre = await movePreflight(req, sides, backupRequest);
  for (const w of pre.warnings) deps.reporter.warn(w);
  const nodes = await planNodes(sides.source.api, cp, pre.nodePools, req.nodes ?? (req.withNodes ? 'adopt' : 'auto'));
  pre.checks.push(nodes.check);
  const base = {
    apiVersion: MOVE_API_VERSION as typeof MOVE_API_VERSION,
    kind: 'MoveResult' as const,
    hostedCluster: { namespace, name },
    source: sides.source.api.describeTarget(),
    destination: sides.destination.api.describeTarget(),
    apiHostname: pre.apiHostname,
    preflight: pre.checks,
    warnings: pre.warnings,
    repairSplitBrain: req.repair !== false,
  };
  if (req.dryRun)
    return {
      ...base,
      state: 'Planned',
      operation: null,
      backup: null,
      plan: planMove({ ...req, withNodes: nodes.mode === 'adopt', nodes: nodes.mode }, pre),
      phases: [],
      downtimeSeconds: null,
      restore: null,
      ovnPodsRestarted: null,
      nextSteps: [],
    };

  await deps.confirm(
    `Move ${namespace}/${name} from ${sides.source.contextName} to ${sides.destination.contextName}: its API is down from the freeze until ${pre.apiHostname} is served by the destination, and the source is torn down${req.keepSource ? ' (kept frozen with --keep-source)' : ''} once the destination is verified. Continue?`,
  );
  const id = deps.newId();
  const nodePools = pre.nodePools.map((np) => np.metadata.name ?? '');
  let op: MoveOperation = {
    id,
    type: 'move',
    startedAt: deps.clock.now().toISOString(),
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
    nodePoolsPausedUntil: Object.fromEntries(
      pre.nodePools.map((np) => [np.metadata.name ?? '', (np['spec'] as { pausedUntil?: string }).pausedUntil ?? null]),
    ),
  };
  const src = sides.source.api;
  const stillHeld = operationStillHeld(src, namespace, name, id);
  const quiesce: QuiesceContext = {
    api: src,
    clock: deps.clock,
    reporter: deps.reporter,
    namespace,
    name,
    controlPlaneNamespace: cp,
    waitTimeoutMs: req.waitTimeoutMs,
    stillHeld,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const locked = await acquireOperation(src, pre.hc, op, pre.replicas);
  deps.step?.('locked');
  const phases: PhaseTiming[] = [];
  const rollback = new Rollback(deps.reporter);
  // The record goes last, and only when the bucket is clean: a store that cannot be reached during
  // the rollback leaves the record (the source already unfrozen), so `resume` finds what is left.
  let bucketClean = true;
  rollback.push('remove the operation record', async () => {
    if (bucketClean) await releaseOperation(src, namespace, name);
  });
  // Compensations run newest first: the unfreeze (pushed last) ends the downtime before any
  // clean-up that may wait on a slow store.
  const snapshot = { member: pre.backup.member.pod, path: snapshotPathFor(id) };
  rollback.push('delete the incomplete upload', async () => {
    try {
      await deleteIncompleteUpload(backupRequest, id);
    } catch (err) {
      bucketClean = false;
      throw err;
    }
  });
  rollback.push(
    `remove ${snapshot.path} from pod ${snapshot.member}`,
    () => removeSnapshot({ exec: sides.source.exec, namespace: cp, pod: snapshot.member }, snapshot.path),
    {
      bestEffort: true,
    },
  );
  let pause: Pause | undefined;
  const started = deps.clock.now().getTime();
  try {
    const undo = {
      previousPausedUntil: (pre.hc['spec'] as { pausedUntil?: string }).pausedUntil ?? null,
      previousReplicas: pre.replicas,
      nodePoolsPausedUntil: op.nodePoolsPausedUntil,
    };
    rollback.push('unfreeze the source', async () => {
      const { failures } = await unfreeze({ ...quiesce, signal: undefined, stillHeld: undefined }, undo);
      if (failures.length) throw new Error(failures.join('; '));
    });
    deps.reporter.info(`freezing ${namespace}/${name} on the source: pause, scale the API servers and the control-plane operator to 0`);
    pause = await freeze(quiesce, nodePools, req.pauseTtlMs);
    op = {
      ...op,
      phase: 'frozen',
      frozenAt: deps.clock.now().toISOString(),
      backup: `${sides.store.url(moveBackupPrefix(backupRequest, id))}/`,
      snapshot,
    };
    await updateOperation(src, locked, op);
    phases.push({ phase: 'freeze', seconds: (deps.clock.now().getTime() - started) / 1000 });
    deps.step?.('frozen');

    const t0 = deps.clock.now().getTime();
    await backUpFrozenSource({
      source: sides.source,
      request: backupRequest,
      pre: pre.backup,
      id,
      toolVersion: req.toolVersion,
      clock: deps.clock,
      reporter: deps.reporter,
      signal: deps.signal,
      onBytes: deps.onBytes,
    });
    deps.signal?.throwIfAborted();
    op = { ...op, phase: 'backed-up' };
    await updateOperation(src, locked, op);
    phases.push({ phase: 'back-up', seconds: (deps.clock.now().getTime() - t0) / 1000 });
    deps.step?.('backed-up');
  } catch (err) {
    pause?.stop();
    const failures = await rollback.run();
    if (failures.length > 0)
      throw new PartialFailureError(
        `failed to move "${namespace}/${name}": ${causeText(err)}; and the rollback failed: ${failures.join('; ')}`,
        {
          cause: err,
          hint: `undo what is left with: ${resumeCommandOf(req.source, namespace, name, op.via)}`,
        },
      );
    if (deps.signal?.aborted)
      throw new InterruptedError(`move of "${namespace}/${name}" interrupted before the DNS hand-off; the source was unfrozen`, {
        cause: err,
      });
    throw err;
  }
  // The point of no return: the record says so before any Route is deleted.
  pause.stop();
  op = { ...op, phase: 'dns-handoff' };
  await updateOperation(src, locked, op);
  deps.step?.('dns-handoff');
  const resume = resumeCommandOf(req.source, namespace, name, op.via);
  let outcome: ForwardOutcome;
  try {
    outcome = await moveForward({
      op,
      ctx: { namespace, name, source: sides.source, destination: sides.destination },
      resolver: sides.resolver,
      deps,
      resumeCommand: resume,
    });
  } catch (err) {
    if (deps.signal?.aborted && !(err instanceof InterruptedError))
      throw new InterruptedError(`move of "${namespace}/${name}" interrupted after the DNS hand-off: the source stays paused for good`, {
        cause: err,
        hint: `finish it with: ${resume}`,
      });
    throw err;
  }
  return { ...base, ...resultOf(outcome, [...phases, ...outcome.phases]) };
}
