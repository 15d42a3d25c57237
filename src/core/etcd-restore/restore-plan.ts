/**
 * `etcd restore`, the read-only half: the cluster's shape (etcd replicas and image, every
 * data-etcd-N PVC, the API servers' replicas) and the snapshot verified, or a refusal. Nothing
 * here changes the cluster (--from-member's snapshot is taken after the lock, see restore.ts).
 */
import { PreconditionError, UsageError } from '../errors.ts';
import { controlPlaneNamespace, Etcd, Resources, type KubeObject } from '../model.ts';
import type { Cluster } from '../ports.ts';
import { assertManagedEtcd, resolveHostedCluster } from '../controlplane/hosted-cluster.ts';
import { readReplicas } from '../controlplane/quiesce.ts';
import { readOperation } from '../operation/record.ts';
import { verifyBackupSource, verifyFileSource, type SnapshotInfo, type SourceSpec } from '../etcd/restore-source.ts';
import { checkSnapshotVersion, runningEtcdVersion } from '../etcd/versions.ts';
import type { ToolProbe } from '../etcd/restore-scripts.ts';

export interface EtcdRestoreRequest {
  namespace: string;
  name: string;
  source: SourceSpec;
  keepOldData: boolean;
  /** How long each wait may take (pause propagation, scaling, helper pods, etcd back and verified). */
  waitTimeoutMs: number;
  /** Restore a snapshot of a newer etcd minor than the target's (etcd does not support it). */
  force?: boolean;
}

export interface EtcdRestorePlan {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'EtcdRestorePlan';
  hostedCluster: { namespace: string; name: string; controlPlaneNamespace: string };
  source: string;
  /** null for --from-member: taken when the restore runs. */
  snapshot: { sha256: string; size: number; revision: number; totalKeys: number } | null;
  members: number;
  image: string;
  apiServers: Record<string, number>;
  steps: string[];
  notes: string[];
}

export interface PreparedRestore {
  hc: KubeObject;
  cpNamespace: string;
  etcdReplicas: number;
  image: string;
  apiReplicas: Record<string, number>;
  /** undefined for --from-member until it is taken. */
  info: SnapshotInfo | undefined;
  /** The target's etcd version when a running etcd pod told it; else the helper pods' tool decides. */
  targetVersion: string | undefined;
  plan: EtcdRestorePlan;
}

export async function planEtcdRestore(
  req: EtcdRestoreRequest,
  deps: Cluster & { signal?: AbortSignal | undefined; onBytes?: (n: number) => void },
): Promise<PreparedRestore> {
  const hc = await resolveHostedCluster(deps.api, req.namespace, req.name);
  assertManagedEtcd(hc);
  refuseRunningOperation(req, hc);
  const cpNamespace = controlPlaneNamespace(req.namespace, req.name);
  const { etcdReplicas, image } = await readEtcdShape(deps, cpNamespace, hc);
  await checkVolumesAndMember(req, deps, cpNamespace, etcdReplicas);
  const apiReplicas = await readReplicas({ api: deps.api, controlPlaneNamespace: cpNamespace });
  const info =
    req.source.kind === 'backup'
      ? await verifyBackupSource(req.source, req, deps.signal, deps.onBytes)
      : req.source.kind === 'file'
        ? await verifyFileSource(req.source.path, deps.signal, deps.onBytes)
        : undefined;
  // A snapshot of a newer minor is refused here, before any change (--from-member: the same etcd).
  const targetVersion = await runningEtcdVersion(deps.exec, cpNamespace, etcdReplicas);
  if (info && targetVersion) info.notes.push(...checkVersion(req, info, targetVersion, 'its running etcd pods'));
  const plan: EtcdRestorePlan = {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'EtcdRestorePlan',
    hostedCluster: { namespace: req.namespace, name: req.name, controlPlaneNamespace: cpNamespace },
    source: info?.description ?? `member ${req.source.kind === 'member' ? req.source.pod : ''}`,
    snapshot: info ? { sha256: info.sha256, size: info.size, revision: info.revision, totalKeys: info.totalKeys } : null,
    members: etcdReplicas,
    image,
    apiServers: apiReplicas,
    steps: restoreSteps(req, apiReplicas, etcdReplicas, image),
    notes: info?.notes ?? [],
  };
  return { hc, cpNamespace, etcdReplicas, image, apiReplicas, info, targetVersion, plan };
}

/** One operation at a time on a hosted cluster: a record left by another run is refused with its resume. */
function refuseRunningOperation(req: EtcdRestoreRequest, hc: KubeObject): void {
  const existing = readOperation(hc);
  if (!existing) return;
  const op = existing.operation;
  throw new PreconditionError(
    `cannot restore etcd of "${req.namespace}/${req.name}": hcp-dr operation ${op.id} (${op.type}, ${op.phase}) is in progress since ${op.startedAt}`,
    { hint: `if that run is no longer active, finish or undo it with: {cmd} resume ${req.name} -n ${req.namespace}` },
  );
}

