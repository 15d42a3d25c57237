/** `etcd status -A`: every HostedCluster, checked concurrently with a bound, one summary each. */
import { isHcpDrError } from '../errors.ts';
import { mapBounded } from '../concurrency.ts';
import { Resources } from '../model.ts';
import { runEtcdStatus, type EtcdStatusDeps, type EtcdStatusReport } from './status.ts';
import type { BackupFreshness } from './freshness.ts';

export interface EtcdSummaryItem {
  namespace: string;
  name: string;
  state: 'Healthy' | 'Degraded' | 'QuorumLost' | 'Inconsistent' | 'Unmanaged' | 'Error';
  members: string;
  reason: string;
  /** status.lastSuccessfulEtcdBackupURL and its age, when etcd status could read the HostedCluster. */
  lastSuccessfulBackup?: EtcdStatusReport['lastSuccessfulBackup'];
  /** With `--backups s3://...`: the newest complete backup there and its age (freshness.ts). */
  backups?: BackupFreshness;
}

export interface EtcdSummary {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'EtcdStatusList';
  items: EtcdSummaryItem[];
}

/**
 * `hashkv`: also compare every member's hashkv (the full probe of `etcd status <name>`); without it
 * each cluster gets the glance (GatherContext.glance), a fraction of the processes in its pods.
 */
export async function runEtcdStatusAll(deps: EtcdStatusDeps, options: { concurrency: number; hashkv?: boolean }): Promise<EtcdSummary> {
  const clusters = await deps.api.list(Resources.hostedCluster, undefined);
  const refs = clusters
    .map((hc) => ({ namespace: hc.metadata.namespace ?? '', name: hc.metadata.name ?? '', hc }))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const items = await mapBounded(refs, options.concurrency, async ({ namespace, name, hc }): Promise<EtcdSummaryItem> => {
    const etcd = (hc['spec'] as { etcd?: { managementType?: string } } | undefined)?.etcd;
    if (etcd?.managementType === 'Unmanaged')
      return { namespace, name, state: 'Unmanaged', members: '-', reason: 'etcd is not managed by HyperShift' };
    try {
      const report = await runEtcdStatus(namespace, name, deps, { glance: options.hashkv !== true, hostedCluster: hc });
      const healthy = report.members.filter((m) => m.healthy).length;
      return {
        namespace,
        name,
        state: report.verdict.state,
        members: `${healthy}/${report.statefulSet.replicas}`,
        reason: report.verdict.reason,
        lastSuccessfulBackup: report.lastSuccessfulBackup,
      };
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      return {
        namespace,
        name,
        state: 'Error',
        members: '-',
        reason: isHcpDrError(err) || err instanceof Error ? err.message : String(err),
      };
    }
  });
  return { apiVersion: 'hcp-dr.openshift.io/v1alpha1', kind: 'EtcdStatusList', items };
}
