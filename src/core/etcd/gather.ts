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
 * taken at different revisions (writes meanwhile) are they taken again at one common revision
 * (gather-cluster.ts).
 * A glance (`etcd status -A`) asks the same but hashkv.
 */
import { Etcd, Resources, type KubeObject } from '../model.ts';
import type { KubeApi, PodExec } from '../ports.ts';
import { parseAlarms, parseEndpointHealth, parseEndpointStatus, parseHashKV, parseMemberList } from './etcdctl.ts';
import { gatewayProbe } from './gateway-probe.ts';
import { PodProber } from './pod-probe.ts';
import { clusterView, hashAtOneRevision, JSON_OUTPUT, LOCAL, stdoutOf, type PodProbe } from './gather-cluster.ts';
import type { ProbeCall } from './probe-script.ts';
import type { EtcdFacts, PodFacts, PodView } from './verdict.ts';

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

/**
 * Asked of every running pod about its own member: these four through one curl (gateway-probe.ts),
 * or through etcdctl when the image has no curl; then hashkv through etcdctl, unless a glance.
 */
const OWN_CALLS: ProbeCall[] = [
  { name: 'status', endpoint: LOCAL, args: ['endpoint', 'status', ...JSON_OUTPUT] },
  { name: 'health', endpoint: LOCAL, args: ['endpoint', 'health', ...JSON_OUTPUT] },
  { name: 'members', endpoint: LOCAL, args: ['member', 'list', ...JSON_OUTPUT] },
  { name: 'alarms', endpoint: LOCAL, args: ['alarm', 'list', ...JSON_OUTPUT] },
];
const HASH_CALL: ProbeCall = { name: 'hash', endpoint: LOCAL, args: ['endpoint', 'hashkv', ...JSON_OUTPUT] };

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
    status: parseEndpointStatus(stdoutOf(answers, 'status'))[0],
    health: parseEndpointHealth(stdoutOf(answers, 'health'))[0],
    members: parseMemberList(stdoutOf(answers, 'members')),
    alarms: stdoutOf(answers, 'alarms'),
    hash: parseHashKV(stdoutOf(answers, 'hash'))[0],
  };
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