/** The etcd StatefulSet's size (a StatefulSet left at 0 restored to its policy's) and its etcd container's image. */
async function readEtcdShape(deps: Cluster, cpNamespace: string, hc: KubeObject): Promise<{ etcdReplicas: number; image: string }> {
  const sts = await deps.api.get(Resources.statefulSet, cpNamespace, Etcd.statefulSet);
  if (!sts)
    throw new PreconditionError(`failed to find the etcd StatefulSet in namespace ${cpNamespace}`, {
      hint: 'the control plane has no managed etcd yet; check "kubectl get statefulset -n ' + cpNamespace + '"',
    });
  const spec = (sts['spec'] ?? {}) as { replicas?: number; template?: { spec?: { containers?: { name: string; image?: string }[] } } };
  const policy = (hc['spec'] as { controllerAvailabilityPolicy?: string } | undefined)?.controllerAvailabilityPolicy;
  // A StatefulSet left at 0 (an earlier manual attempt) is restored to the size its policy gives.
  const etcdReplicas = spec.replicas && spec.replicas > 0 ? spec.replicas : policy === 'SingleReplica' ? 1 : 3;
  const image = spec.template?.spec?.containers?.find((c) => c.name === Etcd.container)?.image;
  if (!image)
    throw new PreconditionError(`the etcd StatefulSet in ${cpNamespace} has no "${Etcd.container}" container image`, {
      hint: 'check "kubectl get statefulset etcd -n ' + cpNamespace + ' -o yaml"',
    });
  return { etcdReplicas, image };
}

/** Every member volume (data-etcd-N) present and not being deleted; --from-member names a member whose pod exists. */
async function checkVolumesAndMember(req: EtcdRestoreRequest, deps: Cluster, cpNamespace: string, etcdReplicas: number): Promise<void> {
  for (let i = 0; i < etcdReplicas; i++) {
    const pvc = await deps.api.get(Resources.persistentVolumeClaim, cpNamespace, Etcd.pvcName(i));
    if (!pvc || pvc.metadata.deletionTimestamp)
      throw new PreconditionError(`PVC ${Etcd.pvcName(i)} in ${cpNamespace} is ${pvc ? 'being deleted' : 'missing'}`, {
        hint: 'etcd restore writes into every member volume; let the StatefulSet recreate it (scale etcd up) first, or restore with "{cmd} restore <backup-url> --replace"',
      });
  }
  if (req.source.kind !== 'member') return;
  const ordinal = Number(req.source.pod.slice('etcd-'.length));
  if (ordinal >= etcdReplicas)
    throw new UsageError(`--from-member ${req.source.pod}: this cluster's members are etcd-0 to etcd-${etcdReplicas - 1}`, {
      hint: 'name the member that still holds the data, e.g. --from-member etcd-0',
    });
  if (!(await deps.api.get(Resources.pod, cpNamespace, req.source.pod)))
    throw new PreconditionError(`--from-member ${req.source.pod}: pod ${req.source.pod} does not exist in ${cpNamespace}`, {
      hint: 'pick a member whose pod runs ("kubectl get pods -l app=etcd -n ' + cpNamespace + '"), or use --from-backup/--from-file',
    });
}

/** The plan's steps, in the order the phases (restore-phases.ts) carry them out. */
function restoreSteps(req: EtcdRestoreRequest, apiReplicas: Record<string, number>, etcdReplicas: number, image: string): string[] {
  const members = Array.from({ length: etcdReplicas }, (_, i) => `etcd-${i}`).join(', ');
  return [
    'pause reconciliation with a deadline and wait until the HostedControlPlane has it',
    `scale ${Object.keys(apiReplicas).join(', ')} to 0`,
    ...(req.source.kind === 'member'
      ? [`take a snapshot in ${req.source.pod} ("etcdctl snapshot save"; its raw member/snap/db if it does not answer)`]
      : []),
    'scale the etcd StatefulSet to 0; wait until its pods are gone (PVCs kept)',
    `start a helper pod per member (${members}) with image ${image}, mounting data-etcd-N at /var/lib`,
    'stream the snapshot into every helper (read once) and check its SHA-256 there and its revision and keys with etcd',
    `in every member volume: move /var/lib/data aside, restore the snapshot with --name etcd-N and the full --initial-cluster`,
    `remove the helpers, scale etcd back to ${etcdReplicas}, verify by data (member count, hashkv agreement, revision, keys)`,
    'scale the API servers back, unpause (spec.pausedUntil null), set hypershift.openshift.io/restart-date',
    req.keepOldData ? 'keep the moved-aside data (and print the command to remove it)' : 'remove the moved-aside data',
  ];
}

function checkVersion(req: EtcdRestoreRequest, info: SnapshotInfo, targetVersion: string, targetSource: string): string[] {
  return checkSnapshotVersion({
    snapshotVersion: info.etcdVersion,
    targetVersion,
    targetSource,
    force: req.force === true,
    command: `{cmd} etcd restore ${req.name} -n ${req.namespace} ${req.source.kind === 'backup' ? '--from-backup <backup-url>' : '--from-file <file>'}`,
  });
}

/** The version check when no etcd pod ran at planning: against the helper pods' tool (a refusal rolls back). */
export function checkAtProbe(req: EtcdRestoreRequest, info: SnapshotInfo, probe: ToolProbe, image: string): string[] {
  return checkVersion(req, info, probe.version, `${probe.tool} in image ${image}`);
}
