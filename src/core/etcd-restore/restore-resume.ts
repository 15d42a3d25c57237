/**
 * `resume` of `etcd restore` (registered in core/resume.ts), from the operation record alone,
 * through the same phases as the run (restore-phases.ts). Before phase etcd-started the run is
 * rolled back (the old data back in every volume, replicas and pause as before); from
 * etcd-started on it is finished (etcd and API servers back, verified by data, unpaused, cleaned
 * up). Either way the cluster never stays in between. Safe to repeat.
 */
import type { EtcdRestoreOperation } from '../operation/record.ts';
import type { ResumeHandler, ResumeResult } from '../operation/resume.ts';
import { resumeWorkflow, type RunOutcome } from '../operation/runner.ts';
import { hostedClusterStore } from '../operation/store.ts';
import { changeIndex } from '../operation/workflow.ts';
import { etcdRestoreState, etcdRestoreWorkflow, type EtcdRestoreState } from './restore-phases.ts';

/** How long `resume` waits for each step (helpers Ready, etcd back and verified); it can be run again. */
export const RESUME_WAIT_MS = 10 * 60_000;

export const resumeEtcdRestore: ResumeHandler<'etcd-restore'> = async ({ namespace, name, record, deps }) => {
  const op = record.operation;
  const state = etcdRestoreState(
    { ...deps, namespace, name, waitTimeoutMs: RESUME_WAIT_MS },
    { previousPausedUntil: record.previousPausedUntil, previousReplicas: record.previousReplicas },
  );
  const rollingBack = changeIndex(etcdRestoreWorkflow, op.phase) < etcdRestoreWorkflow.pointOfNoReturn;
  deps.reporter.info(
    rollingBack
      ? `etcd restore ${op.id} stopped at phase ${op.phase}, before etcd started on the restored data: rolling back`
      : `etcd restore ${op.id} stopped at phase ${op.phase}, after etcd started on the restored data: finishing`,
  );
  const outcome = await resumeWorkflow(etcdRestoreWorkflow, state, op, {
    store: hostedClusterStore<'etcd-restore'>(deps.api, namespace, name),
    reporter: deps.reporter,
    clock: deps.clock,
    signal: deps.signal,
    resumeCommand: `{cmd} resume ${name} -n ${namespace}`,
  });
  return etcdRestoreResumed(namespace, name, op, state, outcome);
};

/** What a resume reports: the direction the runner took, what was done, and the phases it ran (or undid), timed. */
export function etcdRestoreResumed(
  namespace: string,
  name: string,
  op: EtcdRestoreOperation,
  state: EtcdRestoreState,
  outcome: RunOutcome<'etcd-restore'>,
): ResumeResult {
  const removed = `removed the record of operation ${op.id}`;
  if (outcome.direction === 'rolled-back')
    return {
      namespace,
      name,
      operation: op.id,
      actions: [`rolled back etcd restore ${op.id} to the old data`, ...outcome.actions, removed],
      phases: outcome.phases,
    };
  return {
    namespace,
    name,
    operation: op.id,
    actions: [
      `finished etcd restore ${op.id}: restored and verified`,
      ...state.actions,
      removed,
      ...(state.finished?.oldDataKept ?? []).map((c) => `kept old data: ${c}`),
    ],
    phases: outcome.phases,
  };
}
