/**
 * `etcd status`: one hosted cluster's etcd at a glance, as a report with a stable schema
 * (apiVersion hcp-dr.openshift.io/v1alpha1, kind EtcdStatus; documented in the README).
 */
import { conditionsOf, controlPlaneNamespace, Resources, type Condition, type KubeObject } from '../model.ts';
import { assertManagedEtcd, resolveHostedCluster } from '../controlplane/hosted-cluster.ts';
import type { Clock, KubeApi, PodExec } from '../ports.ts';
import { redactUrl } from '../redact.ts';
import { byMemberName, gatherEtcd } from './gather.ts';
import { judge, type EtcdState, type PodFacts } from './verdict.ts';
import type { BackupFreshness } from './freshness.ts';

export const REPORTED_CONDITIONS = ['EtcdAvailable', 'EtcdRecoveryActive', 'EtcdSnapshotRestored', 'ReconciliationActive'] as const;

export interface EtcdStatusDeps {
  api: KubeApi;
  exec: PodExec;
  clock: Clock;
  signal?: AbortSignal;
}

export interface MemberReport {
  name: string;
  id: string;
  pod: string | null;
  endpoint: string | null;
  leader: boolean;
  learner: boolean;
  version: string | null;
  dbSizeBytes: number | null;
  dbSizeInUseBytes: number | null;
  fragmentationPercent: number | null;
  quotaHeadroomBytes: number | null;
  raftTerm: number | null;
  raftIndex: number | null;
  raftAppliedIndex: number | null;
  revision: number | null;
  healthy: boolean | null;
  took: string | null;
  error: string | null;
  hash: number | null;
  hashRevision: number | null;
}

export interface EtcdStatusReport {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'EtcdStatus';
  hostedCluster: { namespace: string; name: string; controlPlaneNamespace: string; availabilityPolicy: string };
  verdict: { state: EtcdState; reason: string; hint: string };
  statefulSet: { replicas: number; readyReplicas: number };
  quotaBytes: number;
  caPath: string | null;
  members: MemberReport[];
  /** The server versions members report, newest first (more than one: a mixed cluster, see warnings). */
  versions: string[];
  /** Facts an SRE should know that do not change the verdict (members on different etcd versions). */
  warnings: string[];
  pods: PodFacts[];
  alarms: { member: string; alarm: string }[];
  conditions: { hostedCluster: Condition[]; hostedControlPlane: Condition[] };
  lastSuccessfulBackup: { url: string; ageSeconds: number | null } | null;
  /** With `--backups s3://...`: the newest complete backup there and its age (freshness.ts). */
  backups?: BackupFreshness;
  observedAt: string;
}

export interface EtcdStatusOptions {
  /**
   * etcd status -A's glance (GatherContext.glance): members' hash fields are then null, and the
   * HostedControlPlane is not read (conditions.hostedControlPlane is empty; the summary shows none).
   */
  glance?: boolean;
  /** The HostedCluster as a list just returned it: not read again. */
  hostedCluster?: KubeObject;
}

