/**
 * Preflight and plan of a backup: reads only. `--dry-run` prints the plan; `runBackup` uses the
 * same preflight so the checks that cost no downtime all run before the first change (the
 * object-store checks, destinations and key lengths, are in preflight.ts).
 */
import { EtcdUnhealthyError } from '../errors.ts';
import { controlPlaneNamespace, ETCD_WRITER_DEPLOYMENTS, type KubeObject } from '../model.ts';
import type { EtcdctlTls } from '../etcd/etcdctl.ts';
import { gatherEtcd } from '../etcd/gather.ts';
import { judge, type Verdict } from '../etcd/verdict.ts';
import { assertManagedEtcd, resolveHostedCluster } from '../controlplane/hosted-cluster.ts';
import { BACKUP_ID_PLACEHOLDER, BackupFiles, backupPrefix } from '../bundle/layout.ts';
import { captureRestoreInputs, type Capture } from './capture.ts';
import { checkDestinations, checkKeyLengths, plannedKeys } from './preflight.ts';
import { readReplicas } from '../controlplane/quiesce.ts';
import { chooseSnapshotMember, type BackupDeps, type BackupRequest, type SnapshotMember } from './request.ts';

export interface Preflight {
  hc: KubeObject;
  controlPlaneNamespace: string;
  member: SnapshotMember;
  tls: EtcdctlTls;
  dbSizeBytes: number;
  replicas: Record<string, number>;
  capture: Capture;
  verdict: Verdict;
  /** The etcd StatefulSet's image, recorded in backup.json for `drill`. */
  etcdImage?: string | undefined;
}

