/**
 * The phases of a move after the point of no return, for the run and for `resume` alike: from
 * the DNS hand-off, a move only goes forward. Each phase is written on both sides before its
 * work starts (records.ts), and each is idempotent, so a run killed anywhere is finished by
 * `resume` on either management cluster.
 *
 *   dns-handoff   pause the source for good, delete its Routes, wait until the API name leaves it
 *   restoring     the restore workflow on the destination (the record rides on the HostedCluster
 *                 it creates), verified by data, a split brain repaired in place (--no-repair: the
 *                 move stops here, split-brain.ts); then the API name resolves to the destination
 *   verified      tear the source down (--keep-source: leave it paused for good)
 *   source-removed  restart the OVN pods in the hosted cluster; remove the destination's record
 */
import { causeText, InterruptedError, PartialFailureError, RemoteError } from '../errors.ts';
import { Annotations, controlPlaneNamespace, Resources } from '../model.ts';
import { releaseOperation, type MoveOperation } from '../operation/record.ts';
import type { QuiesceContext } from '../controlplane/quiesce.ts';
import type { RestoreResult } from '../restore/types.ts';
import type { NameResolver } from '../ports.ts';
import { restartOvn, waitForMovedNodes } from './after.ts';
import type { NodeCount } from '../controlplane/nodes.ts';
import { removeSnapshotFile } from './snapshot-file.ts';
import { freezeForGood } from './freeze.ts';
import { deleteRoutes, waitForDestination, waitForRelease, type HandOffContext } from './handoff.ts';
import { advance, phaseIndex, writeDestinationRecord, type MoveContext } from './records.ts';
import { restoreOnDestination } from './destination-restore.ts';
import { resumeCommandOf } from './sides.ts';
import { stopAtSplitBrain, type SplitBrainStop } from './split-brain.ts';
import { tearDownSource } from './teardown.ts';
import { repairAllowed, type MoveDeps, type PhaseTiming } from './types.ts';

export interface ForwardInput {
  op: MoveOperation;
  ctx: MoveContext;
  resolver: NameResolver;
  deps: Omit<MoveDeps, 'confirm' | 'newId'>;
  /** The command that continues the move on the source, for hints (the destination's once it is verified). */
  resumeCommand: string;
}

export interface ForwardOutcome {
  op: MoveOperation;
  restore: RestoreResult | null;
  ovnPodsRestarted: number | null;
  /** The hosted cluster's nodes at the end (after.ts waitForMovedNodes). */
  nodes?: NodeCount | null;
  downtimeSeconds: number | null;
  phases: PhaseTiming[];
  actions: string[];
  /** --no-repair stopped the move at the destination's split etcd (split-brain.ts): still at `restoring`. */
  stopped?: SplitBrainStop;
}

/**
 * Every failure past the point of no return is a PartialFailureError (exit 5), a signal an
 * InterruptedError (130); either way the hint is the `resume` that continues from the phase reached.
 */
export async function moveForward(input: ForwardInput): Promise<ForwardOutcome> {
  const at = { op: input.op };
  try {
    return await forwardPhases(input, at);
  } catch (err) {
    const { namespace, name } = input.ctx;
    const resume = resumeAt(input, at.op);
    // A signal ends the run whatever was waiting (an S3 or API request says "interrupted" itself).
    if (input.deps.signal?.aborted)
      throw new InterruptedError(`move of "${namespace}/${name}" interrupted after the DNS hand-off: the source stays paused for good`, {
        cause: err,
        hint: `finish it with: ${resume}`,
      });
    if (err instanceof PartialFailureError) throw err;
    throw new PartialFailureError(
      `failed to move "${namespace}/${name}": stopped after the point of no return (the source stays paused for good): ${causeText(err)}`,
      {
        cause: err,
        hint: `${s3Cause(err) ? 'once the store is reachable (S3 flags given to resume override the recorded ones), ' : ''}continue with: ${resume}`,
      },
    );
  }
}

/**
 * The resume that continues from `op`'s phase: on the source until the destination is verified,
 * then on the destination (the teardown deletes the source's HostedCluster and its record).
 */
function resumeAt(input: ForwardInput, op: MoveOperation): string {
  const verified = phaseIndex(op.phase) >= phaseIndex('verified');
  return verified && op.destination?.context
    ? resumeCommandOf(op.destination, input.ctx.namespace, input.ctx.name, op.via)
    : input.resumeCommand;
}

/** Whether the failure came from the object store or the snapshot download (resume's S3 flags may help). */
function s3Cause(err: unknown): boolean {
  const text = causeText(err);
  return /\bS3\b|bucket|pre-sign|snapshot URL|download|curl|endpoint/i.test(text);
}

