/**
 * The node count a restore reports (hypershift-domain.md §2.8 step 7): once the data is verified,
 * wait (--wait-timeout) until the hosted cluster's Ready nodes equal its NodePool replicas. Nodes
 * that stay NotReady do not undo a verified restore: the count is reported (result field `nodes`,
 * a warning and a next step) and the exit stays that of the data.
 */
import { waitForNodes, type ConnectGuest, type NodeCount } from '../controlplane/nodes.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import type { RestoreResult } from '../contracts/restore.ts';

export interface RestoreNodesContext {
  api: KubeApi;
  connectGuest?: ConnectGuest | undefined;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

export async function withNodeCount(result: RestoreResult, ctx: RestoreNodesContext): Promise<RestoreResult> {
  if (result.verdict.state !== 'Restored' || !ctx.connectGuest) return result;
  const { namespace, name } = result.hostedCluster;
  ctx.reporter.info(`waiting until the nodes of ${namespace}/${name} are Ready (as many as its NodePools ask for)`);
  const nodes: NodeCount = await waitForNodes({
    api: ctx.api,
    connectGuest: ctx.connectGuest,
    clock: ctx.clock,
    reporter: ctx.reporter,
    signal: ctx.signal,
    namespace,
    name,
    timeoutMs: ctx.timeoutMs,
    kubeconfigOnce: true,
  });
  if (nodes.state === 'NotReady' || nodes.state === 'Unreachable') ctx.reporter.warn(`nodes of ${namespace}/${name}: ${nodes.detail}`);
  else ctx.reporter.info(`nodes of ${namespace}/${name}: ${nodes.detail}`);
  const nextSteps =
    nodes.state === 'Ready'
      ? result.nextSteps
      : [...result.nextSteps, `check the hosted cluster's nodes with its admin kubeconfig ("kubectl get nodes"): ${nodes.detail}`];
  return { ...result, nodes, nextSteps };
}
