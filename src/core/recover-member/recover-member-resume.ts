/**
 * `resume` of `etcd recover-member` (registered in core/resume.ts), from the operation record
 * alone. Before phase `storage-replaced` nothing was deleted: the checks run again and the
 * recovery continues, or, when it is no longer safe, the member the run added is removed and the
 * record released with the reason. From `storage-replaced` on there is no way back: it deletes
 * what is still the old PVC or pod, waits for the member to rejoin and verifies. Safe to repeat.
 */
import { PreconditionError, causeText } from '../errors.ts';
import { controlPlaneNamespace } from '../model.ts';
import { releaseOperation } from '../operation/record.ts';
import type { ResumeHandler } from '../operation/resume.ts';
import { gatherEtcd } from '../etcd/gather.ts';
import { carryOut, finish, planRecoverMember, type Prepared, type RecoverMemberRequest } from './recover-member.ts';
import { removeUnstartedMember, type StepContext } from './recover-member-steps.ts';

/** How long `resume` waits for the member to rejoin before it gives up (it can be run again). */
export const RESUME_WAIT_MS = 10 * 60_000;

/**
 * `resume` of recover-member: before `storage-replaced`, the checks run again and the recovery
 * continues, or, when it is no longer safe, the added member is removed and the record released
 * with the reason; from `storage-replaced` on, it deletes what is still old, waits and verifies.
 */
export const resumeRecoverMember: ResumeHandler<'recover-member'> = async ({ namespace, name, record, deps }) => {
  const op = record.operation;
  const cpNamespace = controlPlaneNamespace(namespace, name);
  const member = op.member ?? '';
  const req: RecoverMemberRequest = { namespace, name, member, waitTimeoutMs: RESUME_WAIT_MS };
  const ctx: StepContext = { ...deps, controlPlaneNamespace: cpNamespace, waitTimeoutMs: RESUME_WAIT_MS };
  if (op.phase === 'storage-replaced') {
    const result = await finish({ namespace, name, cpNamespace, member }, op, ctx, []);
    return { namespace, name, operation: op.id, actions: result.actions };
  }
  let prepared: Prepared;
  try {
    prepared = await planRecoverMember(req, deps);
  } catch (err) {
    // No longer safe: nothing was deleted; undo the member add and release the lock.
    if (op.addedMemberId) {
      const gathered = await gatherEtcd({ api: deps.api, exec: deps.exec, controlPlaneNamespace: cpNamespace, expectedReplicas: 3 });
      const via = gathered.facts.members.find((m) => m.health?.healthy && m.pod)?.pod;
      if (via && gathered.caPath) await removeUnstartedMember(ctx, via, gathered.caPath, op.addedMemberId);
    }
    await releaseOperation(deps.api, namespace, name);
    throw new PreconditionError(
      `stopped the recovery of member ${member} of ${namespace}/${name} before its storage was touched, and released its record: ${causeText(err)}`,
      {
        cause: err,
        hint: 'check "{cmd} etcd status", then run recover-member again',
      },
    );
  }
  const result = await carryOut({ ...req, hc: prepared.hc, cpNamespace, target: prepared.target, operation: op }, deps);
  return { namespace, name, operation: op.id, actions: result.actions };
};
