/**
 * Collects the facts of a hosted cluster's etcd: pods and StatefulSet from the API, and what
 * each member says about itself and its cluster through etcdctl in its own `etcd` container.
 * Asking every pod (not just one) is what exposes a split brain, where each pod is a healthy
 * one-member cluster of its own. A pod that cannot run etcdctl is recorded and skipped.
 */
import { ForbiddenError } from '../errors.ts';
import { Etcd, Resources, type KubeObject } from '../model.ts';
import type { KubeApi, PodExec } from '../ports.ts';
import {
  etcdctl,
  parseAlarms,
  parseEndpointHealth,
  parseEndpointStatus,
  parseHashKV,
  parseMemberList,
  type EndpointHealth,
  type EndpointStatus,
  type EtcdctlTls,
  type MemberList,
} from './etcdctl.ts';
import type { EtcdFacts, MemberFacts, PodFacts, PodView } from './verdict.ts';

export interface GatherContext {
  api: KubeApi;
  exec: PodExec;
  controlPlaneNamespace: string;
  /** Replicas implied by the availability policy, used when the StatefulSet is missing. */
  expectedReplicas: number;
  signal?: AbortSignal;
}

export interface GatheredEtcd {
  facts: EtcdFacts;
  quotaBytes: number;
  readyReplicas: number;
  caPath: string | undefined;
}

interface PodProbe {
  pod: string;
  status: EndpointStatus | undefined;
  health: EndpointHealth | undefined;
  members: MemberList | undefined;
}

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

  const runner = new EtcdctlRunner(ctx);
  const runnable = pods.filter((p) => p.phase === 'Running');
  const tls = await runner.detectTls(runnable);
  const probes = tls ? await Promise.all(runnable.filter((p) => !p.execError).map((p) => runner.probePod(p, tls))) : [];
  const primary = probes.find((p) => p.members !== undefined);
  const members = primary && tls ? await runner.clusterView(primary, probes, pods, tls) : [];
  const alarms =
    primary && tls
      ? parseAlarms((await runner.run(primary.pod, tls, Etcd.localEndpoint, 'alarm', 'list', '-w', 'json'))?.stdout ?? '')
      : [];
  if (tls && members.length > 0) await runner.hashMembers(members, tls, primary?.pod);

  const podViews: PodView[] = probes
    .filter((p) => p.members !== undefined)
    .map((p) => ({
      pod: p.pod,
      clusterId: p.members?.clusterId ?? '',
      memberId: p.members?.memberId ?? '',
      memberCount: p.members?.members.length ?? 0,
    }));
  return { facts: { replicas, pods, members, podViews, alarms }, quotaBytes, readyReplicas, caPath: tls?.caPath };
}

class EtcdctlRunner {
  readonly #ctx: GatherContext;
  readonly #pods = new Map<string, PodFacts>();

  constructor(ctx: GatherContext) {
    this.#ctx = ctx;
  }

  /** Finds the client CA: 4.12+ path first, then the 4.11 one. Pods that refuse exec are marked. */
  async detectTls(pods: PodFacts[]): Promise<EtcdctlTls | undefined> {
    for (const pod of pods) {
      this.#pods.set(pod.name, pod);
      for (const caPath of [Etcd.caPath, Etcd.legacyCaPath]) {
        const result = await this.#exec(pod, ['test', '-f', caPath]);
        if (result === undefined) break;
        if (result.exitCode === 0) return { caPath };
      }
      pod.execError ??= `no etcd client CA at ${Etcd.caPath} or ${Etcd.legacyCaPath}`;
    }
    return undefined;
  }