export async function preflight(
  req: BackupRequest,
  deps: Pick<BackupDeps, 'api' | 'exec' | 'reporter' | 'signal' | 'managementIdentity'>,
): Promise<Preflight> {
  const hc = await resolveHostedCluster(deps.api, req.namespace, req.name);
  assertManagedEtcd(hc);
  // The bucket first: one cheap request, before the etcd members are asked anything.
  await checkDestinations(req);
  const cpNamespace = controlPlaneNamespace(req.namespace, req.name);
  const gathered = await gatherEtcd({
    api: deps.api,
    exec: deps.exec,
    controlPlaneNamespace: cpNamespace,
    expectedReplicas: 3,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const verdict = judge(gathered.facts);
  if (verdict.state === 'QuorumLost' || (verdict.state === 'Inconsistent' && !req.force)) {
    throw new EtcdUnhealthyError(`failed to back up "${req.namespace}/${req.name}": etcd is ${verdict.state}: ${verdict.reason}`, {
      hint:
        verdict.state === 'Inconsistent'
          ? 'check "{cmd} etcd status"; --force takes the snapshot from the chosen member anyway'
          : verdict.hint,
    });
  }
  const member = chooseSnapshotMember(gathered.facts);
  const dbSizeBytes = gathered.facts.members.find((m) => m.id === member.memberId)?.status?.dbSize ?? 0;
  const replicas =
    req.mode === 'quiesce'
      ? await readReplicas(
          { api: deps.api, controlPlaneNamespace: cpNamespace },
          ETCD_WRITER_DEPLOYMENTS,
          'the control plane looks incomplete; use --online to back up without scaling the API servers',
        )
      : {};
  const capture = await captureRestoreInputs(deps.api, hc, cpNamespace, deps.reporter, deps.managementIdentity);
  checkKeyLengths(plannedKeys(req, capture));
  return {
    hc,
    controlPlaneNamespace: cpNamespace,
    member,
    tls: { caPath: gathered.caPath ?? '' },
    etcdImage: gathered.image,
    dbSizeBytes,
    replicas,
    capture,
    verdict,
  };
}

export interface BackupPlan {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'BackupPlan';
  hostedCluster: string;
  mode: BackupRequest['mode'];
  member: string;
  destination: string;
  steps: string[];
  touches: string[];
  expectedDowntime: string;
}

/** The snapshot rate assumed for the downtime estimate; measured rates are far higher on SSDs. */
const ASSUMED_SNAPSHOT_BYTES_PER_SECOND = 100 * 1024 * 1024;

export async function planBackup(
  req: BackupRequest,
  deps: Pick<BackupDeps, 'api' | 'exec' | 'reporter' | 'signal' | 'managementIdentity'>,
): Promise<BackupPlan> {
  const p = await preflight(req, deps);
  const ns = p.controlPlaneNamespace;
  const quiesce = req.mode === 'quiesce';
  const destination = req.destination.store.url(backupPrefix(req.destination.prefix, req.namespace, req.name, BACKUP_ID_PLACEHOLDER)) + '/';
  const snapshotSeconds = Math.max(1, Math.ceil(p.dbSizeBytes / ASSUMED_SNAPSHOT_BYTES_PER_SECOND));
  return {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'BackupPlan',
    hostedCluster: `${req.namespace}/${req.name}`,
    mode: req.mode,
    member: p.member.pod,
    destination,
    steps: [
      `record the operation (lock, previous spec.pausedUntil, previous replicas) on HostedCluster ${req.namespace}/${req.name}`,
      ...(quiesce
        ? [
            `pause reconciliation: spec.pausedUntil = now + ${Math.round(req.pauseTtlMs / 60000)}m (renewed while running), wait for HostedControlPlane ${ns}/${req.name}`,
            `scale ${ETCD_WRITER_DEPLOYMENTS.join(', ')} in ${ns} to 0 (now ${Object.values(p.replicas).join('/')})`,
          ]
        : []),
      `etcdctl snapshot save in pod ${ns}/${p.member.pod} (/var/lib, the member's data volume) and snapshot status`,
      ...(quiesce ? ['scale the API servers back and restore spec.pausedUntil (downtime ends here)'] : []),
      `stream the snapshot to ${destination}${BackupFiles.snapshot} (SigV4 multipart, SHA-256 checked)`,
      `store the Secrets ${p.capture.secrets.map((s) => s.object.metadata.name).join(', ') || '(none)'}${req.keysDestination ? ` under ${req.keysDestination.store.url(req.keysDestination.prefix)}` : ''}, the ConfigMaps ${p.capture.configMaps.map((c) => c.metadata.name).join(', ') || '(none)'} and the HostedCluster/NodePool manifests`,
      ...p.capture.references
        .filter((r) => !r.carried)
        .map((r) => `not carried (does not exist): ${r.kind} ${r.namespace}/${r.name}, referenced by ${r.referencedBy.join(', ')}`),
      `remove the snapshot file from the pod, write ${BackupFiles.manifest} last, remove the operation record`,
      ...(req.lock
        ? [`store every object, ${BackupFiles.manifest} included, under S3 Object Lock (${req.lock.mode}) for ${req.lock.days} days`]
        : []),
      ...(req.codec?.compress || req.codec?.recipients?.length
        ? [
            `store every object but ${BackupFiles.manifest} ${[req.codec.compress ? `${req.codec.compress}-compressed` : '', req.codec.recipients?.length ? `age-encrypted to ${req.codec.recipients.join(', ')}` : ''].filter(Boolean).join(', then ')}, in the stream`,
          ]
        : []),
    ],
    touches: [
      `hostedclusters/${req.name} -n ${req.namespace} (annotations${quiesce ? ', spec.pausedUntil' : ''})`,
      ...(quiesce ? ETCD_WRITER_DEPLOYMENTS.map((d) => `deployments/${d} -n ${ns} (scale)`) : []),
      `pods/${p.member.pod} -n ${ns} (exec: snapshot file on its volume)`,
    ],
    expectedDowntime: quiesce
      ? `about ${snapshotSeconds}s plus the API servers' restart (snapshot of ${Math.round(p.dbSizeBytes / 1048576)} MiB)`
      : 'none (online snapshot)',
  };
}
