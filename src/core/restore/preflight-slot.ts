/**
 * The restore's slot on the target management cluster, checked before the first change: the
 * HostedCluster absent, this same restore's own from an earlier run, or to be replaced (--replace,
 * never over another hcp-dr operation, never deleting the guest's cloud resources unasked); and no
 * leftover etcd PVC, whose old data etcd-init would keep.
 */
import { PreconditionError } from '../errors.ts';
import { Etcd, Resources, type KubeObject } from '../model.ts';
import { otherOperation, restoredFrom } from './record.ts';
import type { Preflight, PreflightInput } from './preflight.ts';

type Pass = (check: string, detail: string) => void;

/** On a HostedCluster, "true": its deletion removes the guest's volumes, load balancers and registry storage (hypershift-domain.md §5). */
export const CLEANUP_CLOUD_RESOURCES = 'hypershift.openshift.io/cleanup-cloud-resources';

/** The HostedCluster's slot: absent, this restore's own from an earlier run, or to be replaced (--replace). */
export async function checkSlot(
  input: PreflightInput,
  hc: KubeObject | undefined,
  pass: Pass,
): Promise<{ ours: boolean; toDelete: Preflight['toDelete'] }> {
  const { api, namespace, name } = input;
  const from = restoredFrom(hc);
  const ours = hc !== undefined && from === input.bundle.url && !input.replace;
  const toDelete: Preflight['toDelete'] = [];
  if (hc && otherOperation(hc)) {
    throw new PreconditionError(
      `failed to restore ${namespace}/${name}: the existing HostedCluster has another hcp-dr operation in progress`,
      {
        hint: `finish or undo it first: {cmd} resume ${name} -n ${namespace}`,
      },
    );
  }
  if (hc && !ours) {
    if (!input.replace) {
      throw new PreconditionError(
        `failed to restore ${namespace}/${name}: HostedCluster ${namespace}/${name} already exists on ${api.describeTarget()}${from ? ` (restored from ${from})` : ''}`,
        {
          hint: 'restoreSnapshotURL is honoured only at creation: pass --replace to delete it, its NodePools and its control plane first (downtime), or restore under another name/namespace',
        },
      );
    }
    checkCloudCleanup(hc, input.cleanupCloudResources === true, pass);
    toDelete.push({ kind: 'HostedCluster', namespace, name });
    const pools = (await api.list(Resources.nodePool, namespace)).filter(
      (np) => (np['spec'] as { clusterName?: string } | undefined)?.clusterName === name,
    );
    for (const np of pools) toDelete.push({ kind: 'NodePool', namespace, name: np.metadata.name ?? '' });
  }
  pass(
    'hosted-cluster',
    hc === undefined
      ? `${namespace}/${name} does not exist`
      : ours
        ? `${namespace}/${name} was created from this backup by an earlier run: finishing it`
        : `${namespace}/${name} exists and will be replaced`,
  );
  return { ours, toDelete };
}

/** No leftover etcd PVC: etcd-init skips the restore on a non-empty volume (--replace deletes them). */
export function checkVolumes(input: PreflightInput, cp: string, pvcs: KubeObject[], pass: Pass): string[] {
  const { namespace, name } = input;
  const leftoverPvcs = pvcs
    .map((p) => p.metadata.name ?? '')
    .filter((n) => /^data-etcd-\d+$/.test(n))
    .sort();
  if (leftoverPvcs.length > 0 && !input.replace) {
    throw new PreconditionError(
      `failed to restore ${namespace}/${name}: leftover etcd PVC${leftoverPvcs.length > 1 ? 's' : ''} ${leftoverPvcs.join(', ')} in ${cp}: etcd-init skips the restore on a non-empty volume and the old data would come back`,
      {
        hint: `delete them ("kubectl delete pvc ${leftoverPvcs.join(' ')} -n ${cp}") or pass --replace`,
      },
    );
  }
  pass(
    'etcd-volumes',
    leftoverPvcs.length
      ? `${leftoverPvcs.join(', ')} left over in ${cp}: --replace deletes them`
      : `no etcd PVC (${Etcd.pvcName(0)}, ...) in ${cp}`,
  );
  return leftoverPvcs;
}

/**
 * --replace deletes the HostedCluster through the operator: with cleanup-cloud-resources "true" that
 * deletion also removes the guest's cloud data, which the restored cluster needs. Refused unless
 * --cleanup-cloud-resources says so; otherwise replace.ts sets the annotation to "false" right before
 * the delete (kept visible on the object rather than removed, so the choice shows in its last state).
 */
function checkCloudCleanup(hc: KubeObject, allowed: boolean, pass: Pass): void {
  const { namespace, name } = hc.metadata;
  const on = hc.metadata.annotations?.[CLEANUP_CLOUD_RESOURCES] === 'true';
  if (on && !allowed) {
    throw new PreconditionError(
      `failed to restore ${namespace}/${name}: the existing HostedCluster has ${CLEANUP_CLOUD_RESOURCES}: "true", so deleting it for --replace would also delete the guest cluster's volumes, load balancers and image-registry storage`,
      {
        hint: `to keep them (what a restore over the same cluster needs), repair etcd in place instead: {cmd} etcd restore ${name} -n ${namespace} --from-backup <backup-url>; to delete them with the cluster, add --cleanup-cloud-resources`,
      },
    );
  }
  pass(
    'cloud-resources',
    on
      ? `${CLEANUP_CLOUD_RESOURCES}: "true" and --cleanup-cloud-resources: the delete removes the guest's volumes, load balancers and registry storage`
      : `kept: ${CLEANUP_CLOUD_RESOURCES} is set to "false" on ${namespace}/${name} right before the delete`,
  );
}