  async probePod(pod: PodFacts, tls: EtcdctlTls): Promise<PodProbe> {
    this.#pods.set(pod.name, pod);
    const local = Etcd.localEndpoint;
    const [status, health, members] = await Promise.all([
      this.run(pod.name, tls, local, 'endpoint', 'status', '-w', 'json'),
      this.run(pod.name, tls, local, 'endpoint', 'health', '-w', 'json'),
      this.run(pod.name, tls, local, 'member', 'list', '-w', 'json'),
    ]);
    return {
      pod: pod.name,
      status: parseEndpointStatus(status?.stdout ?? '')[0],
      health: parseEndpointHealth(health?.stdout ?? '')[0],
      members: parseMemberList(members?.stdout ?? ''),
    };
  }

  /** Members as the primary pod's member lists them, each joined with its pod's own answers. */
  async clusterView(primary: PodProbe, probes: PodProbe[], pods: PodFacts[], tls: EtcdctlTls): Promise<MemberFacts[]> {
    const [status, health] = await Promise.all([
      this.run(primary.pod, tls, Etcd.localEndpoint, 'endpoint', 'status', '--cluster', '-w', 'json'),
      this.run(primary.pod, tls, Etcd.localEndpoint, 'endpoint', 'health', '--cluster', '-w', 'json'),
    ]);
    const clusterStatus = parseEndpointStatus(status?.stdout ?? '');
    const clusterHealth = parseEndpointHealth(health?.stdout ?? '');
    return (primary.members?.members ?? []).map((m) => {
      const probe = probes.find((p) => p.members?.memberId === m.id && p.members.clusterId === primary.members?.clusterId);
      const pod = probe?.pod ?? pods.find((p) => p.name === m.name)?.name;
      const clientURL = m.clientURLs[0];
      return {
        id: m.id,
        name: m.name,
        pod,
        clientURL,
        isLearner: m.isLearner || (probe?.status?.isLearner ?? false),
        status: probe?.status ?? clusterStatus.find((s) => s.memberId === m.id),
        health: probe?.health ?? clusterHealth.find((h) => m.clientURLs.includes(h.endpoint)),
        hash: undefined,
      };
    });
  }

  /** hashkv of every answering member at one common revision, so equal data gives equal hashes. */
  async hashMembers(members: MemberFacts[], tls: EtcdctlTls, primaryPod: string | undefined): Promise<void> {
    const revisions = members.map((m) => m.status?.revision).filter((r): r is number => typeof r === 'number' && r > 0);
    if (revisions.length === 0) return;
    const rev = `--rev=${Math.min(...revisions)}`;
    await Promise.all(
      members
        .filter((m) => m.status !== undefined)
        .map(async (m) => {
          const viaOwnPod = m.pod !== undefined && this.#pods.get(m.pod)?.execError === undefined;
          const pod = viaOwnPod ? m.pod : primaryPod;
          const endpoint = viaOwnPod ? Etcd.localEndpoint : m.clientURL;
          if (!pod || !endpoint) return;
          const result = await this.run(pod, tls, endpoint, 'endpoint', 'hashkv', rev, '-w', 'json');
          m.hash = parseHashKV(result?.stdout ?? '')[0];
        }),
    );
  }

  /** etcdctl in a pod; undefined when the pod could not run it (recorded on the pod). */
  async run(pod: string, tls: EtcdctlTls, endpoints: string, ...args: string[]) {
    const facts = this.#pods.get(pod);
    if (!facts) return undefined;
    return this.#exec(facts, etcdctl(tls, endpoints, ...args));
  }

  async #exec(pod: PodFacts, command: string[]) {
    if (pod.execError) return undefined;
    try {
      return await this.#ctx.exec.exec({
        namespace: this.#ctx.controlPlaneNamespace,
        pod: pod.name,
        container: Etcd.container,
        command,
        ...(this.#ctx.signal ? { signal: this.#ctx.signal } : {}),
      });
    } catch (err) {
      // A 403 is a missing permission (pods/exec), the same for every member: not a member's health.
      if (this.#ctx.signal?.aborted || err instanceof ForbiddenError) throw err;
      pod.execError = err instanceof Error ? err.message.replace(/^failed to /, 'cannot ') : String(err);
      return undefined;
    }
  }
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
