/**
 * The verdict on an etcd cluster, a pure function of observed facts. Order matters: a cluster
 * that cannot reach quorum is QuorumLost whatever else is wrong; then anything that makes the
 * members disagree (split brain, stray members, diverged data) is Inconsistent, which HyperShift's
 * EtcdAvailable condition misses; then a single bad member is Degraded.
 */
import type { Alarm, EndpointHealth, EndpointStatus, HashKV } from './etcdctl.ts';

export type EtcdState = 'Healthy' | 'Degraded' | 'QuorumLost' | 'Inconsistent';

export interface PodFacts {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  waitingReason: string | undefined;
  /** Why etcdctl could not be run in this pod, if it could not. */
  execError: string | undefined;
}

export interface MemberFacts {
  id: string;
  name: string;
  pod: string | undefined;
  clientURL: string | undefined;
  isLearner: boolean;
  status: EndpointStatus | undefined;
  health: EndpointHealth | undefined;
  hash: HashKV | undefined;
}

/** What one pod's own member says about its cluster (split-brain detection). */
export interface PodView {
  pod: string;
  clusterId: string;
  memberId: string;
  memberCount: number;
}

export interface EtcdFacts {
  replicas: number;
  pods: PodFacts[];
  /** Members as the answering member lists them; empty when no member answered. */
  members: MemberFacts[];
  podViews: PodView[];
  alarms: Alarm[];
}

export interface Verdict {
  state: EtcdState;
  reason: string;
  /** Next step, with {cmd} standing for "kubectl hcp-dr"/"oc hcp-dr" and {ns} for the control-plane namespace. */
  hint: string;
  problems: string[];
}

const label = (m: MemberFacts) => m.name || m.pod || m.id;

/** The hosted cluster judged, so hints can name the exact command; placeholders otherwise. */
export interface JudgedCluster {
  namespace: string;
  name: string;
}

export function judge(facts: EtcdFacts, cluster?: JudgedCluster): Verdict {
  const hc = cluster ? { name: cluster.name, namespace: cluster.namespace } : { name: '<hosted-cluster>', namespace: '<namespace>' };
  const voting = facts.members.filter((m) => !m.isLearner);
  // Quorum is a property of the membership etcd itself knows; a split brain is judged below.
  const quorum = Math.floor(voting.length / 2) + 1;
  const healthy = voting.filter((m) => m.health?.healthy === true);
  const splitBrain = findSplitBrain(facts);

  if (splitBrain === undefined && (facts.members.length === 0 || healthy.length < quorum)) {
    const down = facts.members.length
      ? voting.filter((m) => m.health?.healthy !== true).map((m) => `${label(m)} (${m.health?.error ?? 'no answer'})`)
      : facts.pods.map((p) => `${p.name} (${p.execError ?? p.waitingReason ?? p.phase})`);
    const total = facts.members.length ? voting.length : facts.replicas;
    return {
      state: 'QuorumLost',
      reason: `${healthy.length} of ${total} members healthy, quorum needs ${facts.members.length ? quorum : Math.floor(total / 2) + 1}: ${down.join(', ') || 'no etcd pods'}`,
      hint: `etcd cannot serve writes and recover-member cannot help. Do not delete etcd PVCs: restore every member in place with "{cmd} etcd restore ${hc.name} -n ${hc.namespace} --from-backup <backup-url>" (or --from-member <a surviving member>, or --from-file <snapshot.db>); it keeps the HostedCluster, its nodes and its cloud resources`,
      problems: down,
    };
  }

  const inconsistent = findInconsistencies(facts);
  if (inconsistent.length > 0) {
    return {
      state: 'Inconsistent',
      reason: inconsistent.join('; '),
      hint: 'members disagree: do not restart or delete members until you know which holds the right data; compare revisions and hashes with -o json',
      problems: inconsistent,
    };
  }

  const degraded = findDegradations(facts, voting);
  if (degraded.problems.length > 0) {
    return {
      state: 'Degraded',
      reason: `quorum intact (${healthy.length}/${voting.length} healthy) but ${degraded.problems.join('; ')}`,
      hint: degraded.badMember
        ? `to replace member ${degraded.badMember} (new PVC data-${degraded.badMember}, resynced from the others): {cmd} etcd recover-member ${hc.name} ${degraded.badMember} -n ${hc.namespace}`
        : `watch the members; if one stays unhealthy, replace it: {cmd} etcd recover-member ${hc.name} <member> -n ${hc.namespace}`,
      problems: degraded.problems,
    };
  }

  return { state: 'Healthy', reason: `${voting.length} of ${facts.replicas} members healthy and in agreement`, hint: '', problems: [] };
}

