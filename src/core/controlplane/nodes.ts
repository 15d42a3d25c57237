/**
 * The hosted cluster's nodes as the docs' DR procedures end (hypershift-domain.md §2.8 step 7, §5):
 * poll the hosted cluster's own API until its Ready nodes equal the NodePool replicas. The hosted
 * API is reached through the admin kubeconfig the management cluster publishes (HostedCluster
 * status.kubeconfig names its Secret, key `kubeconfig`); the connection goes through the
 * `connectGuest` port, so a workflow never reads a kubeconfig file itself.
 *
 * Contract: waitForNodes never throws for nodes that stay NotReady or an API that stays unreachable:
 * it reports what it saw at the deadline (state NotReady / Unreachable) so the caller can finish
 * its own work and say what is left; only the signal aborts it.
 */
import { causeText } from '../errors.ts';
import { Resources, type KubeObject } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import { listNodePools } from './hosted-cluster.ts';

export type ConnectGuest = (kubeconfig: string) => Promise<{ api: KubeApi; close(): Promise<void> }>;

export interface NodeCount {
  /** Ready: the count reached `expected`. NotReady: it did not by the deadline. Unreachable: the hosted API never answered. Unknown: no admin kubeconfig to ask with. */
  state: 'Ready' | 'NotReady' | 'Unreachable' | 'Unknown';
  expected: number;
  ready: number;
  total: number;
  /** Nodes not Ready at the last look (at most 10 names). */
  notReady: string[];
  /** Why each of `notReady` is not Ready: its Ready condition's status, reason and message (none: no condition posted). */
  notReadyWhy: NotReadyNode[];
  detail: string;
}

export interface NotReadyNode {
  name: string;
  /** The Ready condition's status ('False', 'Unknown'), or 'missing' when the node has none. */
  status: string;
  reason?: string;
  message?: string;
}

export interface NodeWaitContext {
  /** The management cluster that runs the control plane. */
  api: KubeApi;
  connectGuest: ConnectGuest;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  namespace: string;
  name: string;
  timeoutMs: number;
  /** Nodes to wait for; the HostedCluster's NodePool replicas on `api` when absent. */
  expected?: number;
  /** Look for the admin kubeconfig once: none published yet reports Unknown at once instead of waiting. */
  kubeconfigOnce?: boolean;
}

/** Sum of spec.replicas over the HostedCluster's NodePools (autoscaled pools count their minimum). */
export async function nodePoolReplicas(api: KubeApi, namespace: string, name: string): Promise<number> {
  return (await listNodePools(api, namespace, name)).reduce((n, np) => n + replicasOf(np), 0);
}

export function replicasOf(np: KubeObject): number {
  const spec = (np['spec'] ?? {}) as { replicas?: number; autoScaling?: { min?: number } };
  return spec.replicas ?? spec.autoScaling?.min ?? 0;
}

/** The admin kubeconfig the management cluster published for the hosted cluster, if any yet. */
export async function publishedKubeconfig(api: KubeApi, namespace: string, name: string): Promise<string | undefined> {
  const hc = await api.get(Resources.hostedCluster, namespace, name);
  const secretName = (hc?.['status'] as { kubeconfig?: { name?: string } } | undefined)?.kubeconfig?.name;
  if (!secretName) return undefined;
  const secret = await api.get(Resources.secret, namespace, secretName);
  const data = (secret?.['data'] as Record<string, string> | undefined)?.['kubeconfig'];
  return data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
}

