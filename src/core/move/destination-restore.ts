/**
 * The `restoring` phase of a move: the restore workflow on the destination from the move's backup,
 * its record riding on the HostedCluster it creates. A destination HostedCluster this move created
 * whose snapshot restore failed is created anew (its adopted instances released first); a split
 * brain is repaired in place unless the move was recorded with --no-repair (split-brain.ts).
 */
import { PreconditionError } from '../errors.ts';
import { failedRestore, removeHostedCluster } from '../controlplane/failed-restore.ts';
import { Annotations, controlPlaneNamespace, Resources } from '../model.ts';
import type { MoveOperation } from '../operation/record.ts';
import type { RestoreResult } from '../contracts/restore.ts';
import { nodeRestoreOptions } from './nodes.ts';
import { readMoveAnnotation, viaTarget } from './records.ts';
import { releaseInstances } from './release-instances.ts';
import type { MoveState } from './state.ts';
import { MOVE_URL_EXPIRY_SECONDS, repairAllowed } from './types.ts';

export async function restoreOnDestination(state: MoveState, op: MoveOperation): Promise<RestoreResult> {
  const { deps } = state;
  const ctx = state;
  if (!op.backup) throw new PreconditionError(`move ${op.id}: the record names no backup`, { hint: 'inspect the record' });
  const target = viaTarget(op, op.backup);
  const opened = await deps.world.openObjectStore(target);
  // A destination HostedCluster this move created whose snapshot restore failed is created anew.
  const dstHc = await ctx.destination.api.get(Resources.hostedCluster, ctx.namespace, ctx.name);
  const why =
    dstHc && readMoveAnnotation(dstHc)?.id === op.id ? await failedRestore(ctx.destination.api, ctx.namespace, ctx.name) : undefined;
  if (why) {
    deps.reporter.warn(
      `the destination's snapshot restore failed (${why}): re-creating the HostedCluster this move created, with a fresh pre-signed URL`,
    );
    // Its deletion would terminate the instances it adopted: the hosted cluster's nodes.
    for (const line of await releaseInstances(ctx.destination.api, controlPlaneNamespace(ctx.namespace, ctx.name)))
      deps.reporter.info(line);
    await removeHostedCluster(
      {
        api: ctx.destination.api,
        clock: deps.clock,
        reporter: deps.reporter,
        signal: deps.signal,
        timeoutMs: op.waitTimeoutMs ?? 15 * 60_000,
      },
      ctx.namespace,
      ctx.name,
    );
  }
  deps.reporter.info(`restoring ${ctx.namespace}/${ctx.name} on the destination from ${op.backup}`);
  return deps.restore(
    {
      store: opened.store,
      prefix: opened.prefix,
      openBucket: async (bucket) => (await deps.world.openObjectStore({ ...target, url: `s3://${bucket}` })).store,
      namespace: ctx.namespace,
      replace: false,
      dryRun: false,
      expiresInSeconds: MOVE_URL_EXPIRY_SECONDS,
      waitTimeoutMs: op.waitTimeoutMs ?? 15 * 60_000,
      rerun: state.resumeCommand,
      ...(op.toolVersion ? { toolVersion: op.toolVersion } : {}),
      hostedClusterAnnotations: { [Annotations.move]: JSON.stringify({ ...op, phase: 'restoring' }) },
      ...nodeRestoreOptions(op.nodeMode, op.withNodes),
      ...(repairAllowed(op) ? {} : { repair: false }),
      // An encrypted/compressed move backup: the restore stages a decoded copy for etcd-init (bundle/staging.ts).
      ...(deps.keyring ? { keyring: deps.keyring } : {}),
    },
    {
      api: ctx.destination.api,
      exec: ctx.destination.exec,
      logs: { read: async (ns, pod, container, o) => ctx.destination.api.readLog?.(ns, pod, container, o) },
      clock: deps.clock,
      reporter: deps.reporter,
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.onBytes ? { onBytes: deps.onBytes } : {}),
      confirmReplace: () =>
        Promise.reject(new PreconditionError('the destination holds another copy of the cluster', { hint: 'inspect the destination' })),
    },
  );
}
