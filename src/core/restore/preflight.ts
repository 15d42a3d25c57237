/**
 * Everything that can be checked without changing the target management cluster, before the
 * first change: the HostedCluster slot (absent, ours from an earlier run of this same backup,
 * or to be replaced), no leftover etcd PVC (etcd-init silently keeps the old data of a
 * non-empty PVC), the HyperShift operator, the PKI and key material in the backup, every
 * referenced Secret/ConfigMap available, fixed hostnames on another management cluster, the
 * snapshot URL, and each object to create (absent, or there already and identical).
 */
import { PreconditionError } from '../errors.ts';
import { controlPlaneNamespace, Etcd, RESTORE_PKI_SECRETS, Resources, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { MAX_SNAPSHOT_URL_LENGTH } from '../controlplane/snapshot-url.ts';
import { describe, holdsDesired } from './objects.ts';
import { checkHostnames, checkKeyMaterial, checkReferences, checkUrl, sameCluster } from './preflight-bundle.ts';
import { checkContinuity } from './continuity.ts';
import { checkSourceGone } from './source-gone.ts';
import type { SourceProbe } from '../contracts/restore.ts';
import { checkReleaseEtcd } from '../etcd/versions.ts';
import { otherOperation, readRestoreRecord, restoredFrom, type RestoreRecord } from './record.ts';
import type { DesiredObject, PlannedObject, PreflightCheck, RestoreBundle } from '../contracts/restore.ts';

/** Where HyperShift's operator runs (`hypershift install` defaults). */
export const HYPERSHIFT_OPERATOR = { namespace: 'hypershift', deployment: 'operator' } as const;

export interface PreflightInput {
  api: KubeApi;
  bundle: RestoreBundle;
  namespace: string;
  name: string;
  replace: boolean;
  snapshotUrl: string;
  /** --cleanup-cloud-resources: --replace may delete a HostedCluster whose deletion removes the guest's cloud resources. */
  cleanupCloudResources?: boolean;
  /** On another management cluster: asks whether the source still serves the API hostname (source-gone.ts). */
  sourceProbe?: SourceProbe;
  /** --force: a source that still answers, or a snapshot of a newer etcd minor, is a warning, not a refusal. */
  force?: boolean;
}

/** On a HostedCluster, "true": its deletion removes the guest's volumes, load balancers and registry storage (hypershift-domain.md §5). */
export const CLEANUP_CLOUD_RESOURCES = 'hypershift.openshift.io/cleanup-cloud-resources';

export interface Preflight {
  checks: PreflightCheck[];
  warnings: string[];
  /** The HostedCluster already exists from an earlier run of this restore: only wait and verify. */
  resumeRecord: RestoreRecord | undefined;
  /** The HostedCluster was restored from this backup by an earlier, finished run. */
  alreadyRestored: boolean;
  /** What --replace deletes before the apply. */
  toDelete: { kind: string; namespace: string; name: string }[];
  /** Leftover etcd PVCs (deleted by --replace). */
  leftoverPvcs: string[];
  sameManagementCluster: boolean | undefined;
}

export async function preflight(
  input: PreflightInput,
  desired: DesiredObject[],
): Promise<{ preflight: Preflight; planned: PlannedObject[] }> {
  const { api, bundle, namespace, name } = input;
  const cp = controlPlaneNamespace(namespace, name);
  const checks: PreflightCheck[] = [];
  const warnings: string[] = [];
  const pass = (check: string, detail: string) => checks.push({ name: check, ok: true, detail });
  pass('backup', `verified: SHA-256, trailer, revision ${bundle.manifest.snapshot.revision}, ${bundle.manifest.snapshot.totalKeys} keys`);

  checkUrl(input.snapshotUrl);
  pass('snapshot-url', `one pre-signed URL, ${input.snapshotUrl.length} of ${MAX_SNAPSHOT_URL_LENGTH} characters`);

  checkKeyMaterial(bundle);
  const pkiCarried = RESTORE_PKI_SECRETS.filter((n) =>
    bundle.objects.some(
      (o) => o.object.metadata.name === n && o.object.metadata.namespace === bundle.manifest.hostedCluster.controlPlaneNamespace,
    ),
  );
  pass(
    'pki',
    pkiCarried.length === RESTORE_PKI_SECRETS.length
      ? `${RESTORE_PKI_SECRETS.join(', ')} in the backup`
      : `the backup carries ${pkiCarried.join(', ') || 'no PKI Secret'}: the rest must exist in ${cp}`,
  );
  await checkContinuity(input, cp, pass, warnings);
  pass(
    'encryption',
    bundle.manifest.encryption.type === 'aescbc'
      ? `original AES-CBC key ${bundle.manifest.encryption.activeKeySecret} in the backup`
      : `encryption: ${bundle.manifest.encryption.type}`,
  );

  const [hc, operator, pvcs, kubeSystem] = await Promise.all([
    api.get(Resources.hostedCluster, namespace, name),
    api.get(Resources.deployment, HYPERSHIFT_OPERATOR.namespace, HYPERSHIFT_OPERATOR.deployment),
    api.list(Resources.persistentVolumeClaim, cp).catch(() => [] as KubeObject[]),
    api.get(Resources.namespace, '', 'kube-system').catch(() => undefined),
  ]);
  const ready = (operator?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
  if (!operator || ready < 1) {
    throw new PreconditionError(
      `failed to find a running HyperShift operator on ${api.describeTarget()}: deployment ${HYPERSHIFT_OPERATOR.namespace}/${HYPERSHIFT_OPERATOR.deployment} ${operator ? 'has no ready replica' : 'does not exist'}`,
      {
        hint: 'install HyperShift on this management cluster ("hypershift install") and wait until its operator is ready; it creates the restored control plane',
      },
    );
  }
  pass('operator', `HyperShift operator ready (${ready} replica${ready === 1 ? '' : 's'})`);

  const record = readRestoreRecord(hc);
  const from = restoredFrom(hc);
  const ours = hc !== undefined && from === bundle.url && !input.replace;
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

  const leftoverPvcs = ours
    ? []
    : pvcs
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

  const sameManagementCluster = sameCluster(bundle, kubeSystem);
  const platform = bundle.manifest.hostedCluster.platform || 'unknown';
  pass(
    'platform',
    `${platform}${sameManagementCluster === false ? ", another management cluster than the backup's" : sameManagementCluster === true ? ', the management cluster of the backup' : ''}`,
  );
  checkHostnames(bundle, sameManagementCluster, warnings, pass);
  await checkSourceGone(bundle, sameManagementCluster, input.sourceProbe, input.force === true, pass, warnings);
  const hcRelease = (desired.find((d) => d.step === 'hosted-cluster')?.object['spec'] as { release?: { image?: string } } | undefined)
    ?.release?.image;
  const etcdVersion = checkReleaseEtcd(bundle.manifest.etcd.version || undefined, hcRelease, input.force === true);
  pass('etcd-version', etcdVersion.detail);
  warnings.push(...etcdVersion.warnings);
  checkReferences(bundle, desired, namespace, cp);

  const planned: PlannedObject[] = [];
  const conflicts: string[] = [];
  const missingRefs: string[] = [];
  // Objects inside namespaces --replace deletes are re-created after it; the others are read at once.
  const isReplaced = (d: (typeof desired)[number]) =>
    toDelete.length > 0 && (d.object.metadata.namespace === cp || d.step === 'node-pools');
  const lives = await Promise.all(
    desired.map((d) =>
      d.step === 'hosted-cluster' || isReplaced(d)
        ? Promise.resolve(undefined)
        : api.get(d.type, d.object.metadata.namespace ?? '', d.object.metadata.name ?? ''),
    ),
  );
  for (const [i, d] of desired.entries()) {
    const row = (action: PlannedObject['action']): PlannedObject => ({
      step: d.step,
      kind: d.type.kind,
      namespace: d.object.metadata.namespace ?? null,
      name: d.object.metadata.name ?? '',
      action,
      origin: d.origin,
    });
    if (d.step === 'hosted-cluster') {
      planned.push(row(ours ? 'exists' : 'create'));
      continue;
    }
    const replaced = isReplaced(d);
    const live = lives[i];
    if (d.mustExist) {
      if (live && !replaced) planned.push(row('exists'));
      else missingRefs.push(describe(d) + (replaced ? ' (--replace deletes it)' : ''));
    } else if (!live) planned.push(row('create'));
    else if (d.step === 'namespaces' || d.keepExisting || holdsDesired(live, d.object)) planned.push(row('exists'));
    else conflicts.push(describe(d));
  }
  if (conflicts.length) {
    throw new PreconditionError(
      `failed to restore ${namespace}/${name}: ${conflicts.join(', ')} already exist${conflicts.length === 1 ? 's' : ''} with other content than the backup's`,
      {
        hint: 'a different encryption key or PKI would leave the restored data unreadable: delete or rename these objects if they are stale, or restore into another namespace with -n',
      },
    );
  }
  if (missingRefs.length) {
    throw new PreconditionError(
      `failed to restore ${namespace}/${name}: the backup does not carry ${missingRefs.join(', ')}, and ${missingRefs.length === 1 ? 'it does' : 'they do'} not exist on ${api.describeTarget()}`,
      {
        hint: 'the backup predates carrying referenced Secrets/ConfigMaps: create them in the namespace first (e.g. the pull secret), or take a new backup with this version',
      },
    );
  }
  pass(
    'objects',
    `${planned.filter((p) => p.action === 'create').length} to create, ${planned.filter((p) => p.action === 'exists').length} already there and identical`,
  );
  return {
    preflight: {
      checks,
      warnings,
      resumeRecord: ours ? record : undefined,
      alreadyRestored: ours && record === undefined,
      toDelete,
      leftoverPvcs,
      sameManagementCluster,
    },
    planned,
  };
}

/**
 * --replace deletes the HostedCluster through the operator: with cleanup-cloud-resources "true" that
 * deletion also removes the guest's cloud data, which the restored cluster needs. Refused unless
 * --cleanup-cloud-resources says so; otherwise replace.ts sets the annotation to "false" right before
 * the delete (kept visible on the object rather than removed, so the choice shows in its last state).
 */
function checkCloudCleanup(hc: KubeObject, allowed: boolean, pass: (check: string, detail: string) => void): void {
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
