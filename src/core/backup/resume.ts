/**
 * `resume` of a backup: undoes whatever a backup run left on the cluster, from its operation
 * record alone, through the same phases as the run (phases.ts): replicas and spec.pausedUntil
 * back (waiting until the pause change reaches the HostedControlPlane), the snapshot file removed
 * from the pod, then the record. Idempotent: each undo is an "ensure". It never deletes a
 * completed backup, nor an incomplete upload (the store's credentials are not on the cluster:
 * `backup prune` lists and removes incomplete backups).
 */
import { hostedClusterRef } from '../controlplane/hosted-cluster.ts';
import type { ResumeInput, ResumeResult } from '../operation/resume.ts';
import { resumeWorkflow } from '../operation/runner.ts';
import { hostedClusterStore } from '../operation/store.ts';
import { backupWorkflow } from './phases.ts';
import type { BackupState } from './state.ts';

export async function resumeBackup({ namespace, name, record, deps }: ResumeInput<'backup'>): Promise<ResumeResult> {
  const op = record.operation;
  const state: BackupState = {
    namespace,
    name,
    cpNamespace: hostedClusterRef(namespace, name).controlPlaneNamespace,
    deps: { ...deps, ...(deps.signal ? { signal: deps.signal } : {}) },
    id: op.id,
    ...(op.member ? { member: op.member } : {}),
    ...(op.snapshotPath ? { snapshotPath: op.snapshotPath } : {}),
    quiesceUndo: { previousPausedUntil: record.previousPausedUntil, previousReplicas: record.previousReplicas },
    apiDowntimeSeconds: null,
  };
  const outcome = await resumeWorkflow(backupWorkflow, state, op, {
    store: hostedClusterStore<'backup'>(deps.api, namespace, name),
    reporter: deps.reporter,
    clock: deps.clock,
    signal: deps.signal,
    resumeCommand: `{cmd} resume ${name} -n ${namespace}`,
  });
  return {
    namespace,
    name,
    operation: op.id,
    actions: [...outcome.actions, `removed the record of operation ${op.id}`],
    phases: outcome.phases,
  };
}
