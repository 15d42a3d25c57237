/**
 * The end of every restore run (first run, re-run, `resume`): wait for EtcdSnapshotRestored,
 * verify by data, repair a split brain in place (repair.ts) unless told not to, and release the
 * record. Writes after the data verified are retried on connection failures; one that still
 * fails is an interrupted operation (exit 5, `resume`), never a failed restore.
 */
import { PartialFailureError, PreconditionError, causeText } from '../errors.ts';
import { retryOnConnectionFailure } from '../connection-retry.ts';
import { Etcd, Resources } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { advanceRecord, readRestoreRecord, releaseRecord, type RestoreRecord } from './record.ts';
import { repairHint, repairSplitBrain, splitMembers, type RepairingRecord, type RepairSource } from './repair.ts';
import { restoreResult, type RestoreRunFacts } from './result.ts';
import type { RestoreDeps } from '../contracts/restore.ts';
import type { PlannedObject, RestoreResult } from '../contracts/restore.ts';
import { verifyRestoredData } from '../etcd/verify-data.ts';
import { waitForRestore } from './wait.ts';

/** Where a repair reads the backup again (opened only when one is needed), and whether it may run. */
export interface RepairFrom {
  allowed: boolean;
  source?: () => Promise<RepairSource>;
}

export async function finish(
  base: RestoreRunFacts & { planned: PlannedObject[] },
  record: RestoreRecord,
  deps: Omit<RestoreDeps, 'confirmReplace'>,
  waitTimeoutMs: number,
  rerun: string,
  repairFrom: RepairFrom,
): Promise<RestoreResult> {
  const { namespace, name, cp } = base;
  const hc = await deps.api.get(Resources.hostedCluster, namespace, name);
  const policy = (hc?.['spec'] as { controllerAvailabilityPolicy?: string } | undefined)?.controllerAvailabilityPolicy;
  const replicas = policy === 'SingleReplica' ? 1 : 3;
  const repairing = (record as RepairingRecord).repair;
  if (repairing && !(repairFrom.allowed && repairFrom.source))
    throw new PreconditionError(
      `failed to finish the restore of ${namespace}/${name}: a repair of its split etcd was interrupted, and this run cannot read the backup again`,
      { hint: `repeat the repair with: ${rerun}` },
    );
  let crashed: string | undefined;
  if (!repairing) {
    try {
      await waitForRestore({
        api: deps.api,
        logs: deps.logs,
        clock: deps.clock,
        reporter: deps.reporter,
        namespace,
        name,
        controlPlaneNamespace: cp,
        replicas,
        timeoutMs: waitTimeoutMs,
        rerun,
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
    } catch (err) {
      // Released HyperShift's second bug (§3.1): etcd-init restored the snapshot in every pod, yet a
      // member crash-loops (its membership is not the data's). The in-place restore repairs that too.
      crashed = repairFrom.allowed && repairFrom.source && !deps.signal?.aborted ? await crashAfterInit(deps.api, cp) : undefined;
      if (!crashed) throw err;
    }
    deps.reporter.debug('step: restored');
    if (readRestoreRecord(hc) && record.phase === 'waiting') record = await advanceRecord(deps.api, namespace, name, record, 'verifying');
  }
  const verify = () => {
    deps.reporter.info('verifying the restored data on every member');
    return verifyRestoredData({
      api: deps.api,
      exec: deps.exec,
      clock: deps.clock,
      namespace,
      name,
      backup: {
        revision: record.revision,
        totalKeys: record.totalKeys,
        ...(record.liveKeys !== undefined ? { liveKeys: record.liveKeys } : {}),
      },
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  };
  let verification = repairing || crashed ? undefined : await verify();
  // hashkv alone may differ for a moment while the control plane writes: asked once more before a repair.
  if (verification && splitMembers(verification) && verification.state !== 'SplitBrain') verification = await verify();
  let repair: RestoreResult['repair'] = null;
  if (!verification || splitMembers(verification)) {
    const found = repairing?.reason ?? crashed ?? verification?.reason.replace(/^split brain: /, '') ?? '';
    if (repairFrom.allowed && repairFrom.source) {
      const repaired = await repairSplitBrain(
        {
          ...deps,
          namespace,
          name,
          cp,
          replicas,
          waitTimeoutMs,
          rerun,
        },
        record,
        found,
        await repairFrom.source(),
      );
      ({ record, verification, repair } = repaired);
      if (verification.state === 'Restored')
        verification = { ...verification, reason: `${verification.reason} (after repairing a split brain: ${found})` };
    } else {
      const v = verification as NonNullable<typeof verification>;
      verification = { ...v, state: 'SplitBrain', reason: `split brain: ${found}`, hint: repairHint({ namespace, name }, base.bundle.url) };
      repair = { repaired: false, reason: found, apiDowntimeSeconds: null, actions: [] };
      // `etcd restore` (the repair the hint names) takes its own record: this one is done.
      await retryOnConnectionFailure(() => releaseRecord(deps.api, namespace, name));
    }
  }
  if (verification.state === 'Restored') await afterVerified(deps.api, namespace, name);
  deps.reporter.debug('step: verified');
  return restoreResult(base, deps.api, deps.clock, base.planned, verification, record, repair);
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