async function forwardPhases(input: ForwardInput, at: { op: MoveOperation }): Promise<ForwardOutcome> {
  const { ctx, deps, resolver } = input;
  const { namespace, name } = ctx;
  const cp = controlPlaneNamespace(namespace, name);
  let op = input.op;
  const out: ForwardOutcome = { op, restore: null, ovnPodsRestarted: null, downtimeSeconds: null, phases: [], actions: [] };
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const t0 = deps.clock.now().getTime();
    const value = await work();
    out.phases.push({ phase, seconds: (deps.clock.now().getTime() - t0) / 1000 });
    return value;
  };
  const timeoutMs = op.waitTimeoutMs ?? 15 * 60_000;
  const wait = { clock: deps.clock, reporter: deps.reporter, signal: deps.signal };
  const handoff: HandOffContext = {
    ...wait,
    resolver,
    host: op.apiHostname ?? '',
    sourceAddresses: op.sourceAddresses ?? [],
    timeoutMs: op.dnsTimeoutMs ?? 10 * 60_000,
    resumeCommand: input.resumeCommand,
  };
  const quiesce: QuiesceContext = { api: ctx.source.api, ...wait, namespace, name, controlPlaneNamespace: cp, waitTimeoutMs: timeoutMs };

  if (op.phase === 'dns-handoff') {
    await timed('dns-handoff', async () => {
      if (await ctx.source.api.get(Resources.hostedCluster, namespace, name)) {
        await freezeForGood(quiesce, Object.keys(op.nodePoolsPausedUntil ?? {}));
        // A run killed while removing its snapshot file may have left it: gone before the teardown.
        if (op.snapshot) await removeSnapshotFile(ctx.source, cp, op.snapshot, out.actions, deps.reporter);
        const routes = await deleteRoutes(ctx.source.api, cp);
        if (routes.length) out.actions.push(`deleted the source's routes ${routes.join(', ')}`);
      }
      if (handoff.host) {
        deps.reporter.info(`waiting for ${handoff.host} to leave the source (${resolver.describe()})`);
        await waitForRelease(handoff);
      }
    });
    op = await advance(ctx, op, 'restoring');
    at.op = op;
    deps.step?.('dns-released');
  }

  if (op.phase === 'restoring') {
    const restore = await timed('restore', () => restoreOnDestination(input, op));
    out.restore = restore;
    if (restore.verdict.state === 'SplitBrain' && !repairAllowed(op)) {
      const stopped = await stopAtSplitBrain(ctx, op, restore, input.resumeCommand);
      return { ...out, op: (at.op = stopped.op), stopped: stopped.stop };
    }
    if (restore.verdict.state !== 'Restored')
      throw new RemoteError(
        `the restore on the destination is ${restore.verdict.state}: ${restore.verdict.reason}${restore.verdict.hint ? ` (${restore.verdict.hint})` : ''}`,
      );
    if (handoff.host) {
      deps.reporter.info(`waiting for ${handoff.host} to resolve to the destination`);
      const addresses = await timed('dns-destination', () => waitForDestination(handoff));
      out.actions.push(`${handoff.host} resolves to ${addresses.join(', ')}`);
    }
    if (op.frozenAt) out.downtimeSeconds = (deps.clock.now().getTime() - new Date(op.frozenAt).getTime()) / 1000;
    op = await advance(ctx, op, 'verified');
    at.op = op;
    deps.step?.('verified');
  }

  if (op.phase === 'verified' || op.phase === 'tearing-down') {
    if (op.keepSource) {
      await releaseOperation(ctx.source.api, namespace, name).catch(() => undefined);
      await ctx.source.api
        .mergePatch(Resources.hostedCluster, namespace, name, {
          metadata: { annotations: { [Annotations.movedTo]: op.destination?.context ?? '' } },
        })
        .catch(() => undefined);
      out.actions.push('left the source paused for good with its API servers at 0 (--keep-source)');
    } else {
      op = await advance(ctx, op, 'tearing-down');
      at.op = op;
      deps.step?.('tearing-down');
      const removed = await timed('teardown', () =>
        tearDownSource({ ...wait, api: ctx.source.api, namespace, name, controlPlaneNamespace: cp, timeoutMs, nodeMode: op.nodeMode }),
      );
      out.actions.push(...removed);
    }
    op = await advance(ctx, op, 'source-removed');
    at.op = op;
    deps.step?.('source-removed');
  }

  if (op.phase === 'source-removed') {
    out.ovnPodsRestarted = await timed('after', () =>
      restartOvn({ ...wait, api: ctx.destination.api, world: deps.world, namespace, name, timeoutMs }),
    );
    out.actions.push(`restarted ${out.ovnPodsRestarted} OVN pods in the hosted cluster`);
    const after = { ...wait, api: ctx.destination.api, world: deps.world, namespace, name, timeoutMs, expected: op.expectedNodes };
    out.nodes = await timed('nodes', () => waitForMovedNodes(after));
    await writeDestinationRecord(ctx.destination.api, namespace, name, null);
    deps.step?.('done');
  }
  out.op = op;
  return out;
}
