/**
 * Collects the facts of a hosted cluster's etcd: pods and StatefulSet from the API, and what
 * each member says about itself and its cluster through etcdctl in its own `etcd` container.
 * Asking every pod (not just one) is what exposes a split brain, where each pod is a healthy
 * one-member cluster of its own. A pod that cannot run etcdctl is recorded and skipped.
 *
 * Each pod is asked everything at once, in one exec (probe-script.ts): its client CA, its member's
 * status, health, member list and alarms (one curl, gateway-probe.ts) and hashkv (etcdctl). A
 * healthy cluster costs one exec and two processes per pod. Only
 * when a listed member did not answer through its own pod does the first answering pod ask the
 * cluster (`--cluster` status and health, hashkv by client URL), and only when the hashes were
 * taken at different revisions (writes meanwhile) are they taken again at one common revision.
 * A glance (`etcd status -A`) asks the same but hashkv.
 */
import { Etcd, Resources, type KubeObject } from '../model.ts';
import type { KubeApi, PodExec } from '../ports.ts';
import {
  parseAlarms,
  parseEndpointHealth,
  parseEndpointStatus,
  parseHashKV,
  parseMemberList,
  type EndpointHealth,
  type EndpointStatus,
  type HashKV,
  type MemberList,
} from './etcdctl.ts';
import { gatewayProbe } from './gateway-probe.ts';
import { PodProber } from './pod-probe.ts';
import type { ProbeAnswer, ProbeCall } from './probe-script.ts';
import type { EtcdFacts, MemberFacts, PodFacts, PodView } from './verdict.ts';

export interface GatherContext {
  api: KubeApi;
  exec: PodExec;
  controlPlaneNamespace: string;
  /** Replicas implied by the availability policy, used when the StatefulSet is missing. */
  expectedReplicas: number;
  /** A glance (`etcd status -A`): no hashkv; quorum, split brain, membership and alarms are still judged. */
  glance?: boolean;
  signal?: AbortSignal;
}

export interface GatheredEtcd {
  facts: EtcdFacts;
  quotaBytes: number;
  readyReplicas: number;
  caPath: string | undefined;
  /** The etcd StatefulSet's etcd container image (what a drill of a backup runs); undefined when unread. */
  image?: string | undefined;
}

/** What one pod's own member answered. */
interface PodProbe {
  pod: PodFacts;
  caPath: string;
  status: EndpointStatus | undefined;
  health: EndpointHealth | undefined;
  members: MemberList | undefined;
  alarms: string;
  /** hashkv of its member at the revision it had then. */
  hash: HashKV | undefined;
}

const LOCAL = Etcd.localEndpoint;
const json = ['-w', 'json'];

/**
 * Asked of every running pod about its own member: these four through one curl (gateway-probe.ts),
 * or through etcdctl when the image has no curl; then hashkv through etcdctl, unless a glance.
 */
const OWN_CALLS: ProbeCall[] = [
  { name: 'status', endpoint: LOCAL, args: ['endpoint', 'status', ...json] },
  { name: 'health', endpoint: LOCAL, args: ['endpoint', 'health', ...json] },
  { name: 'members', endpoint: LOCAL, args: ['member', 'list', ...json] },
  { name: 'alarms', endpoint: LOCAL, args: ['alarm', 'list', ...json] },
];
const HASH_CALL: ProbeCall = { name: 'hash', endpoint: LOCAL, args: ['endpoint', 'hashkv', ...json] };

const out = (answers: Map<string, ProbeAnswer> | undefined, name: string) => answers?.get(name)?.stdout ?? '';

