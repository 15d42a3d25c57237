/**
 * `etcd recover-member`: replaces one etcd member of a hosted cluster with an empty one that
 * resynchronises from the others (hypershift-domain.md §2.2), guarded and resumable.
 *
 * Ordering is the safety mechanism:
 *  1. Every check runs before the first change (recover-member-plan.ts): a refusal leaves the
 *     cluster as it was.
 *  2. The operation record (the lock, the member, the old PVC/pod UIDs and member ID) is written
 *     on the HostedCluster before the first change.
 *  3. `member add` first when the member is missing from the list (the entry reset-member replaces
 *     with a voting member when the new pod starts; see recover-member-steps.ts). Until the storage is touched
 *     a failure or an interrupt rolls back: the added (unstarted) member is removed, the record
 *     released.
 *  4. Phase `storage-replaced` is recorded BEFORE the PVC and pod are deleted; from then on the
 *     only way is forward: a failure keeps the record and `resume` deletes what is still old,
 *     waits for the member to rejoin and verifies.
 */
import { InterruptedError, PartialFailureError, PreconditionError, causeText } from '../errors.ts';
import { controlPlaneNamespace, Resources, type KubeObject } from '../model.ts';
import type { Clock, Cluster, Reporter } from '../ports.ts';
import { assertManagedEtcd, resolveHostedCluster } from '../controlplane/hosted-cluster.ts';
import { acquireOperation, releaseOperation, updateOperation, type RecoverMemberOperation } from '../operation/record.ts';
import { Rollback } from '../operation/rollback.ts';
import { gatherEtcd } from './gather.ts';
import { assertHighlyAvailable, assertNoOperatorRecovery, chooseTarget, objectsOf, type RecoveryTarget } from './recover-member-plan.ts';
import {
  addMember,
  removeUnstartedMember,
  replaceStorage,
  verifyRecovered,
  waitRejoined,
  type StepContext,
} from './recover-member-steps.ts';

export interface RecoverMemberRequest {
  namespace: string;
  name: string;
  /** The member to replace (etcd-N); undefined: the one unhealthy member. */
  member?: string | undefined;
  waitTimeoutMs: number;
}

export interface RecoverMemberDeps extends Cluster {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  toolVersion: string;
  newId: () => string;
  /** Called after each step (tests kill the process here). */
  step?: (name: string) => void;
}

export interface RecoverMemberPlan {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'RecoverMemberPlan';
  hostedCluster: { namespace: string; name: string; controlPlaneNamespace: string };
  member: string;
  reason: string;
  memberId: string | null;
  steps: string[];
}

export interface RecoverMemberResult {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'RecoverMemberResult';
  hostedCluster: { namespace: string; name: string; controlPlaneNamespace: string };
  member: string;
  oldMemberId: string | null;
  newMemberId: string;
  actions: string[];
  verification: { check: string; ok: boolean }[];
}

export interface Prepared {
  hc: KubeObject;
  cpNamespace: string;
  target: RecoveryTarget;
  pvcUid: string | undefined;
  podUid: string | undefined;
  plan: RecoverMemberPlan;
}

