/**
 * `etcd recover-member`: replaces one etcd member of a hosted cluster with an empty one that
 * resynchronises from the others (hypershift-domain.md §2.2), guarded and resumable.
 *
 * Carried out by the operation runner from the phases of recover-member-phases.ts. Ordering is
 * the safety mechanism:
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
 *     waits for the member to rejoin and verifies (phase `rejoined`).
 */
import { controlPlaneNamespace, Resources, type KubeObject } from '../model.ts';
import type { Clock, Cluster, Reporter } from '../ports.ts';
import { assertManagedEtcd, resolveHostedCluster } from '../controlplane/hosted-cluster.ts';
import type { RecoverMemberOperation } from '../operation/record.ts';
import { runWorkflow, type PhaseTiming } from '../operation/runner.ts';
import { hostedClusterStore } from '../operation/store.ts';
import { gatherEtcd } from '../etcd/gather.ts';
import { assertHighlyAvailable, assertNoOperatorRecovery, chooseTarget, objectsOf, type RecoveryTarget } from './recover-member-plan.ts';
import { recoverMemberWorkflow, type RecoverMemberState } from './recover-member-phases.ts';

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
  /** Every phase the runner carried out (the plan check included; member-added only when it ran), in order, with its duration. */
  phases: PhaseTiming[];
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
  const cpNamespace = controlPlaneNamespace(req.namespace, req.name);
  const state: RecoverMemberState = {
    namespace: req.namespace,
    name: req.name,
    member: req.member ?? prepared?.target.member,
    ctx: { ...deps, signal: undefined, controlPlaneNamespace: cpNamespace, waitTimeoutMs: req.waitTimeoutMs },
    plan: async () => prepared ?? (await planRecoverMember(req, deps)),
    actions: [],
  };
  const operation = (s: RecoverMemberState): RecoverMemberOperation => {
    const { target, pvcUid, podUid } = s.prepared!;
    return {
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
  };
  const outcome = await runWorkflow(recoverMemberWorkflow, state, operation, {
    store: hostedClusterStore<'recover-member'>(deps.api, req.namespace, req.name, () => {
      const { target } = state.prepared!;
      deps.reporter.info(`replacing etcd member ${target.member} of ${req.namespace}/${req.name} (${target.reason})`);
      return { hc: state.prepared!.hc };
    }),
    reporter: deps.reporter,
    clock: deps.clock,
    signal: deps.signal,
    step: deps.step,
    resumeCommand: `{cmd} resume ${req.name} -n ${req.namespace}`,
  });
  return recoverMemberResult(state, outcome.operation, outcome.phases);
}

/** The result of a finished recovery, from its state, record and the runner's phase timings. */
export function recoverMemberResult(s: RecoverMemberState, op: RecoverMemberOperation, phases: PhaseTiming[]): RecoverMemberResult {
  return {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'RecoverMemberResult',
    hostedCluster: { namespace: s.namespace, name: s.name, controlPlaneNamespace: s.ctx.controlPlaneNamespace },
    member: op.member ?? '',
    oldMemberId: op.memberId ?? null,
    newMemberId: s.rejoined?.memberId ?? '',
    actions: [...s.actions, `removed the record of operation ${op.id}`],
    phases,
    verification: s.verification ?? [],
  };
}
