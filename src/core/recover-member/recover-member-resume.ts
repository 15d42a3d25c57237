/**
 * `resume` of `etcd recover-member` (registered in core/resume.ts), from the operation record
 * alone, through the same phases as the run (recover-member-phases.ts). Before phase
 * `storage-replaced` nothing was deleted: the checks run again and the recovery continues, or,
 * when it is no longer safe, the member the run added is removed and the record released with the
 * reason. From `storage-replaced` on there is no way back: it deletes what is still the old PVC or
 * pod, waits for the member to rejoin and verifies. Safe to repeat.
 */
import { controlPlaneNamespace } from '../model.ts';
import type { ResumeHandler } from '../operation/resume.ts';
import { resumeWorkflow } from '../operation/runner.ts';
import { hostedClusterStore } from '../operation/store.ts';
import { planRecoverMember, recoverMemberResult } from './recover-member.ts';
import { recoverMemberWorkflow, type RecoverMemberState } from './recover-member-phases.ts';

/** How long `resume` waits for the member to rejoin before it gives up (it can be run again). */
export const RESUME_WAIT_MS = 10 * 60_000;

export const resumeRecoverMember: ResumeHandler<'recover-member'> = async ({ namespace, name, record, deps }) => {
  const op = record.operation;
  const member = op.member ?? '';
  const state: RecoverMemberState = {
    namespace,
    name,
    member,
    ctx: { ...deps, signal: undefined, controlPlaneNamespace: controlPlaneNamespace(namespace, name), waitTimeoutMs: RESUME_WAIT_MS },
    plan: () => planRecoverMember({ namespace, name, member, waitTimeoutMs: RESUME_WAIT_MS }, deps),
    actions: [],
  };
  const outcome = await resumeWorkflow(recoverMemberWorkflow, state, op, {
    store: hostedClusterStore<'recover-member'>(deps.api, namespace, name),
    reporter: deps.reporter,
    clock: deps.clock,
    signal: deps.signal,
    resumeCommand: `{cmd} resume ${name} -n ${namespace}`,
  });
  const { actions, phases } = recoverMemberResult(state, outcome.operation, outcome.phases);
  return { namespace, name, operation: op.id, actions, phases };
};