export async function runEtcdStatus(
  namespace: string,
  name: string,
  deps: EtcdStatusDeps,
  options: EtcdStatusOptions = {},
): Promise<EtcdStatusReport> {
  const hc = options.hostedCluster ?? (await resolveHostedCluster(deps.api, namespace, name));
  assertManagedEtcd(hc);
  const cpNamespace = controlPlaneNamespace(namespace, name);
  const policy = String(
    (hc['spec'] as { controllerAvailabilityPolicy?: string } | undefined)?.controllerAvailabilityPolicy ?? 'HighlyAvailable',
  );
  const [gathered, hcp] = await Promise.all([
    gatherEtcd({
      api: deps.api,
      exec: deps.exec,
      controlPlaneNamespace: cpNamespace,
      expectedReplicas: policy === 'SingleReplica' ? 1 : 3,
      glance: options.glance === true,
      ...(deps.signal ? { signal: deps.signal } : {}),
    }),
    options.glance ? Promise.resolve(undefined) : deps.api.get(Resources.hostedControlPlane, cpNamespace, name),
  ]);
  const { facts, quotaBytes } = gathered;
  const verdict = judge(facts, { namespace, name });
  const now = deps.clock.now();
  const leaders = new Set(facts.members.map((m) => m.status?.leader).filter(Boolean));
  const mixed = versionFacts(facts.members.map((m) => ({ name: m.name || m.pod || m.id, version: m.status?.version })));
  return {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'EtcdStatus',
    hostedCluster: { namespace, name, controlPlaneNamespace: cpNamespace, availabilityPolicy: policy },
    verdict: { state: verdict.state, reason: verdict.reason, hint: verdict.hint.replaceAll('{ns}', cpNamespace) },
    statefulSet: { replicas: facts.replicas, readyReplicas: gathered.readyReplicas },
    quotaBytes,
    caPath: gathered.caPath ?? null,
    members: [...facts.members].sort(byMemberName).map((m) => {
      const s = m.status;
      const inUse = s?.dbSizeInUse;
      return {
        name: m.name,
        id: m.id,
        pod: m.pod ?? null,
        endpoint: m.clientURL ?? null,
        leader: leaders.has(m.id),
        learner: m.isLearner,
        version: s?.version ?? null,
        dbSizeBytes: s?.dbSize ?? null,
        dbSizeInUseBytes: inUse ?? null,
        fragmentationPercent: s && inUse !== undefined && s.dbSize > 0 ? round1((100 * (s.dbSize - inUse)) / s.dbSize) : null,
        quotaHeadroomBytes: s ? (s.dbSizeQuota ?? quotaBytes) - s.dbSize : null,
        raftTerm: s?.raftTerm ?? null,
        raftIndex: s?.raftIndex ?? null,
        raftAppliedIndex: s?.raftAppliedIndex ?? null,
        revision: s?.revision ?? null,
        healthy: m.health ? m.health.healthy : null,
        took: m.health?.took ?? null,
        error: m.health?.error ?? (s?.errors.join('; ') || null),
        hash: m.hash?.hash ?? null,
        hashRevision: m.hash?.revision ?? null,
      };
    }),
    versions: mixed.versions,
    warnings: mixed.warnings,
    pods: facts.pods,
    alarms: facts.alarms.map((a) => ({ member: facts.members.find((m) => m.id === a.memberId)?.name ?? a.memberId, alarm: a.alarm })),
    conditions: { hostedCluster: pick(conditionsOf(hc)), hostedControlPlane: pick(conditionsOf(hcp)) },
    lastSuccessfulBackup: lastBackup(hc, now),
    observedAt: now.toISOString(),
  };
}

/**
 * The distinct server versions and, when members differ, a warning: a mixed cluster is normal only
 * during a rolling upgrade or downgrade; otherwise it shows a member left on an old image.
 */
export function versionFacts(members: { name: string; version: string | undefined }[]): { versions: string[]; warnings: string[] } {
  const byVersion = new Map<string, string[]>();
  for (const m of members) if (m.version) byVersion.set(m.version, [...(byVersion.get(m.version) ?? []), m.name]);
  const versions = [...byVersion.keys()].sort(compareVersions).reverse();
  if (versions.length < 2) return { versions, warnings: [] };
  const list = versions.map((v) => `${v} (${byVersion.get(v)!.sort().join(', ')})`).join(', ');
  return {
    versions,
    warnings: [`members run different etcd versions: ${list}; expected only while the etcd StatefulSet rolls out a new image`],
  };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function pick(conditions: Condition[]): Condition[] {
  return conditions.filter((c) => (REPORTED_CONDITIONS as readonly string[]).includes(c.type));
}

function lastBackup(hc: KubeObject, now: Date): EtcdStatusReport['lastSuccessfulBackup'] {
  const status = hc['status'] as { lastSuccessfulEtcdBackupURL?: string; conditions?: Condition[] } | undefined;
  const url = status?.lastSuccessfulEtcdBackupURL;
  if (!url) return null;
  const when = conditionsOf(hc).find((c) => c.type === 'EtcdBackupSucceeded' && c.status === 'True')?.lastTransitionTime;
  const ageSeconds = when ? Math.max(0, Math.round((now.getTime() - Date.parse(when)) / 1000)) : null;
  return { url: redactUrl(url), ageSeconds: Number.isFinite(ageSeconds) ? ageSeconds : null };
}
