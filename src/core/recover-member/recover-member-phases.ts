/**
 * `etcd recover-member` as phases (operation/workflow.ts), carried out by the runner for a run
 * and for `resume` (recover-member.ts, recover-member-resume.ts):
 *
 *   plan              (check)  the target, its objects and the plan, or a refusal (recover-member-plan.ts)
 *   member-added      `member add` when the member is missing from the list (skipped otherwise)
 *                     undo: the added, never-started member removed
 *   storage-replaced  (point of no return) the PVC and then the pod deleted while still the old objects
 *   rejoined          the member back on new storage, the cluster Healthy, verified
 *
 * A resume before the point of no return runs the checks again and goes on when they still pass
 * (the cluster may have healed, or the member may now be in the list); when they do not, the
 * added member is removed and the record released, with the reason.
 */
import { PreconditionError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import { defineWorkflow, type PhaseRun } from '../operation/workflow.ts';
import { gatherEtcd } from '../etcd/gather.ts';
import type { RecoveryTarget } from './recover-member-plan.ts';
import {
  addMember,
  removeUnstartedMember,
  replaceStorage,
  verifyRecovered,
  waitRejoined,
  type Rejoined,
  type StepContext,
} from './recover-member-steps.ts';

export interface RecoverMemberState {
  namespace: string;
  name: string;
  /** The member to replace; undefined: the one unhealthy member (the plan chooses). */
  member: string | undefined;
  /** Without a signal: phases add theirs, undos never carry one. */
  ctx: StepContext;
  plan: () => Promise<{ hc: KubeObject; target: RecoveryTarget; pvcUid: string | undefined; podUid: string | undefined }>;
  prepared?: Awaited<ReturnType<RecoverMemberState['plan']>>;
  actions: string[];
  rejoined?: Rejoined;
  verification?: { check: string; ok: boolean }[];
}

const withSignal = (s: RecoverMemberState, run: PhaseRun<'recover-member'>): StepContext => ({ ...s.ctx, signal: run.signal });
const memberOf = (s: RecoverMemberState, run: PhaseRun<'recover-member'>) => run.operation.member ?? s.prepared?.target.member ?? '';

/** The member the run added, removed again through a healthy member (found anew when the plan no longer holds). */
async function removeAdded(s: RecoverMemberState, run: PhaseRun<'recover-member'>): Promise<string | void> {
  const id = run.operation.addedMemberId;
  if (!id) return;
  let via = s.prepared?.target.via;
  let caPath = s.prepared?.target.caPath;
  if (!via || !caPath) {
    const gathered = await gatherEtcd({
      api: s.ctx.api,
      exec: s.ctx.exec,
      controlPlaneNamespace: s.ctx.controlPlaneNamespace,
      expectedReplicas: 3,
    });
    via = gathered.facts.members.find((m) => m.health?.healthy && m.pod)?.pod;
    caPath = gathered.caPath;
  }
  if (!via || !caPath) throw new PreconditionError(`no healthy etcd member to remove the added member ${id} through`);
  await removeUnstartedMember(s.ctx, via, caPath, id);
  return `removed the added member ${id}`;
}

export const recoverMemberWorkflow = defineWorkflow<'recover-member', RecoverMemberState>({
  type: 'recover-member',
  what: (s) => `recovery of member ${s.member ?? s.prepared?.target.member ?? ''}`.trim(),
  failedTo: (s) => `failed to recover member ${s.member ?? s.prepared?.target.member ?? ''}`.trim(),
  rolledBack: () => 'its storage was never touched; nothing is left changed',
  afterPointOfNoReturn: 'the member is being rebuilt; finish (wait and verify)',
  resumeBeforePointOfNoReturn: 'recheck',
  phases: [
    {
      kind: 'check',
      name: 'plan',
      async run(s) {
        s.prepared = await s.plan();
      },
    },
    {
      kind: 'change',
      name: 'member-added',
      skip: (s) => s.prepared?.target.needsMemberAdd !== true,
      async run(s, run) {
        const target = s.prepared!.target;
        const added = await addMember(withSignal(s, run), target.via, target.caPath, target.member);
        await run.record({ addedMemberId: added });
        s.actions.push(`added ${target.member} to the member list (member ${added}; reset-member replaces it with a voting member)`);
      },
      undo: removeAdded,
      undoes: 'remove the added member',
    },
    {
      kind: 'change',
      name: 'storage-replaced',
      pointOfNoReturn: true,
      async run(s, run) {
        s.actions.push(...(await replaceStorage(withSignal(s, run), memberOf(s, run), run.operation)));
      },
    },
    {
      kind: 'change',
      name: 'rejoined',
      async run(s, run) {
        const member = memberOf(s, run);
        const rejoined = await waitRejoined(withSignal(s, run), member, run.operation);
        s.actions.push(`${member} rejoined as member ${rejoined.memberId}`);
        const verification = verifyRecovered(rejoined);
        const failed = verification.filter((v) => !v.ok);
        if (failed.length > 0)
          throw new PreconditionError(`verification failed: ${failed.map((v) => v.check).join('; ')}`, { hint: 'see "{cmd} etcd status"' });
        s.rejoined = rejoined;
        s.verification = verification;
      },
    },
  ],
});
