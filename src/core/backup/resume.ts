/**
 * `resume` of a backup: undoes whatever a backup run left on the cluster, from its operation
 * record alone: replicas and spec.pausedUntil back (waiting until the pause change reaches the
 * HostedControlPlane), the snapshot file removed from the pod, then the record. Idempotent:
 * each action is an "ensure". It never deletes a completed backup.
 */
import { causeText, PartialFailureError } from '../errors.ts';
import { hostedClusterRef } from '../controlplane/hosted-cluster.ts';
import { undoQuiesce, type QuiesceContext } from '../controlplane/quiesce.ts';
import { releaseOperation } from '../operation/record.ts';
import type { ResumeInput, ResumeResult } from '../operation/resume.ts';
import { removeSnapshot } from '../etcd/pod-snapshot.ts';

export async function resumeBackup({ namespace, name, record, deps }: ResumeInput<'backup'>): Promise<ResumeResult> {
  const cpNamespace = hostedClusterRef(namespace, name).controlPlaneNamespace;
  const ctx: QuiesceContext = {
    api: deps.api,
    clock: deps.clock,
    reporter: deps.reporter,
    namespace,
    name,
    controlPlaneNamespace: cpNamespace,
    waitTimeoutMs: 60_000,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const { actions, failures } = await undoQuiesce(ctx, record);
  const { member, snapshotPath } = record.operation;
  if (member && snapshotPath) {
    // A leftover file only costs PV space: report it with the manual command rather than keep the lock.
    try {
      await removeSnapshot(
        { exec: deps.exec, namespace: cpNamespace, pod: member, ...(deps.signal ? { signal: deps.signal } : {}) },
        snapshotPath,
      );
      actions.push(`removed ${snapshotPath} from pod ${member}`);
    } catch (err) {
      deps.reporter.warn(
        `could not remove ${snapshotPath} from pod ${member} (${causeText(err)}); remove it with: kubectl exec -n ${cpNamespace} ${member} -c etcd -- rm -f ${snapshotPath}`,
      );
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