export async function gatherEtcd(ctx: GatherContext): Promise<GatheredEtcd> {
  const ns = ctx.controlPlaneNamespace;
  const [podObjects, sts] = await Promise.all([
    ctx.api.list(Resources.pod, ns, { labelSelector: Etcd.podSelector }),
    ctx.api.get(Resources.statefulSet, ns, Etcd.statefulSet),
  ]);
  const pods = podObjects.map(podFacts).sort(byMemberName);
  const replicas = numberAt(sts, ['spec', 'replicas']) ?? ctx.expectedReplicas;
  const readyReplicas = numberAt(sts, ['status', 'readyReplicas']) ?? 0;
  const quotaBytes = quotaOf(sts);

  const prober = new PodProber({ exec: ctx.exec, namespace: ns, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const probes = (
    await Promise.all(pods.filter((p) => p.phase === 'Running').map((pod) => probePod(prober, pod, ctx.glance === true)))
  ).filter((p): p is PodProbe => p !== undefined);
  const primary = probes.find((p) => p.members !== undefined);
  const members = primary ? await clusterView(prober, primary, probes, pods, ctx.glance === true) : [];
  if (primary && members.length > 0) await hashAtOneRevision(prober, primary, probes, members);

  const podViews: PodView[] = probes
    .filter((p) => p.members !== undefined)
    .map((p) => ({
      pod: p.pod.name,
      clusterId: p.members?.clusterId ?? '',
      memberId: p.members?.memberId ?? '',
      memberCount: p.members?.members.length ?? 0,
    }));
  const alarms = primary ? parseAlarms(primary.alarms) : [];
  const containers = (sts?.['spec'] as { template?: { spec?: { containers?: { name?: string; image?: string }[] } } } | undefined)?.template
    ?.spec?.containers;
  const image = containers?.find((c) => c.name === Etcd.container)?.image;
  return { facts: { replicas, pods, members, podViews, alarms }, quotaBytes, readyReplicas, caPath: probes[0]?.caPath, image };
}

async function probePod(prober: PodProber, pod: PodFacts, glance: boolean): Promise<PodProbe | undefined> {
  const gateway = gatewayProbe();
  const result = await prober.probe(pod, glance ? [gateway.call] : [gateway.call, HASH_CALL]);
  if (!result) return undefined;
  const answers = new Map(result.answers);
  const own = gateway.read(answers.get(gateway.call.name)) ?? (await prober.probe(pod, OWN_CALLS, { caPath: result.caPath }))?.answers;
  for (const [name, answer] of own ?? []) answers.set(name, answer);
  return {
    pod,
    caPath: result.caPath,
    status: parseEndpointStatus(out(answers, 'status'))[0],
    health: parseEndpointHealth(out(answers, 'health'))[0],
    members: parseMemberList(out(answers, 'members')),
    alarms: out(answers, 'alarms'),
    hash: parseHashKV(out(answers, 'hash'))[0],
  };
}

/**
 * Members as the primary pod's member lists them, each joined with its own pod's answers; for a
 * member whose pod did not answer, the primary asks the cluster (one more exec, in the primary).
 */
async function clusterView(
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
      { name: 'cluster-status', endpoint: LOCAL, args: ['endpoint', 'status', '--cluster', ...json] },
      { name: 'cluster-health', endpoint: LOCAL, args: ['endpoint', 'health', '--cluster', ...json] },
    );
  }
  // hashkv of members whose own pod cannot run it, by client URL; kept only for members with a status.
  listed.forEach(({ m, pod }, i) => {
    if (!glance && !probedPod(probes, pod) && m.clientURLs[0])
      calls.push({ name: `hash-${i}`, endpoint: m.clientURLs[0], args: ['endpoint', 'hashkv', ...json] });
  });
  const answers = calls.length > 0 ? (await prober.probe(primary.pod, calls, { caPath: primary.caPath }))?.answers : undefined;
  const clusterStatus = parseEndpointStatus(out(answers, 'cluster-status'));
  const clusterHealth = parseEndpointHealth(out(answers, 'cluster-health'));
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
      hash: status === undefined ? undefined : viaPod ? viaPod.hash : parseHashKV(out(answers, `hash-${i}`))[0],
    };
  });
}

/**
 * Hashes compare only at one revision. The first answers were taken at each member's revision of
 * the moment; when those differ (writes meanwhile), every member with a status is hashed again at
 * the lowest revision a member reported: in its own pod, or by client URL from the primary.
 */
async function hashAtOneRevision(prober: PodProber, primary: PodProbe, probes: PodProbe[], members: MemberFacts[]): Promise<void> {
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
    byPod.set(via, [...(byPod.get(via) ?? []), { m, call: { name: `hash-${i}`, endpoint, args: ['endpoint', 'hashkv', rev, ...json] } }]);
  });
  await Promise.all(
    [...byPod].map(async ([via, jobs]) => {
      const result = await prober.probe(
        via.pod,
        jobs.map((j) => j.call),
        { caPath: via.caPath },
      );
      for (const { m, call } of jobs) m.hash = parseHashKV(out(result?.answers, call.name))[0];
    }),
  );
}

/** The probe of `pod`, when it answered exec. */
function probedPod(probes: PodProbe[], pod: string | undefined): PodProbe | undefined {
  return pod === undefined ? undefined : probes.find((p) => p.pod.name === pod && p.pod.execError === undefined);
}

function podFacts(pod: KubeObject): PodFacts {
  const status = (pod['status'] ?? {}) as {
    phase?: string;
    containerStatuses?: { name: string; ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string } } }[];
  };
  const etcd = status.containerStatuses?.find((c) => c.name === Etcd.container);
  return {
    name: pod.metadata.name ?? '',
    phase: status.phase ?? 'Unknown',
    ready: etcd?.ready === true,
    restarts: etcd?.restartCount ?? 0,
    waitingReason: etcd?.state?.waiting?.reason,
    execError: undefined,
  };
}

function numberAt(obj: KubeObject | undefined, path: string[]): number | undefined {
  let cur: unknown = obj;
  for (const key of path) cur = (cur as Record<string, unknown> | undefined)?.[key];
  return typeof cur === 'number' ? cur : undefined;
}

/** ETCD_QUOTA_BACKEND_BYTES of the etcd container, else HyperShift's 8 GiB. */
function quotaOf(sts: KubeObject | undefined): number {
  const spec = sts?.['spec'] as
    { template?: { spec?: { containers?: { name: string; env?: { name: string; value?: string }[] }[] } } } | undefined;
  const env = spec?.template?.spec?.containers?.find((c) => c.name === Etcd.container)?.env ?? [];
  const value = Number(env.find((e) => e.name === 'ETCD_QUOTA_BACKEND_BYTES')?.value);
  return Number.isFinite(value) && value > 0 ? value : Etcd.defaultQuotaBytes;
}

/** Pods and members by name: etcd-0, etcd-1, etcd-2, ... (numeric order, so etcd-10 follows etcd-9); unstarted members (no name yet) last. */
export function byMemberName(a: { name: string }, b: { name: string }): number {
  if (!a.name || !b.name) return a.name ? -1 : b.name ? 1 : 0;
  return a.name.localeCompare(b.name, 'en', { numeric: true });
}
