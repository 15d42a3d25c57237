/**
 * Which management cluster this is (hypershift-domain.md §2.7-2.8: a restore elsewhere must know
 * it is elsewhere): the `kube-system` namespace's UID (set once, when the cluster is installed),
 * and OpenShift's infrastructure name where `infrastructures.config.openshift.io/cluster` exists.
 * Recorded in backup.json (`managementCluster`); restore compares it with its target.
 * Reads only; a field it may not read (RBAC) or that does not exist is left out.
 */
import { causeText } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import { Resources } from '../model.ts';
import type { KubeApi, ResourceType } from '../ports.ts';

export interface ManagementClusterIdentity {
  /** metadata.uid of namespace kube-system. */
  kubeSystemUid: string;
  /** status.infrastructureName of infrastructures.config.openshift.io/cluster (OpenShift only). */
  infrastructureName?: string;
}

const INFRASTRUCTURE: ResourceType = {
  group: 'config.openshift.io',
  version: 'v1',
  plural: 'infrastructures',
  kind: 'Infrastructure',
  clusterScoped: true,
};

/**
 * `warn` hears why a part could not be read (RBAC, a network error): the backup still goes on, but
 * says that a restore from it will not know which management cluster it came from. A missing
 * Infrastructure (not OpenShift) is no reason to warn.
 */
export async function readManagementIdentity(
  api: KubeApi,
  warn?: (message: string) => void,
): Promise<ManagementClusterIdentity | undefined> {
  const unreadable = (what: string) => (err: unknown) => {
    warn?.(
      `could not read ${what} (${causeText(err)}): backup.json records no management-cluster identity, so a restore from it cannot tell the same management cluster from another`,
    );
    return undefined;
  };
  const [ns, infra] = await Promise.all([
    api.get(Resources.namespace, '', 'kube-system').catch(unreadable('namespace kube-system')),
    api.get(INFRASTRUCTURE, '', 'cluster').catch(unreadable('infrastructures.config.openshift.io/cluster')),
  ]);
  const uid = ns?.metadata.uid;
  if (!uid) return undefined;
  const name = (infra?.['status'] as { infrastructureName?: unknown } | undefined)?.infrastructureName;
  return { kubeSystemUid: uid, ...(typeof name === 'string' && name ? { infrastructureName: name } : {}) };
}

/** true: the same cluster; false: another; undefined: the backup does not say (older backups). */
export function sameManagementCluster(
  recorded: ManagementClusterIdentity | undefined,
  kubeSystem: KubeObject | undefined,
): boolean | undefined {
  const here = kubeSystem?.metadata.uid;
  if (!recorded?.kubeSystemUid || !here) return undefined;
  return recorded.kubeSystemUid === here;
}
