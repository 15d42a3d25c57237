/**
 * Finding a hosted cluster and the objects that belong to it, for every workflow:
 *  - resolveHostedCluster: the HostedCluster, or NotFoundError with a hint (exit 3);
 *  - assertManagedEtcd: PreconditionError for unmanaged etcd (HyperShift does not run it);
 *  - hostedClusterRef: namespace, name and control-plane namespace `<ns>-<name, dots as dashes>`;
 *  - listNodePools: the NodePools of the HostedCluster's namespace whose spec.clusterName is it.
 * Reads only. The control-plane namespace is computed, never looked up: HyperShift derives it the
 * same way (hypershift-domain.md §1.2), and it must be known before the HostedCluster exists.
 */
import { NotFoundError, PreconditionError } from '../errors.ts';
import { controlPlaneNamespace, Resources, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';

export interface HostedClusterRef {
  namespace: string;
  name: string;
  controlPlaneNamespace: string;
}

export function hostedClusterRef(namespace: string, name: string): HostedClusterRef {
  return { namespace, name, controlPlaneNamespace: controlPlaneNamespace(namespace, name) };
}

/** Reads the HostedCluster; refuses clearly when it is missing. */
export async function resolveHostedCluster(api: KubeApi, namespace: string, name: string): Promise<KubeObject> {
  const hc = await api.get(Resources.hostedCluster, namespace, name);
  if (!hc) {
    throw new NotFoundError(`failed to find HostedCluster "${name}" in namespace "${namespace}"`, {
      hint: 'list hosted clusters with "kubectl get hostedclusters -A", then pass the right name and -n <namespace>',
    });
  }
  return hc;
}

export function assertManagedEtcd(hc: KubeObject): void {
  const etcd = (hc['spec'] as { etcd?: { managementType?: string } } | undefined)?.etcd;
  if (etcd?.managementType === 'Unmanaged') {
    throw new PreconditionError(
      `hosted cluster "${hc.metadata.namespace}/${hc.metadata.name}" uses unmanaged etcd (spec.etcd.managementType: Unmanaged): HyperShift does not run its etcd, so hcp-dr cannot inspect or back it up`,
      { hint: 'check the external etcd with etcdctl against the endpoint in spec.etcd.unmanaged.endpoint' },
    );
  }
}

/** The NodePools of a HostedCluster: same namespace, spec.clusterName naming it. */
export async function listNodePools(api: KubeApi, namespace: string, name: string): Promise<KubeObject[]> {
  return (await api.list(Resources.nodePool, namespace)).filter(
    (np) => (np['spec'] as { clusterName?: string } | undefined)?.clusterName === name,
  );
}
