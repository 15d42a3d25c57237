/**
 * Reads what `export` carries from a live management cluster through KubeApi: the
 * namespace, the HostedCluster, its NodePools (spec.clusterName == name), the Secrets and
 * ConfigMaps they reference, and with `withControlPlane` the control-plane namespace objects
 * a move carries (hypershift-domain §2.7). It never lists Pods, PVCs, StatefulSets or
 * Secrets in bulk: only the named restore PKI Secrets come from the control-plane namespace.
 */
import { NotFoundError } from '../errors.ts';
import { Resources, RESTORE_PKI_SECRETS, controlPlaneNamespace, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { listControlPlaneObjects } from '../objects/control-plane.ts';
import { collectReferences } from '../controlplane/references.ts';
import type { ExportInput, MissingRef } from './types.ts';

export interface LiveSourceOptions {
  namespace: string;
  name: string;
  withControlPlane: boolean;
}

export async function loadFromCluster(api: KubeApi, opts: LiveSourceOptions): Promise<ExportInput> {
  const { namespace, name } = opts;
  const hostedCluster = await api.get(Resources.hostedCluster, namespace, name);
  if (!hostedCluster) {
    throw new NotFoundError(
      `failed to export "${namespace}/${name}": HostedCluster "${name}" not found in namespace "${namespace}" (${api.describeTarget()})`,
      {
        hint: 'list hosted clusters with "{cmd} etcd status -A" or "kubectl get hostedclusters -A"',
      },
    );
  }
  const warnings: string[] = [];
  const [nsObject, allPools] = await Promise.all([api.get(Resources.namespace, '', namespace), api.list(Resources.nodePool, namespace)]);
  const nodePools = allPools.filter((np) => (np['spec'] as { clusterName?: string } | undefined)?.clusterName === name);
  const refs = collectReferences(hostedCluster, nodePools);
  const references: KubeObject[] = [];
  const missing: MissingRef[] = [];
  await Promise.all(
    refs.map(async (ref) => {
      const type = ref.kind === 'Secret' ? Resources.secret : Resources.configMap;
      const obj = await api.get(type, namespace, ref.name);
      if (obj) references.push(obj);
      else {
        missing.push({ ...ref, namespace });
        warnings.push(`${ref.kind} ${namespace}/${ref.name} is referenced (${ref.referencedBy.join(', ')}) but does not exist`);
      }
    }),
  );
  const controlPlane = opts.withControlPlane ? await loadControlPlane(api, controlPlaneNamespace(namespace, name), warnings) : [];
  return {
    origin: {
      source: 'live',
      location: api.describeTarget(),
      backupId: null,
      backupCreatedAt: null,
      etcdRevision: null,
      snapshotSha256: null,
    },
    namespace: nsObject ?? { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    hostedCluster,
    nodePools,
    references,
    refs,
    missing,
    controlPlane,
    warnings,
  };
}

async function loadControlPlane(api: KubeApi, cpNamespace: string, warnings: string[]): Promise<KubeObject[]> {
  const ns = await api.get(Resources.namespace, '', cpNamespace);
  if (!ns) {
    warnings.push(`control-plane namespace "${cpNamespace}" does not exist: no control-plane objects exported`);
    return [];
  }
  const pki = await Promise.all(RESTORE_PKI_SECRETS.map((n) => api.get(Resources.secret, cpNamespace, n)));
  return [ns, ...pki.filter((s): s is KubeObject => s !== undefined), ...(await listControlPlaneObjects(api, cpNamespace))];
}
