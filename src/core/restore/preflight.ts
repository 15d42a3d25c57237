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
import { planObjects } from './preflight-plan.ts';
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

type Pass = (check: string, detail: string) => void;

export async function preflight(
  input: PreflightInput,
  desired: DesiredObject[],
): Promise<{ preflight: Preflight; planned: PlannedObject[] }> {
  const cp = controlPlaneNamespace(input.namespace, input.name);
  const checks: PreflightCheck[] = [];
  const warnings: string[] = [];
  const pass: Pass = (check, detail) => checks.push({ name: check, ok: true, detail });
  await checkBackup(input, cp, pass, warnings);
  const [hc, operator, pvcs, kubeSystem] = await Promise.all([
    input.api.get(Resources.hostedCluster, input.namespace, input.name),
    input.api.get(Resources.deployment, HYPERSHIFT_OPERATOR.namespace, HYPERSHIFT_OPERATOR.deployment),
    input.api.list(Resources.persistentVolumeClaim, cp).catch(() => [] as KubeObject[]),
    input.api.get(Resources.namespace, '', 'kube-system').catch(() => undefined),
  ]);
  checkOperator(input.api, operator, pass);
  const slot = await checkSlot(input, hc, pass);
  const leftoverPvcs = checkVolumes(input, cp, slot.ours ? [] : pvcs, pass);
  const sameManagementCluster = await checkPlacement(input, desired, kubeSystem, pass, warnings);
  checkReferences(input.bundle, desired, input.namespace, cp);
  const planned = await planObjects(input, desired, { ours: slot.ours, replacing: slot.toDelete.length > 0, cp }, pass);
  const record = readRestoreRecord(hc);
  return {
    preflight: {
      checks,
      warnings,
      resumeRecord: slot.ours ? record : undefined,
      alreadyRestored: slot.ours && record === undefined,
      toDelete: slot.toDelete,
      leftoverPvcs,
      sameManagementCluster,
    },
    planned,
  };
}

/** What the backup carries: verified already (bundle.ts); the URL, the key material, continuity. */
async function checkBackup(input: PreflightInput, cp: string, pass: Pass, warnings: string[]): Promise<void> {
  const { bundle } = input;
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
}

function checkOperator(api: KubeApi, operator: KubeObject | undefined, pass: Pass): void {
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
}

/** The HostedCluster's slot: absent, this restore's own from an earlier run, or to be replaced (--replace). */
async function checkSlot(
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
function checkVolumes(input: PreflightInput, cp: string, pvcs: KubeObject[], pass: Pass): string[] {
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

/** Which management cluster this is, fixed hostnames, whether the source is gone, the etcd version. */
async function checkPlacement(
  input: PreflightInput,
  desired: DesiredObject[],
  kubeSystem: KubeObject | undefined,
  pass: Pass,
  warnings: string[],
): Promise<boolean | undefined> {
  const { bundle } = input;
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
  return sameManagementCluster;
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
