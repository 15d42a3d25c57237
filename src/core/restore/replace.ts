/**
 * --replace: deletes the existing HostedCluster and its NodePools (and leftover etcd PVCs), then
 * waits until the operator has removed the control-plane namespace and every `data-etcd-*`
 * PVC: etcd-init restores only into empty volumes, so the restore must not start before the
 * old ones are gone. Deletions are idempotent (a missing object is already deleted).
 * Without --cleanup-cloud-resources the HostedCluster's cleanup-cloud-resources annotation is set
 * to "false" before anything is deleted, so the guest's volumes, load balancers and registry
 * storage stay for the restored cluster (preflight refused when it was "true" without the flag).
 */
import { RemoteError } from '../errors.ts';
import { controlPlaneNamespace, Resources } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import type { Preflight } from './preflight.ts';
import { CLEANUP_CLOUD_RESOURCES } from './preflight-slot.ts';

export interface ReplaceContext {
  api: KubeApi;
  clock: Clock;
  reporter: Reporter;
  namespace: string;
  name: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** --cleanup-cloud-resources: leave the annotation as it is (the delete may remove the guest's cloud data). */
  cleanupCloudResources?: boolean;
}

const POLL_MS = 500;

export async function replaceExisting(ctx: ReplaceContext, pre: Preflight): Promise<void> {
  const { api, namespace, name } = ctx;
  const cp = controlPlaneNamespace(namespace, name);
  if (!ctx.cleanupCloudResources && pre.toDelete.some((o) => o.kind === 'HostedCluster')) {
    const hc = await api.get(Resources.hostedCluster, namespace, name);
    if (hc && !hc.metadata.deletionTimestamp && hc.metadata.annotations?.[CLEANUP_CLOUD_RESOURCES] !== 'false') {
      ctx.reporter.info(
        `setting ${CLEANUP_CLOUD_RESOURCES}: "false" on HostedCluster ${namespace}/${name}: its deletion keeps the guest's cloud resources`,
      );
      await api.mergePatch(Resources.hostedCluster, namespace, name, { metadata: { annotations: { [CLEANUP_CLOUD_RESOURCES]: 'false' } } });
    }
  }
  for (const obj of pre.toDelete.filter((o) => o.kind === 'NodePool')) {
    ctx.reporter.info(`deleting NodePool ${obj.namespace}/${obj.name}`);
    await api.delete(Resources.nodePool, obj.namespace, obj.name);
  }
  if (pre.toDelete.some((o) => o.kind === 'HostedCluster')) {
    ctx.reporter.info(`deleting HostedCluster ${namespace}/${name}; waiting for its control plane (${cp}) and etcd volumes to go`);
    await api.delete(Resources.hostedCluster, namespace, name);
  }
  for (const pvc of pre.leftoverPvcs) {
    ctx.reporter.info(`deleting leftover etcd PVC ${cp}/${pvc}`);
    await api.delete(Resources.persistentVolumeClaim, cp, pvc);
  }
  const deadline = ctx.clock.now().getTime() + ctx.timeoutMs;
  for (;;) {
    const [hc, ns, pvcs] = await Promise.all([
      api.get(Resources.hostedCluster, namespace, name),
      api.get(Resources.namespace, '', cp),
      api.list(Resources.persistentVolumeClaim, cp).catch(() => []),
    ]);
    const etcdPvcs = pvcs.filter((p) => /^data-etcd-\d+$/.test(p.metadata.name ?? ''));
    const pools = pre.toDelete.some((o) => o.kind === 'NodePool')
      ? (await api.list(Resources.nodePool, namespace)).filter(
          (np) => (np['spec'] as { clusterName?: string } | undefined)?.clusterName === name,
        )
      : [];
    const left = [
      ...(hc ? [`HostedCluster ${namespace}/${name}`] : []),
      ...pools.map((p) => `NodePool ${namespace}/${p.metadata.name}`),
      ...(ns && pre.toDelete.length ? [`namespace ${cp}`] : []),
      ...etcdPvcs.map((p) => `PVC ${cp}/${p.metadata.name}`),
    ];
    if (left.length === 0) return;
    if (ctx.clock.now().getTime() > deadline) {
      throw new RemoteError(
        `failed to replace ${namespace}/${name}: still there after ${Math.round(ctx.timeoutMs / 1000)}s: ${left.join(', ')}`,
        {
          hint: 'finalizers may be stuck (check "kubectl get hostedcluster,hostedcontrolplane -A" and the operator log); run the same restore --replace again once they are gone',
        },
      );
    }
    await ctx.clock.sleep(POLL_MS, ctx.signal);
  }
}
