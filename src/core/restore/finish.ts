/**
 * The end of every restore (run, re-run, `resume`), as its last two phases (phases.ts): wait for
 * EtcdSnapshotRestored, then verify by data and repair a split brain in place (repair.ts) unless
 * told not to. The record is released by the store (store.ts) once the data verified; writes after
 * that are retried on connection failures, and one that still fails is an interrupted operation
 * (exit 5, `resume`), never a failed restore.
 */
import { PartialFailureError, PreconditionError, causeText } from '../errors.ts';
import { retryOnConnectionFailure } from '../connection-retry.ts';
import { Etcd, Resources } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import type { PhaseRun } from '../operation/workflow.ts';
import type { RestoreState } from './phases.ts';
import { readRestoreRecord, releaseRecord } from './record.ts';
import { repairHint, repairSplitBrain, splitMembers, type RepairingRecord, type RepairSource } from './repair.ts';
import { verifyRestoredData, type DataVerification } from '../etcd/verify-data.ts';
import { waitForRestore } from './wait.ts';

/** Where a repair reads the backup again (opened only when one is needed), and whether it may run. */
export interface RepairFrom {
  allowed: boolean;
  source?: () => Promise<RepairSource>;
}

const canRepair = (s: RestoreState) => s.repairFrom.allowed && s.repairFrom.source !== undefined;

async function replicasOf(s: RestoreState): Promise<number> {
  const hc = await s.deps.api.get(Resources.hostedCluster, s.namespace, s.name);
  return (hc?.['spec'] as { controllerAvailabilityPolicy?: string } | undefined)?.controllerAvailabilityPolicy === 'SingleReplica' ? 1 : 3;
}

/** Waits for EtcdSnapshotRestored; skipped while a repair is recorded (etcd is at 0 until it ends). */
export async function waitPhase(s: RestoreState, run: PhaseRun<'restore'>): Promise<void> {
  if ((run.operation as RepairingRecord).repair) return;
  let crashed: string | undefined;
  try {
    await waitForRestore({
      api: s.deps.api,
      logs: s.deps.logs,
      clock: s.deps.clock,
      reporter: s.deps.reporter,
      namespace: s.namespace,
      name: s.name,
      controlPlaneNamespace: s.cp,
      replicas: await replicasOf(s),
      timeoutMs: s.waitTimeoutMs,
      rerun: s.rerun,
      ...(run.signal ? { signal: run.signal } : {}),
    });
  } catch (err) {
    // Released HyperShift's second bug (§3.1): etcd-init restored the snapshot in every pod, yet a
    // member crash-loops (its membership is not the data's). The in-place restore repairs that too.
    crashed = canRepair(s) && !run.signal?.aborted ? await crashAfterInit(s.deps.api, s.cp) : undefined;
    if (!crashed) throw err;
  }
  s.waited = { crashed };
  run.step('restored');
}

/** Verifies the data on every member and repairs a split brain in place (or reports it, --no-repair). */
export async function verifyPhase(s: RestoreState, run: PhaseRun<'restore'>): Promise<void> {
  const repairing = (run.operation as RepairingRecord).repair;
  // A run that goes on from this phase waits first, as every run does (at once when restored).
  if (!repairing && !s.waited) await waitPhase(s, run);
  if (repairing && !canRepair(s))
    throw new PreconditionError(
      `failed to finish the restore of ${s.namespace}/${s.name}: a repair of its split etcd was interrupted, and this run cannot read the backup again`,
      { hint: `repeat the repair with: ${s.rerun}` },
    );
  const crashed = s.waited?.crashed;
  let verification = repairing || crashed ? undefined : await verify(s, run);
  // hashkv alone may differ for a moment while the control plane writes: asked once more before a repair.
  if (verification && splitMembers(verification) && verification.state !== 'SplitBrain') verification = await verify(s, run);
  if (verification && !splitMembers(verification)) {
    s.verification = verification;
    return;
  }
  const found = repairing?.reason ?? crashed ?? verification?.reason.replace(/^split brain: /, '') ?? '';
  if (!canRepair(s)) {
    const v = verification as DataVerification;
    s.verification = { ...v, state: 'SplitBrain', reason: `split brain: ${found}`, hint: repairHint(s, s.bundle?.url ?? '') };
    s.repair = { repaired: false, reason: found, apiDowntimeSeconds: null, actions: [] };
    // `etcd restore` (the repair the hint names) takes its own record: this one is done.
    if (s.store.attached) await retryOnConnectionFailure(() => releaseRecord(s.deps.api, s.namespace, s.name));
    return;
  }
  const repaired = await repairSplitBrain(
    {
      ...s.deps,
      namespace: s.namespace,
      name: s.name,
      cp: s.cp,
      replicas: await replicasOf(s),
      waitTimeoutMs: s.waitTimeoutMs,
      rerun: s.rerun,
      record: (repair) => run.record({ repair } as Partial<RepairingRecord>),
      step: (name) => run.step(name),
    },
    run.operation as RepairingRecord,
    found,
    await s.repairFrom.source!(),
  );
  s.repair = repaired.repair;
  s.verification =
    repaired.verification.state === 'Restored'
      ? { ...repaired.verification, reason: `${repaired.verification.reason} (after repairing a split brain: ${found})` }
      : repaired.verification;
}

function verify(s: RestoreState, run: PhaseRun<'restore'>): Promise<DataVerification> {
  s.deps.reporter.info('verifying the restored data on every member');
  const record = run.operation as RepairingRecord;
  return verifyRestoredData({
    api: s.deps.api,
    exec: s.deps.exec,
    clock: s.deps.clock,
    namespace: s.namespace,
    name: s.name,
    backup: {
      revision: record.revision,
      totalKeys: record.totalKeys,
      ...(record.liveKeys !== undefined ? { liveKeys: record.liveKeys } : {}),
    },
    ...(run.signal ? { signal: run.signal } : {}),
  });
}

/** The record's release after verified data: retried on connection failures; a failure left says resume. */
export async function afterVerified(api: KubeApi, namespace: string, name: string): Promise<void> {
  try {
    await retryOnConnectionFailure(async () => {
      if (readRestoreRecord(await api.get(Resources.hostedCluster, namespace, name))) await releaseRecord(api, namespace, name);
    });
  } catch (err) {
    throw new PartialFailureError(`the restored data of ${namespace}/${name} is verified, but finishing failed: ${causeText(err)}`, {
      cause: err,
      hint: `finish with: {cmd} resume ${name} -n ${namespace}`,
    });
  }
}

/**
 * Every etcd pod Running (so each etcd-init finished: the snapshot was restored) while an etcd
 * container crash-loops: what the restored members say when they cannot form one cluster.
 */
async function crashAfterInit(api: KubeApi, cp: string): Promise<string | undefined> {
  const pods = await api.list(Resources.pod, cp, { labelSelector: Etcd.podSelector }).catch(() => []);
  if (pods.length === 0 || pods.some((p) => (p['status'] as { phase?: string } | undefined)?.phase !== 'Running')) return undefined;
  const looping = pods.filter((p) =>
    (
      (p['status'] as { containerStatuses?: { name: string; state?: { waiting?: { reason?: string } } }[] } | undefined)
        ?.containerStatuses ?? []
    ).some((c) => c.name === Etcd.container && c.state?.waiting?.reason === 'CrashLoopBackOff'),
  );
  return looping.length
    ? `${looping.map((p) => p.metadata.name).join(', ')} crash-loop after etcd-init restored the snapshot in every pod`
    : undefined;
}
