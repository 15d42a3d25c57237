/**
 * A HostedCluster whose snapshot restore failed, and taking it away so that it can be created
 * again: restoreSnapshotURL is immutable and honoured only at creation, so a failed etcd-init
 * (a cut download, an unreachable store, an expired URL) is retried only by deleting the
 * HostedCluster and creating it anew with a freshly pre-signed URL. Used by `resume` of a move
 * and of a restore, each only for the HostedCluster its own record says it created.
 */
import { conditionsOf, controlPlaneNamespace, Etcd, Resources, type KubeObject } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import { waitUntil } from './wait.ts';

const ETCD_INIT = 'etcd-init';

/**
 * Why the restore into this HostedCluster's etcd failed, or undefined while it may still succeed
 * (restored, or still waiting): EtcdSnapshotRestored=False, or an etcd-init that exited non-zero.
 */
export async function failedRestore(api: KubeApi, namespace: string, name: string): Promise<string | undefined> {
  const cp = controlPlaneNamespace(namespace, name);
  const hcp = await api.get(Resources.hostedControlPlane, cp, name);
  const restored = conditionsOf(hcp).find((c) => c.type === 'EtcdSnapshotRestored');
  if (restored?.status === 'True') return undefined;
  if (restored?.status === 'False') return `EtcdSnapshotRestored=False (${restored.reason ?? 'no reason'})`;
  const pods = hcp ? await api.list(Resources.pod, cp, { labelSelector: Etcd.podSelector }) : [];
  for (const p of pods) {
    const code = initExitCode(p);
    if (code !== undefined && code !== 0) return `etcd-init in ${cp}/${p.metadata.name ?? '?'} exited ${code}`;
  }
  return undefined;
}

function initExitCode(pod: KubeObject): number | undefined {
  const statuses = ((pod['status'] as { initContainerStatuses?: unknown[] } | undefined)?.initContainerStatuses ?? []) as {
    name: string;
    state?: { terminated?: { exitCode?: number } };
    lastState?: { terminated?: { exitCode?: number } };
  }[];
  const init = statuses.find((s) => s.name === ETCD_INIT);
  return init?.state?.terminated?.exitCode ?? init?.lastState?.terminated?.exitCode;
}

export interface RemoveContext {
  api: KubeApi;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/**
 * Deletes the HostedCluster and its NodePools, then waits until the operator removed its control
 * plane namespace and every etcd volume (etcd-init restores only into empty volumes). Idempotent.
 */
export async function removeHostedCluster(ctx: RemoveContext, namespace: string, name: string): Promise<string[]> {
  const { api } = ctx;
  const cp = controlPlaneNamespace(namespace, name);
  const pools = (await api.list(Resources.nodePool, namespace)).filter(
    (np) => (np['spec'] as { clusterName?: string } | undefined)?.clusterName === name,
  );
  for (const np of pools) await api.delete(Resources.nodePool, namespace, np.metadata.name ?? '');
  ctx.reporter.info(`deleting HostedCluster ${namespace}/${name}; waiting for its control plane (${cp}) and etcd volumes to go`);
  await api.delete(Resources.hostedCluster, namespace, name);
  const pvcs = (await api.list(Resources.persistentVolumeClaim, cp).catch(() => [])).filter((p) =>
    /^data-etcd-\d+$/.test(p.metadata.name ?? ''),
  );
  for (const p of pvcs) await api.delete(Resources.persistentVolumeClaim, cp, p.metadata.name ?? '');
  await waitUntil(ctx, `HostedCluster ${namespace}/${name}, namespace ${cp} and its etcd volumes to be gone`, async () => {
    const [hc, ns, left] = await Promise.all([
      api.get(Resources.hostedCluster, namespace, name),
      api.get(Resources.namespace, '', cp),
      api.list(Resources.persistentVolumeClaim, cp).catch(() => []),
    ]);
    return !hc && !ns && !left.some((p) => /^data-etcd-\d+$/.test(p.metadata.name ?? ''));
  });
  return [
    ...pools.map((np) => `deleted NodePool ${namespace}/${np.metadata.name ?? ''}`),
    `deleted HostedCluster ${namespace}/${name} whose snapshot restore failed`,
  ];
}
