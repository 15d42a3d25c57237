/**
 * `etcd recover-member`, the read-only half: which member to replace and whether replacing it is
 * safe. Nothing here changes the cluster; every refusal happens before the first change.
 *
 * Contract (refusals are PreconditionError, exit 3, with the reason and a hint):
 *  - SingleReplica (or a StatefulSet of fewer than 3): the one member holds the only copy.
 *  - HyperShift's own `etcd-recovery` Job is running in the control-plane namespace.
 *  - No member answers, pods in different clusters (split brain), stray members in the member
 *    list, or members whose hashkv disagrees: replacing a member cannot fix those.
 *  - More than one member bad, or (with a named member) any other member bad: the others must be
 *    healthy and form a quorum of the full cluster, since the replaced member counts as lost
 *    until it has resynchronised.
 * A member is bad when it is missing from the member list, not started, a learner, unhealthy,
 * or its pod is not Ready. A named healthy member is replaced too (rotating it off a bad disk).
 */
import { PreconditionError, UsageError } from '../errors.ts';
import { Etcd, type KubeObject } from '../model.ts';
import type { KubeApi, ResourceType } from '../ports.ts';
import type { GatheredEtcd } from '../etcd/gather.ts';
import type { MemberFacts } from '../etcd/verdict.ts';

