/**
 * After a move (§2.10): the hosted cluster's OVN pods are deleted so they reconnect to the control
 * plane behind the moved API name. The hosted cluster's own API is reached through the admin
 * kubeconfig the destination publishes (HostedCluster status.kubeconfig names its Secret).
 */
import { NotFoundError, PreconditionError } from '../errors.ts';
import { Resources } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import { waitUntil } from '../controlplane/wait.ts';
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
    const hc = await ctx.api.get(Resources.hostedCluster, ctx.namespace, ctx.name);
    const secretName = (hc?.['status'] as { kubeconfig?: { name?: string } } | undefined)?.kubeconfig?.name;
    if (!secretName) return false;
    const secret = await ctx.api.get(Resources.secret, ctx.namespace, secretName);
    const data = (secret?.['data'] as Record<string, string> | undefined)?.['kubeconfig'];
    kubeconfig = data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
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