function findSplitBrain(facts: EtcdFacts): string | undefined {
  const clusters = new Set(facts.podViews.map((v) => v.clusterId).filter(Boolean));
  const byCluster = facts.podViews.map(
    (v) => `${v.pod} in cluster ${v.clusterId} (${v.memberCount} member${v.memberCount === 1 ? '' : 's'})`,
  );
  if (clusters.size > 1) return `pods belong to ${clusters.size} different etcd clusters (split brain): ${byCluster.join(', ')}`;
  // Restored from one snapshot with the defaults (OCPBUGS-99534), every pod is member "default" of
  // its own one-member cluster: the same cluster and member IDs, so only the duplicate shows it.
  const ids = facts.podViews.map((v) => v.memberId).filter(Boolean);
  if (ids.length > 1 && new Set(ids).size < ids.length) {
    return `pods run separate etcd clusters with the same IDs (split brain): ${facts.podViews.map((v) => `${v.pod} is member ${v.memberId} of ${v.memberCount} in cluster ${v.clusterId}`).join(', ')}`;
  }
  return undefined;
}

function findInconsistencies(facts: EtcdFacts): string[] {
  const problems: string[] = [];
  const splitBrain = findSplitBrain(facts);
  if (splitBrain) problems.push(splitBrain);
  if (facts.members.length !== facts.replicas) {
    const stray = facts.members.filter((m) => m.pod === undefined).map(label);
    problems.push(
      `member list has ${facts.members.length} members but the StatefulSet wants ${facts.replicas}` +
        (stray.length ? ` (not backed by a pod: ${stray.join(', ')})` : ''),
    );
  }
  const byRevision = new Map<number, MemberFacts[]>();
  for (const m of facts.members) {
    if (m.hash) byRevision.set(m.hash.revision, [...(byRevision.get(m.hash.revision) ?? []), m]);
  }
  for (const [revision, members] of byRevision) {
    if (new Set(members.map((m) => m.hash?.hash)).size > 1) {
      problems.push(`hashkv disagrees at revision ${revision}: ${members.map((m) => `${label(m)}=${m.hash?.hash}`).join(', ')}`);
    }
  }
  return problems;
}

function findDegradations(facts: EtcdFacts, voting: MemberFacts[]): { problems: string[]; badMember: string | undefined } {
  const problems: string[] = [];
  const bad = new Set<string>();
  for (const m of voting) {
    if (m.health?.healthy !== true) {
      problems.push(`member ${label(m)} is unhealthy (${m.health?.error ?? 'no answer'})`);
      bad.add(label(m));
    }
    for (const error of m.status?.errors ?? []) problems.push(`member ${label(m)} reports "${error}"`);
  }
  for (const m of facts.members) {
    if (m.isLearner) problems.push(`member ${label(m)} is still a learner`);
    if (m.name === '') problems.push(`member ${m.id} was added but has not started`);
  }
  for (const pod of facts.pods) {
    if (!pod.ready && !bad.has(pod.name)) {
      problems.push(`pod ${pod.name} is not ready (${pod.waitingReason ?? pod.phase})`);
      bad.add(pod.name);
    }
  }
  for (const alarm of facts.alarms) {
    const member = facts.members.find((m) => m.id === alarm.memberId);
    problems.push(`alarm ${alarm.alarm} on member ${member ? label(member) : alarm.memberId}`);
  }
  return { problems, badMember: bad.size === 1 ? [...bad][0] : undefined };
}
