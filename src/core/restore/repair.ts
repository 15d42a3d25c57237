/**
 * Repairing a split brain after a restore (hypershift-domain.md §3.1, OCPBUGS-99534): released
 * HyperShift's etcd-init restores every member as its own one-member cluster. The repair is the
 * in-place restore of the same backup into every volume (etcd/volume-restore.ts: API servers at
 * 0, one --initial-cluster), then the data verified again.
 *
 * Contract: the restore record stays on the HostedCluster through the repair, marked with
 * `repair` (so a re-run of the same `restore` repeats the repair, which is idempotent, instead of
 * waiting for an etcd that is at 0); the record is released only once the data verifies.
 */
import { randomUUID } from 'node:crypto';
import { PartialFailureError, PreconditionError, causeText } from '../errors.ts';
import { Resources } from '../model.ts';
import type { Clock, KubeApi, ObjectStore, OpenedStore, PodExec, Reporter, S3Target } from '../ports.ts';
import { readReplicas } from '../controlplane/quiesce.ts';
import { waitUntil } from '../controlplane/wait.ts';
import { restoreEveryVolume } from '../etcd/volume-restore.ts';
import type { RestoreRecord } from './record.ts';
import type { RestoreResult } from '../contracts/restore.ts';
import { verifyRestoredData, type DataVerification } from '../etcd/verify-data.ts';

/** The restore record while a repair runs (the extra field travels in the record's JSON). */
export type RepairingRecord = RestoreRecord & {
  repair?: { id: string; reason: string; startedAt: string; apiReplicas?: Record<string, number> };
};

/** Where the repair reads the snapshot again: the backup's own object, as verified. */
export interface RepairSource {
  store: ObjectStore;
  key: string;
  sha256: string;
  size: number;
}

export interface RepairContext {
  api: KubeApi;
  exec: PodExec;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  namespace: string;
  name: string;
  cp: string;
  replicas: number;
  waitTimeoutMs: number;
  onBytes?: (n: number) => void;
  /** The command that repeats this restore (continues an interrupted repair). */
  rerun: string;
  /** Records the repair on the restore's record (the runner's run.record), before anything is done. */
  record(repair: NonNullable<RepairingRecord['repair']>): Promise<void>;
  /** Marks a step for the test hook. */
  step(name: string): void;
}

/**
 * Whether a verification shows members in different clusters: the split brain etcd status names,
 * or every member answering while the member list or hashkv disagree.
 */
export function splitMembers(v: DataVerification): boolean {
  if (v.state === 'SplitBrain') return true;
  if (v.state !== 'Inconsistent') return false;
  const failed = (n: string) => v.etcd.checks.some((c) => c.name === n && !c.ok);
  return !failed('health') && (failed('members') || failed('hashkv'));
}

export function repairHint(ctx: Pick<RepairContext, 'namespace' | 'name'>, backupUrl: string): string {
  return `each etcd pod restored the snapshot as its own cluster (OCPBUGS-99534): do not use this cluster; repair it in place from the same backup with "{cmd} etcd restore ${ctx.name} -n ${ctx.namespace} --from-backup ${backupUrl}", or run this restore again without --no-repair`;
}

export async function repairSplitBrain(
  ctx: RepairContext,
  record: RepairingRecord,
  found: string,
  source: RepairSource,
): Promise<{ verification: DataVerification; repair: NonNullable<RestoreResult['repair']> }> {
  const id = record.repair?.id ?? randomUUID().slice(0, 8);
  ctx.reporter.warn(`the restored members are in different clusters (${found}): repairing in place from the same backup`);
  // The API servers' replicas before the first run scaled them to 0: what a repeated run puts back.
  const apiReplicas = record.repair?.apiReplicas ?? (await readReplicas({ api: ctx.api, controlPlaneNamespace: ctx.cp }));
  const repair = { id, reason: found, startedAt: ctx.clock.now().toISOString(), apiReplicas };
  await ctx.record(repair);
  ctx.step('repairing');
  // A deadline left by an interrupted repair expires by itself: only a value the cluster had before is put back.
  const hc = await ctx.api.get(Resources.hostedCluster, ctx.namespace, ctx.name);
  const previousPausedUntil = record.repair ? null : ((hc?.['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ?? null);
  let outcome;
  try {
    outcome = await restoreEveryVolume(
      { ...ctx, cpNamespace: ctx.cp },
      {
        operationId: id,
        replicas: ctx.replicas,
        info: {
          description: `backup ${record.backup}`,
          sha256: source.sha256,
          size: source.size,
          revision: record.revision,
          totalKeys: record.totalKeys,
          skipHashCheck: false,
          notes: [],
          key: source.key,
        },
        open: () => source.store.get(source.key, ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.onBytes ? { onBytes: ctx.onBytes } : {}),
        previousPausedUntil,
        apiReplicas,
      },
    );
  } catch (err) {
    throw new PartialFailureError(`the repair of the split etcd did not finish: ${causeText(err)}`, {
      cause: err,
      hint: `the restore record stays on the HostedCluster; repeat the repair with: ${ctx.rerun}`,
    });
  }
  let last: DataVerification | undefined;
  try {
    await waitUntil({ ...ctx, timeoutMs: ctx.waitTimeoutMs }, 'the repaired data to verify', async () => {
      last = await verifyRestoredData({
        api: ctx.api,
        exec: ctx.exec,
        clock: ctx.clock,
        namespace: ctx.namespace,
        name: ctx.name,
        backup: {
          revision: record.revision,
          totalKeys: record.totalKeys,
          ...(record.liveKeys !== undefined ? { liveKeys: record.liveKeys } : {}),
        },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return last.state === 'Restored';
    });
  } catch (err) {
    if (ctx.signal?.aborted || !last) throw err;
  }
  const verification = last as DataVerification;
  return {
    verification,
    repair: {
      repaired: verification.state === 'Restored',
      reason: found,
      apiDowntimeSeconds: outcome.apiDowntimeSeconds,
      actions: outcome.actions,
    },
  };
}

/** The snapshot as the record names it (recorded by the run that created the HostedCluster). */
export async function recordedSource(record: RestoreRecord, openStore: (target: S3Target) => Promise<OpenedStore>): Promise<RepairSource> {
  const snap = (record as RecordedSnapshot).snapshot;
  if (!snap)
    throw new PreconditionError(`the restore record of backup ${record.backup} does not name its snapshot (an older hcp-dr wrote it)`, {
      hint: `run the restore again: {cmd} restore ${record.backup}`,
    });
  const opened = await openStore({ url: record.backup, ...(snap.via ?? {}) });
  // A staged (decoded) copy is read while it lasts: resume has no identity to decode the backup's own object.
  const key = snap.staged ?? (opened.prefix ? `${opened.prefix}/${snap.file}` : snap.file);
  return { store: opened.store, key, sha256: snap.sha256, size: snap.size };
}

/** What the record carries so that `resume` can read the snapshot again (no credentials). */
export type RecordedSnapshot = RestoreRecord & {
  snapshot?: {
    file: string;
    sha256: string;
    size: number;
    /** The decoded copy of a compressed/encrypted snapshot etcd-init downloads (bundle/staging.ts): its key in the backup's bucket. */
    staged?: string;
    via?: Pick<S3Target, 'region' | 'endpoint' | 'pathStyle' | 'caBundle'>;
  };
};
