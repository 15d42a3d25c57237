/**
 * After a move (§2.10): the hosted cluster's OVN pods are deleted so they reconnect to the control
 * plane behind the moved API name; then the move waits until the hosted cluster's Ready nodes equal
 * what the source's NodePools asked for (§2.8 step 7). The hosted cluster's own API is reached
 * through the admin kubeconfig the destination publishes (HostedCluster status.kubeconfig names its Secret).
 */
import { NotFoundError, PreconditionError } from '../errors.ts';
import { Resources } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import { waitUntil } from '../controlplane/wait.ts';
import { publishedKubeconfig, waitForNodes, type NodeCount } from '../controlplane/nodes.ts';
import type { MoveWorld } from './types.ts';

export const OVN_NAMESPACE = 'openshift-ovn-kubernetes';

export interface AfterContext {
  api: KubeApi;
  world: MoveWorld;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  namespace: string;
  name: string;
  timeoutMs: number;
}

/** The admin kubeconfig of the hosted cluster, once the destination has published it. */
async function guestKubeconfig(ctx: AfterContext): Promise<string> {
  let kubeconfig: string | undefined;
  await waitUntil(ctx, `the admin kubeconfig of ${ctx.namespace}/${ctx.name} (status.kubeconfig)`, async () => {
    kubeconfig = await publishedKubeconfig(ctx.api, ctx.namespace, ctx.name);
    return kubeconfig !== undefined;
  });
  if (!kubeconfig) throw new PreconditionError(`no admin kubeconfig for ${ctx.namespace}/${ctx.name}`);
  return kubeconfig;
}

/** Deletes every pod in openshift-ovn-kubernetes, retrying while the hosted API is not reachable yet; returns how many. */
export async function restartOvn(ctx: AfterContext): Promise<number> {
  const guest = await ctx.world.connectGuest(await guestKubeconfig(ctx));
  let deleted = 0;
  let lastError = '';
  try {
    await waitUntil(ctx, `the hosted cluster's API to delete the OVN pods`, async () => {
      try {
        const pods = await guest.api.list(Resources.pod, OVN_NAMESPACE);
        for (const p of pods) {
          await guest.api.delete(Resources.pod, OVN_NAMESPACE, p.metadata.name ?? '').catch((err: unknown) => {
            if (!(err instanceof NotFoundError)) throw err;
          });
          deleted++;
        }
        return true;
      } catch (err) {
        lastError = (err as Error).message;
        return false;
      }
    }).catch((err: unknown) => {
      throw new PreconditionError(`${(err as Error).message} (last error: ${lastError})`, {
        hint: `restart them by hand with the hosted cluster's kubeconfig: kubectl delete pods -n ${OVN_NAMESPACE} --all`,
        cause: err,
      });
    });
  } finally {
    await guest.close();
  }
  return deleted;
}

/**
 * Waits (the move's --wait-timeout) until the hosted cluster's Ready nodes equal `expected` (what the
 * source's NodePools asked for, recorded before the freeze) and reports the count; nodes that stay
 * NotReady are reported with a warning, not thrown: the control plane has moved either way.
 */
export async function waitForMovedNodes(ctx: AfterContext & { expected?: number | undefined }): Promise<NodeCount> {
  ctx.reporter.info(`waiting until the nodes of ${ctx.namespace}/${ctx.name} are Ready under the new control plane`);
  const nodes = await waitForNodes({
    api: ctx.api,
    connectGuest: (kubeconfig) => ctx.world.connectGuest(kubeconfig),
    clock: ctx.clock,
    reporter: ctx.reporter,
    signal: ctx.signal,
    namespace: ctx.namespace,
    name: ctx.name,
    timeoutMs: ctx.timeoutMs,
    ...(ctx.expected !== undefined ? { expected: ctx.expected } : {}),
  });
  if (nodes.state === 'Ready') ctx.reporter.info(`nodes: ${nodes.detail}`);
  else ctx.reporter.warn(`nodes of ${ctx.namespace}/${ctx.name}: ${nodes.detail}`);
  return nodes;
}
