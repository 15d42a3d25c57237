/**
 * `resume`: undoes whatever a backup run left on the cluster, from the operation record on the
 * HostedCluster alone, on any machine. Idempotent: each action is an "ensure", and with no
 * record there is nothing to do. It never deletes a completed backup.
 */
import { causeText, PartialFailureError } from '../errors.ts';
import { controlPlaneNamespace, ETCD_WRITER_DEPLOYMENTS } from '../model.ts';
import type { Clock, KubeApi, PodExec, Reporter } from '../ports.ts';
import { resolveHostedCluster } from '../etcd/status.ts';
import { readOperation, releaseOperation } from './operation.ts';
import { removeSnapshot } from './pod-snapshot.ts';
import { restorePausedUntil, scaleWriters, type QuiesceContext } from './quiesce.ts';

export interface ResumeDeps {
  api: KubeApi;
  exec: PodExec;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal;
}

export interface ResumeResult {
  namespace: string;
  name: string;
  operation: string | null;
  actions: string[];
}

export async function runResume(namespace: string, name: string, deps: ResumeDeps): Promise<ResumeResult> {
  const hc = await resolveHostedCluster(deps.api, namespace, name);
  const record = readOperation(hc);
  if (!record) return { namespace, name, operation: null, actions: [] };
  const cpNamespace = controlPlaneNamespace(namespace, name);
  const ctx: QuiesceContext = { api: deps.api, clock: deps.clock, reporter: deps.reporter, namespace, name, controlPlaneNamespace: cpNamespace, waitTimeoutMs: 60_000, ...(deps.signal ? { signal: deps.signal } : {}) };
  const actions: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, action: () => Promise<void>) => {
    try {
      await action();
      actions.push(what);
    } catch (err) {
      failures.push(`${what}: ${causeText(err)}`);
    }
  };

  if (record.previousReplicas) {
    const replicas = Object.fromEntries(
      Object.entries(record.previousReplicas).filter(([d, n]) => (ETCD_WRITER_DEPLOYMENTS as readonly string[]).includes(d) && Number.isInteger(n) && n >= 0),
    );
    await attempt(`scaled ${Object.entries(replicas).map(([d, n]) => `${d} to ${n}`).join(', ')}`, () => scaleWriters(ctx, replicas));
  }
  if (record.previousPausedUntil !== undefined) {
    const value = record.previousPausedUntil;
    await attempt(value === null ? 'removed spec.pausedUntil' : `restored spec.pausedUntil to "${value}"`, () => restorePausedUntil(ctx, value));
  }
  const { member, snapshotPath } = record.operation;
  if (member && snapshotPath) {
    // A leftover file only costs PV space: report it with the manual command rather than keep the lock.
    try {
      await removeSnapshot({ exec: deps.exec, namespace: cpNamespace, pod: member, ...(deps.signal ? { signal: deps.signal } : {}) }, snapshotPath);
      actions.push(`removed ${snapshotPath} from pod ${member}`);
    } catch (err) {
      deps.reporter.warn(`could not remove ${snapshotPath} from pod ${member} (${causeText(err)}); remove it with: kubectl exec -n ${cpNamespace} ${member} -c etcd -- rm -f ${snapshotPath}`);
    }
  }
  if (failures.length > 0) {
    throw new PartialFailureError(`failed to resume "${namespace}/${name}": ${failures.join('; ')}`, {
      hint: `fix the cause and run "{cmd} resume ${name} -n ${namespace}" again (it is safe to repeat)`,
    });
  }
  await releaseOperation(deps.api, namespace, name);
  actions.push(`removed the record of operation ${record.operation.id}`);
  return { namespace, name, operation: record.operation.id, actions };
}
