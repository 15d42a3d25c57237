/**
 * Everything that can be checked without changing the target management cluster, before the
 * first change: the HostedCluster slot (absent, ours from an earlier run of this same backup,
 * or to be replaced) and no leftover etcd PVC (etcd-init silently keeps the old data of a
 * non-empty PVC), both in preflight-slot.ts; the HyperShift operator, the PKI and key material in the backup, every
 * referenced Secret/ConfigMap available, fixed hostnames on another management cluster, the
 * snapshot URL, and each object to create (absent, or there already and identical).
 */
import { PreconditionError } from '../errors.ts';
import { controlPlaneNamespace, RESTORE_PKI_SECRETS, Resources, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { MAX_SNAPSHOT_URL_LENGTH } from '../controlplane/snapshot-url.ts';
import { planObjects } from './preflight-plan.ts';
import { checkHostnames, checkKeyMaterial, checkReferences, checkUrl, sameCluster } from './preflight-bundle.ts';
import { checkContinuity } from './continuity.ts';
import { checkSourceGone } from './source-gone.ts';
import type { SourceProbe } from '../contracts/restore.ts';
import { checkReleaseEtcd } from '../etcd/versions.ts';
import { readRestoreRecord, type RestoreRecord } from './record.ts';
import { checkSlot, checkVolumes } from './preflight-slot.ts';
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
