/**
 * The cluster's side of gathering etcd's facts (gather.ts): members as one answering pod's member
 * lists them, joined with each pod's own answers, the cluster asked for the members whose pod did
 * not answer, and hashes taken again at one common revision when writes came between them.
 */
import { Etcd } from '../model.ts';
import {
  parseEndpointHealth,
  parseEndpointStatus,
  parseHashKV,
  type EndpointHealth,
  type EndpointStatus,
  type HashKV,
  type MemberList,
} from './etcdctl.ts';
import type { PodProber } from './pod-probe.ts';
import type { ProbeAnswer, ProbeCall } from './probe-script.ts';
import type { MemberFacts, PodFacts } from './verdict.ts';

/** What one pod's own member answered. */
export interface PodProbe {
  pod: PodFacts;
  caPath: string;
  status: EndpointStatus | undefined;
  health: EndpointHealth | undefined;
  members: MemberList | undefined;
  alarms: string;
  /** hashkv of its member at the revision it had then. */
  hash: HashKV | undefined;
}

/** The member of the pod etcdctl runs in. */
export const LOCAL = Etcd.localEndpoint;
/** etcdctl's JSON output. */
export const JSON_OUTPUT = ['-w', 'json'];

/** The stdout of the named answer ('' when it did not answer). */
export const stdoutOf = (answers: Map<string, ProbeAnswer> | undefined, name: string) => answers?.get(name)?.stdout ?? '';

/**
 * Members as the primary pod's member lists them, each joined with its own pod's answers; for a
 * member whose pod did not answer, the primary asks the cluster (one more exec, in the primary).
 */
export async function clusterView(
  prober: PodProber,
  primary: PodProbe,
  probes: PodProbe[],
  pods: PodFacts[],
  glance: boolean,
): Promise<MemberFacts[]> {
  const clusterId = primary.members?.clusterId;
  const listed = (primary.members?.members ?? []).map((m) => {
    const own = probes.find((p) => p.members?.memberId === m.id && p.members.clusterId === clusterId);
    return { m, own, pod: own?.pod.name ?? pods.find((p) => p.name === m.name)?.name };
  });
  const calls: ProbeCall[] = [];
  if (listed.some(({ own }) => own?.status === undefined || own.health === undefined)) {
    calls.push(
      { name: 'cluster-status', endpoint: LOCAL, args: ['endpoint', 'status', '--cluster', ...JSON_OUTPUT] },
      { name: 'cluster-health', endpoint: LOCAL, args: ['endpoint', 'health', '--cluster', ...JSON_OUTPUT] },
    );
  }
  // hashkv of members whose own pod cannot run it, by client URL; kept only for members with a status.
  listed.forEach(({ m, pod }, i) => {
    if (!glance && !probedPod(probes, pod) && m.clientURLs[0])
      calls.push({ name: `hash-${i}`, endpoint: m.clientURLs[0], args: ['endpoint', 'hashkv', ...JSON_OUTPUT] });
  });
  const answers = calls.length > 0 ? (await prober.probe(primary.pod, calls, { caPath: primary.caPath }))?.answers : undefined;
  const clusterStatus = parseEndpointStatus(stdoutOf(answers, 'cluster-status'));
  const clusterHealth = parseEndpointHealth(stdoutOf(answers, 'cluster-health'));
  return listed.map(({ m, own, pod }, i) => {
    const status = own?.status ?? clusterStatus.find((s) => s.memberId === m.id);
    const viaPod = probedPod(probes, pod);
    return {
      id: m.id,
      name: m.name,
      pod,
      clientURL: m.clientURLs[0],
      isLearner: m.isLearner || (own?.status?.isLearner ?? false),
      status,
      health: own?.health ?? clusterHealth.find((h) => m.clientURLs.includes(h.endpoint)),
      hash: status === undefined ? undefined : viaPod ? viaPod.hash : parseHashKV(stdoutOf(answers, `hash-${i}`))[0],
    };
  });
}

/**
 * Hashes compare only at one revision. The first answers were taken at each member's revision of
 * the moment; when those differ (writes meanwhile), every member with a status is hashed again at
 * the lowest revision a member reported: in its own pod, or by client URL from the primary.
 */
export async function hashAtOneRevision(prober: PodProber, primary: PodProbe, probes: PodProbe[], members: MemberFacts[]): Promise<void> {
  const revisions = members.map((m) => m.status?.revision).filter((r): r is number => typeof r === 'number' && r > 0);
  if (revisions.length === 0) {
    for (const m of members) m.hash = undefined;
    return;
  }
  if (new Set(members.filter((m) => m.hash !== undefined).map((m) => m.hash?.revision)).size <= 1) return;
  const rev = `--rev=${Math.min(...revisions)}`;
  const byPod = new Map<PodProbe, { m: MemberFacts; call: ProbeCall }[]>();
  members.forEach((m, i) => {
    if (m.status === undefined) return;
    const own = probedPod(probes, m.pod);
    const endpoint = own ? LOCAL : m.clientURL;
    if (!endpoint) return;
    const via = own ?? primary;
    byPod.set(via, [
      ...(byPod.get(via) ?? []),
      { m, call: { name: `hash-${i}`, endpoint, args: ['endpoint', 'hashkv', rev, ...JSON_OUTPUT] } },
    ]);
  });
  await Promise.all(
    [...byPod].map(async ([via, jobs]) => {
      const result = await prober.probe(
        via.pod,
        jobs.map((j) => j.call),
        { caPath: via.caPath },
      );
      for (const { m, call } of jobs) m.hash = parseHashKV(stdoutOf(result?.answers, call.name))[0];
    }),
  );
}

/** The probe of `pod`, when it answered exec. */
function probedPod(probes: PodProbe[], pod: string | undefined): PodProbe | undefined {
  return pod === undefined ? undefined : probes.find((p) => p.pod.name === pod && p.pod.execError === undefined);
}