type Condition = { type: string; status: string; reason?: string; message?: string };
const readyCondition = (node: KubeObject): Condition | undefined =>
  ((node['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');

type Seen = Pick<NodeCount, 'ready' | 'total' | 'notReady' | 'notReadyWhy'>;

/** Ready and total nodes of a hosted cluster's API, with why the others are not Ready (at most 10). */
export async function countNodes(guest: KubeApi): Promise<Seen> {
  const nodes = (await guest.list(Resources.node, undefined)).filter((n) => !n.metadata.deletionTimestamp);
  const why: NotReadyNode[] = [];
  for (const n of nodes) {
    const c = readyCondition(n);
    if (c?.status === 'True') continue;
    why.push({
      name: n.metadata.name ?? '?',
      status: c?.status ?? 'missing',
      ...(c?.reason ? { reason: c.reason } : {}),
      ...(c?.message ? { message: c.message } : {}),
    });
  }
  const notReadyWhy = why.slice(0, 10);
  return { ready: nodes.length - why.length, total: nodes.length, notReady: notReadyWhy.map((w) => w.name), notReadyWhy };
}

/** "name (Ready=Unknown NodeStatusUnknown: message)", one per node not Ready; the first `max` and how many more. */
export function notReadyText(why: readonly NotReadyNode[], max = 3): string {
  const one = (w: NotReadyNode) => `${w.name} (Ready=${w.status}${w.reason ? ` ${w.reason}` : ''}${w.message ? `: ${w.message}` : ''})`;
  const shown = why.slice(0, max).map(one).join(', ');
  return why.length > max ? `${shown} and ${why.length - max} more` : shown;
}

/** Polls until Ready nodes == expected (and no more nodes than that), or the deadline; reports either way. */
export async function waitForNodes(ctx: NodeWaitContext): Promise<NodeCount> {
  const expected = ctx.expected ?? (await nodePoolReplicas(ctx.api, ctx.namespace, ctx.name));
  const deadline = ctx.clock.now().getTime() + ctx.timeoutMs;
  let kubeconfig: string | undefined;
  let seen: Seen | undefined;
  let lastError = '';
  let lastLine = '';
  const line = (text: string) => {
    if (text !== lastLine) ctx.reporter.info(text);
    lastLine = text;
  };
  let guest: { api: KubeApi; close(): Promise<void> } | undefined;
  try {
    for (;;) {
      kubeconfig ??= await publishedKubeconfig(ctx.api, ctx.namespace, ctx.name);
      if (!kubeconfig && ctx.kubeconfigOnce) break;
      if (kubeconfig && !guest) guest = await ctx.connectGuest(kubeconfig).catch(() => undefined);
      if (guest) {
        try {
          seen = await countNodes(guest.api);
          line(
            `nodes: ${seen.ready}/${expected} Ready${seen.total !== seen.ready ? ` (${seen.total} in all)` : ''}${seen.notReadyWhy.length ? `; not Ready: ${notReadyText(seen.notReadyWhy)}` : ''}`,
          );
          if (seen.ready === expected && seen.total === expected)
            return { state: 'Ready', expected, ...seen, detail: `${seen.ready} of ${expected} nodes Ready` };
        } catch (err) {
          lastError = causeText(err);
          line(`nodes: waiting for the hosted cluster's API (${lastError})`);
        }
      } else line(`nodes: waiting for the admin kubeconfig of ${ctx.namespace}/${ctx.name} (status.kubeconfig)`);
      if (ctx.clock.now().getTime() > deadline) break;
      await ctx.clock.sleep(1000, ctx.signal);
    }
  } finally {
    await guest?.close();
  }
  const secs = Math.round(ctx.timeoutMs / 1000);
  if (!kubeconfig)
    return {
      state: 'Unknown',
      expected,
      ready: 0,
      total: 0,
      notReady: [],
      notReadyWhy: [],
      detail: ctx.kubeconfigOnce
        ? 'no admin kubeconfig published (status.kubeconfig) to count nodes with'
        : `no admin kubeconfig published within ${secs}s`,
    };
  if (!seen)
    return {
      state: 'Unreachable',
      expected,
      ready: 0,
      total: 0,
      notReady: [],
      notReadyWhy: [],
      detail: `the hosted cluster's API did not answer within ${secs}s (${lastError})`,
    };
  return {
    state: 'NotReady',
    expected,
    ...seen,
    detail: `${seen.ready} of ${expected} nodes Ready after ${secs}s${seen.total > expected ? `; ${seen.total} nodes in all: more than the NodePools ask for` : ''}${seen.notReadyWhy.length ? `; not Ready: ${notReadyText(seen.notReadyWhy, 10)}` : ''}`,
  };
}