export const JOB: ResourceType = { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job' };
/** The Job HyperShift's operator runs to recover one member by itself (hypershift-domain.md §1.12). */
export const OPERATOR_RECOVERY_JOB = 'etcd-recovery';

export interface RecoveryTarget {
  /** Pod and member name, e.g. etcd-1. */
  member: string;
  /** Why it is replaced. */
  reason: string;
  /** Its ID in the member list; undefined when it is missing from the list. */
  memberId: string | undefined;
  /** true when it must be added to the member list before its pod restarts. */
  needsMemberAdd: boolean;
  /** A healthy member's pod, through which etcdctl runs. */
  via: string;
  replicas: number;
  caPath: string;
}

const quorumOf = (n: number) => Math.floor(n / 2) + 1;

/** Refuses SingleReplica clusters: their only member cannot be rebuilt from the others. */
export function assertHighlyAvailable(hc: KubeObject): void {
  const policy = (hc['spec'] as { controllerAvailabilityPolicy?: string } | undefined)?.controllerAvailabilityPolicy;
  if (policy === 'SingleReplica') {
    throw new PreconditionError(
      `cannot recover an etcd member of "${hc.metadata.namespace}/${hc.metadata.name}": it is SingleReplica (spec.controllerAvailabilityPolicy), so its one member holds the only copy of the data`,
      { hint: `restore it from a backup with "{cmd} restore <backup-url> --replace" instead` },
    );
  }
}

/** Refuses while HyperShift's operator is recovering a member itself: two recoveries would race. */
export async function assertNoOperatorRecovery(api: KubeApi, controlPlaneNamespace: string): Promise<void> {
  const job = await api.get(JOB, controlPlaneNamespace, OPERATOR_RECOVERY_JOB);
  if (!job || job.metadata.deletionTimestamp) return;
  const status = (job['status'] ?? {}) as { active?: number; succeeded?: number; conditions?: { type: string; status: string }[] };
  const finished = (status.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (finished || (!status.active && (status.succeeded ?? 0) > 0)) return;
  throw new PreconditionError(
    `cannot recover an etcd member now: HyperShift's own recovery Job "${OPERATOR_RECOVERY_JOB}" is running in namespace ${controlPlaneNamespace}`,
    {
      hint: `wait until it finishes (kubectl get job ${OPERATOR_RECOVERY_JOB} -n ${controlPlaneNamespace}), then check "{cmd} etcd status"`,
    },
  );
}

const refuse = (why: string, hint: string) => new PreconditionError(`cannot recover an etcd member: ${why}`, { hint });
const RESTORE_HINT =
  'restore every member in place with "{cmd} etcd restore" (--from-backup, --from-member or --from-file), or from a backup with "{cmd} restore <backup-url> --replace"';

/** The member to replace, or a refusal. `named` is the member the user asked for, if any. */
export function chooseTarget(gathered: GatheredEtcd, cpNamespace: string, named: string | undefined): RecoveryTarget {
  const { facts } = gathered;
  const replicas = facts.replicas;
  const names = memberNames(facts, named);
  const byName = membersByName(facts, names);
  assertOneHistory(facts);
  const badness = badMembers(facts, names, byName);
  const member = named ?? [...badness.keys()][0];
  if (member === undefined) {
    throw refuse(
      `all ${replicas} members are healthy, none needs recovering`,
      'to replace a healthy member anyway (e.g. off a bad disk), name it: {cmd} etcd recover-member <hosted-cluster> etcd-1 -n <namespace>',
    );
  }
  const others = names.filter((n) => n !== member);
  assertQuorumStays(member, others, badness, replicas);
  const alarms = facts.alarms.filter((a) => a.memberId !== byName.get(member)?.id);
  if (alarms.length > 0) {
    throw refuse(
      `etcd has alarms on the members that stay: ${alarms.map((a) => a.alarm).join(', ')}`,
      'resolve them first (NOSPACE: compact, defragment, then "etcdctl alarm disarm")',
    );
  }
  const via = others.find((n) => facts.pods.some((p) => p.name === n && !p.execError));
  if (!via || !gathered.caPath)
    throw refuse(
      'no healthy member pod accepts exec to run etcdctl',
      'check the pods with "kubectl get pods -l app=etcd -n ' + cpNamespace + '"',
    );
  const target = byName.get(member);
  return {
    member,
    reason: badness.get(member) ?? 'healthy; replaced on request',
    memberId: target?.id,
    needsMemberAdd: target === undefined,
    via,
    replicas,
    caPath: gathered.caPath,
  };
}

/** The members' pod names (etcd-0..N-1); refuses a cluster without others to copy from, a name not among them, or no answer. */
function memberNames(facts: GatheredEtcd['facts'], named: string | undefined): string[] {
  const replicas = facts.replicas;
  if (replicas < 3)
    throw refuse(`the etcd StatefulSet has ${replicas} replica${replicas === 1 ? '' : 's'}: no other members hold the data`, RESTORE_HINT);
  const names = Array.from({ length: replicas }, (_, i) => `etcd-${i}`);
  if (named !== undefined && !names.includes(named)) {
    throw new UsageError(`unknown etcd member "${named}": this cluster's members are ${names.join(', ')}`, {
      hint: 'name a member as its pod is named, e.g. etcd-1, or omit it to pick the unhealthy one',
    });
  }
  if (facts.members.length === 0) throw refuse('no etcd member answers (quorum lost)', RESTORE_HINT);
  if (new Set(facts.podViews.map((v) => v.clusterId).filter(Boolean)).size > 1) {
    throw refuse(
      'the pods belong to different etcd clusters (split brain)',
      'see "{cmd} etcd status -o json"; do not replace members until you know which cluster holds the right data',
    );
  }
  return names;
}

/** Each pod name's member; refuses members that belong to no pod. */
function membersByName(facts: GatheredEtcd['facts'], names: string[]): Map<string, MemberFacts> {
  const byName = new Map<string, MemberFacts>();
  const stray: string[] = [];
  for (const m of facts.members.filter((x) => x.name !== '')) {
    if (names.includes(m.name) && !byName.has(m.name)) byName.set(m.name, m);
    else stray.push(m.name);
  }
  // An added but unstarted member has no name yet: it stands for the one name not listed.
  const unstarted = facts.members.filter((x) => x.name === '');
  const unlisted = names.filter((n) => !byName.has(n));
  if (unstarted.length === 1 && unlisted.length === 1) byName.set(unlisted[0] as string, unstarted[0] as MemberFacts);
  else stray.push(...unstarted.map((m) => `${m.id} (unstarted)`));
  if (stray.length > 0) {
    throw refuse(
      `the member list has members that belong to no pod: ${stray.join(', ')}`,
      'remove them with "etcdctl member remove <id>" in a healthy member first, see "{cmd} etcd status"',
    );
  }
  return byName;
}

/** Refuses members whose data diverged (hashkv disagreeing at one revision). */
function assertOneHistory(facts: GatheredEtcd['facts']): void {
  const hashes = new Map<number, Set<number>>();
  for (const m of facts.members) if (m.hash) hashes.set(m.hash.revision, (hashes.get(m.hash.revision) ?? new Set()).add(m.hash.hash));
  if ([...hashes.values()].some((s) => s.size > 1)) {
    throw refuse(
      "the members' hashkv disagrees (their data diverged)",
      'see "{cmd} etcd status -o json"; replacing a member would copy whichever data the leader holds',
    );
  }
}

/** Why each member that needs recovering does, in member order. */
function badMembers(facts: GatheredEtcd['facts'], names: string[], byName: Map<string, MemberFacts>): Map<string, string> {
  const badness = new Map<string, string>();
  for (const name of names) {
    const m = byName.get(name);
    const pod = facts.pods.find((p) => p.name === name);
    const why = !m
      ? 'missing from the member list'
      : !m.name
        ? 'added to the member list but not started'
        : m.isLearner
          ? 'still a learner'
          : m.health?.healthy !== true
            ? `unhealthy (${m.health?.error ?? 'no answer'})`
            : !pod
              ? 'has no pod'
              : !pod.ready
                ? `pod not ready (${pod.waitingReason ?? pod.phase})`
                : undefined;
    if (why) badness.set(name, why);
  }
  return badness;
}

/** Refuses a replacement the members that stay cannot carry: more than one bad, or another one bad. */
function assertQuorumStays(member: string, others: string[], badness: Map<string, string>, replicas: number): void {
  const bad = [...badness.entries()].map(([n, why]) => `${n} ${why}`);
  if (badness.size > 1 && badness.has(member)) {
    throw refuse(`${badness.size} members are bad (${bad.join('; ')}): replacing one at a time cannot recover more than one`, RESTORE_HINT);
  }
  const otherBad = others.filter((n) => badness.has(n));
  if (otherBad.length > 0) {
    throw refuse(
      `replacing ${member} would lose quorum: the other members must all be healthy (a quorum of ${quorumOf(replicas)} of ${replicas}), but ${otherBad.map((n) => `${n} ${badness.get(n)}`).join('; ')}`,
      `recover ${otherBad[0]} first: {cmd} etcd recover-member <hosted-cluster> ${otherBad[0]} -n <namespace>`,
    );
  }
}

/** The PVC and pod names of a member. */
export function objectsOf(member: string): { pvc: string; pod: string } {
  return { pvc: Etcd.pvcName(Number(member.slice('etcd-'.length))), pod: member };
}
