/**
 * `resume` of `etcd restore` (registered in cli/commands/resume/handlers.ts), from the operation record alone.
 * Before phase etcd-started the run is rolled back (the old data back in every volume, replicas
 * and pause as before); from etcd-started on it is finished (etcd and API servers back, verified
 * by data, unpaused, cleaned up). Either way the cluster never stays in between. Safe to repeat.
 */
import { controlPlaneNamespace } from '../model.ts';
import { updateOperation } from '../operation/record.ts';
import type { ResumeHandler } from '../operation/resume.ts';
import { before, finishRestore, rollBackRestore, type EndContext } from './restore-end.ts';

/** How long `resume` waits for each step (helpers Ready, etcd back and verified); it can be run again. */
export const RESUME_WAIT_MS = 10 * 60_000;

export const resumeEtcdRestore: ResumeHandler<'etcd-restore'> = async ({ namespace, name, hc, record, deps }) => {
  const op = record.operation;
  const ctx: EndContext = { ...deps, namespace, name, cpNamespace: controlPlaneNamespace(namespace, name), waitTimeoutMs: RESUME_WAIT_MS };
  const undo = { previousPausedUntil: record.previousPausedUntil, previousReplicas: record.previousReplicas };
  if (before(op, 'etcd-started')) {
    deps.reporter.info(`etcd restore ${op.id} stopped at phase ${op.phase}, before etcd started on the restored data: rolling back`);
    const actions = await rollBackRestore(ctx, op, undo);
    return { namespace, name, operation: op.id, actions: [`rolled back etcd restore ${op.id} to the old data`, ...actions] };
  }
  deps.reporter.info(`etcd restore ${op.id} stopped at phase ${op.phase}, after etcd started on the restored data: finishing`);
  const end = await finishRestore(ctx, op, undo, (next) => updateOperation(deps.api, hc, next));
  return {
    namespace,
    name,
    operation: op.id,
    actions: [
      `finished etcd restore ${op.id}: restored and verified`,
      ...end.actions,
      ...end.oldDataKept.map((c) => `kept old data: ${c}`),
    ],
  };
};