/** Reads only: the target, its objects and the plan, or a refusal. */
export async function planRecoverMember(
  req: RecoverMemberRequest,
  deps: Cluster & { signal?: AbortSignal | undefined },
): Promise<Prepared> {
  const hc = await resolveHostedCluster(deps.api, req.namespace, req.name);
  assertManagedEtcd(hc);
  assertHighlyAvailable(hc);
  const cpNamespace = controlPlaneNamespace(req.namespace, req.name);
  await assertNoOperatorRecovery(deps.api, cpNamespace);
  const gathered = await gatherEtcd({
    api: deps.api,
    exec: deps.exec,
    controlPlaneNamespace: cpNamespace,
    expectedReplicas: 3,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const target = chooseTarget(gathered, cpNamespace, req.member);
  const { pvc, pod } = objectsOf(target.member);
  const [pvcObj, podObj] = await Promise.all([
    deps.api.get(Resources.persistentVolumeClaim, cpNamespace, pvc),
    deps.api.get(Resources.pod, cpNamespace, pod),
  ]);
  const steps = [
    ...(target.needsMemberAdd
      ? [
          `add ${target.member} to the member list (etcdctl member add, through ${target.via}) so that reset-member finds it and adds it back as a voting member (not a learner: reset-member replaces the entry before the member starts)`,
        ]
      : []),
    `delete PVC ${pvc} in ${cpNamespace} without waiting for its pvc-protection finalizer`,
    `delete pod ${pod}; the StatefulSet recreates it on a new volume and reset-member rejoins it`,
    `wait until ${target.member} has rejoined; verify member count ${target.replicas}, hashkv agreement, no alarms`,
  ];
  const plan: RecoverMemberPlan = {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'RecoverMemberPlan',
    hostedCluster: { namespace: req.namespace, name: req.name, controlPlaneNamespace: cpNamespace },
    member: target.member,
    reason: target.reason,
    memberId: target.memberId ?? null,
    steps,
  };
  return { hc, cpNamespace, target, pvcUid: pvcObj?.metadata.uid, podUid: podObj?.metadata.uid, plan };
}

export async function runRecoverMember(
  req: RecoverMemberRequest,
  deps: RecoverMemberDeps,
  prepared?: Prepared,
): Promise<RecoverMemberResult> {
  const { hc, cpNamespace, target, pvcUid, podUid } = prepared ?? (await planRecoverMember(req, deps));
  const operation: RecoverMemberOperation = {
    id: deps.newId(),
    type: 'recover-member',
    startedAt: deps.clock.now().toISOString(),
    phase: 'started',
    toolVersion: deps.toolVersion,
    member: target.member,
    ...(target.memberId ? { memberId: target.memberId } : {}),
    ...(pvcUid ? { pvcUid } : {}),
    ...(podUid ? { podUid } : {}),
  };
  const locked = await acquireOperation(deps.api, hc, operation);
  deps.step?.('locked');
  deps.reporter.info(`replacing etcd member ${target.member} of ${req.namespace}/${req.name} (${target.reason})`);
  return carryOut({ ...req, hc: locked, cpNamespace, target, operation }, deps);
}

export interface Where {
  namespace: string;
  name: string;
  cpNamespace: string;
}

export interface Carry extends RecoverMemberRequest, Where {
  hc: KubeObject;
  target: RecoveryTarget;
  operation: RecoverMemberOperation;
}

/** From `started` or `member-added` to done; shared by the run and `resume`. */
export async function carryOut(c: Carry, deps: Omit<RecoverMemberDeps, 'toolVersion' | 'newId'>): Promise<RecoverMemberResult> {
  const ctx: StepContext = { ...deps, controlPlaneNamespace: c.cpNamespace, waitTimeoutMs: c.waitTimeoutMs };
  const undoCtx: StepContext = { ...ctx, signal: undefined };
  const actions: string[] = [];
  let op = c.operation;
  const rollback = new Rollback(deps.reporter);
  rollback.push('remove the operation record', () => releaseOperation(deps.api, c.namespace, c.name));
  try {
    if (c.target.needsMemberAdd) {
      const added = await addMember(ctx, c.target.via, c.target.caPath, c.target.member);
      rollback.push(`remove the added member ${added}`, () => removeUnstartedMember(undoCtx, c.target.via, c.target.caPath, added));
      op = { ...op, phase: 'member-added', addedMemberId: added };
      await updateOperation(deps.api, c.hc, op);
      actions.push(`added ${c.target.member} to the member list (member ${added}; reset-member replaces it with a voting member)`);
      deps.step?.('member-added');
    }
    deps.signal?.throwIfAborted();
    op = { ...op, phase: 'storage-replaced' };
    await updateOperation(deps.api, c.hc, op);
  } catch (err) {
    const failures = await rollback.run();
    if (failures.length > 0) {
      throw new PartialFailureError(
        `failed to recover member ${c.target.member}: ${causeText(err)}; and the rollback failed: ${failures.join('; ')}`,
        {
          cause: err,
          hint: `undo what is left with: {cmd} resume ${c.name} -n ${c.namespace}`,
        },
      );
    }
    if (deps.signal?.aborted)
      throw new InterruptedError(
        `recovery of member ${c.target.member} interrupted before its storage was touched; nothing is left changed`,
        { cause: err },
      );
    throw err;
  }
  return finish({ ...c, member: c.target.member }, op, ctx, actions, deps.step);
}

/** Phase storage-replaced: delete what is still old, wait, verify, release. No way back from here. */
export async function finish(
  c: Where & { member: string },
  op: RecoverMemberOperation,
  ctx: StepContext,
  actions: string[],
  step?: (name: string) => void,
): Promise<RecoverMemberResult> {
  const member = c.member;
  try {
    actions.push(...(await replaceStorage(ctx, member, op)));
    step?.('storage-replaced');
    ctx.signal?.throwIfAborted();
    const rejoined = await waitRejoined(ctx, member, op);
    actions.push(`${member} rejoined as member ${rejoined.memberId}`);
    const verification = verifyRecovered(rejoined);
    const failed = verification.filter((v) => !v.ok);
    if (failed.length > 0)
      throw new PreconditionError(`verification failed: ${failed.map((v) => v.check).join('; ')}`, { hint: 'see "{cmd} etcd status"' });
    await releaseOperation(ctx.api, c.namespace, c.name);
    actions.push(`removed the record of operation ${op.id}`);
    return {
      apiVersion: 'hcp-dr.openshift.io/v1alpha1',
      kind: 'RecoverMemberResult',
      hostedCluster: { namespace: c.namespace, name: c.name, controlPlaneNamespace: c.cpNamespace },
      member,
      oldMemberId: op.memberId ?? null,
      newMemberId: rejoined.memberId,
      actions,
      verification,
    };
  } catch (err) {
    const hint = `the member is being rebuilt; finish (wait and verify) with: {cmd} resume ${c.name} -n ${c.namespace}`;
    if (ctx.signal?.aborted)
      throw new InterruptedError(`recovery of member ${member} interrupted after its storage was released`, { cause: err, hint });
    throw new PartialFailureError(`failed to recover member ${member}: ${causeText(err)}`, { cause: err, hint });
  }
}
