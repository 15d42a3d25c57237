/**
 * The metrics hcp-dr pushes to a Prometheus Pushgateway, one group per hosted cluster and job
 * (grouping key: job, namespace, hosted_cluster). Gauges only, in seconds and bytes, named in
 * Prometheus' conventions. Every push replaces only the metrics it carries in its group (POST):
 * a failure pushes the result, attempt time and duration, never the success timestamp or size,
 * so `hcp_dr_backup_last_success_timestamp_seconds` keeps the time of the last good backup.
 * The drill's names are reserved here and pushed by `drill` (deliverable 1 of issue 24).
 * Nothing here carries a secret or a URL: only names, times, sizes and results.
 */
import type { MetricSample, MetricsSink, Reporter } from '../ports.ts';

export const BACKUP_JOB = 'hcp-dr-backup';
export const DRILL_JOB = 'hcp-dr-drill';

export const METRIC = {
  backupLastSuccess: 'hcp_dr_backup_last_success_timestamp_seconds',
  backupLastAttempt: 'hcp_dr_backup_last_attempt_timestamp_seconds',
  backupLastFailure: 'hcp_dr_backup_last_failure_timestamp_seconds',
  backupLastResult: 'hcp_dr_backup_last_result',
  backupDuration: 'hcp_dr_backup_duration_seconds',
  backupSize: 'hcp_dr_backup_size_bytes',
  backupRevision: 'hcp_dr_backup_revision',
  drillLastSuccess: 'hcp_dr_drill_last_success_timestamp_seconds',
  drillLastAttempt: 'hcp_dr_drill_last_attempt_timestamp_seconds',
  drillLastFailure: 'hcp_dr_drill_last_failure_timestamp_seconds',
  drillLastResult: 'hcp_dr_drill_last_result',
  drillDuration: 'hcp_dr_drill_duration_seconds',
  drillRto: 'hcp_dr_drill_rto_seconds',
} as const;

const HELP: Record<string, string> = {
  [METRIC.backupLastSuccess]: 'Unix time at which the last successful backup of the hosted cluster finished.',
  [METRIC.backupLastAttempt]: 'Unix time at which the last backup run of the hosted cluster finished, successful or not.',
  [METRIC.backupLastFailure]: 'Unix time at which the last failed backup run of the hosted cluster finished.',
  [METRIC.backupLastResult]: 'Result of the last backup run of the hosted cluster: 1 succeeded, 0 failed.',
  [METRIC.backupDuration]: 'Wall time of the last backup run of the hosted cluster, in seconds.',
  [METRIC.backupSize]: 'Size of the etcd snapshot of the last successful backup of the hosted cluster, in bytes.',
  [METRIC.backupRevision]: 'etcd revision of the snapshot of the last successful backup of the hosted cluster.',
  [METRIC.drillLastSuccess]: 'Unix time at which the last successful restore drill of the hosted cluster finished.',
  [METRIC.drillLastAttempt]: 'Unix time at which the last restore drill of the hosted cluster finished, successful or not.',
  [METRIC.drillLastFailure]: 'Unix time at which the last failed restore drill of the hosted cluster finished.',
  [METRIC.drillLastResult]: 'Result of the last restore drill of the hosted cluster: 1 every check passed, 0 failed.',
  [METRIC.drillDuration]: 'Wall time of the last restore drill of the hosted cluster, in seconds.',
  [METRIC.drillRto]: 'Download, restore and start time measured by the last successful drill: the RTO of a restore of this size.',
};

const sample = (name: string, value: number): MetricSample => ({ name, help: HELP[name] ?? name, value });
const unixSeconds = (d: Date) => d.getTime() / 1000;

/** The outcome of one hosted cluster's backup, as the metrics see it. */
export type BackupOutcome =
  { ok: true; finishedAt: Date; seconds: number; sizeBytes: number; revision: number } | { ok: false; finishedAt: Date; seconds: number };

export function backupSamples(o: BackupOutcome): MetricSample[] {
  const at = unixSeconds(o.finishedAt);
  const common = [
    sample(METRIC.backupLastAttempt, at),
    sample(METRIC.backupLastResult, o.ok ? 1 : 0),
    sample(METRIC.backupDuration, o.seconds),
  ];
  if (!o.ok) return [...common, sample(METRIC.backupLastFailure, at)];
  return [
    ...common,
    sample(METRIC.backupLastSuccess, at),
    sample(METRIC.backupSize, o.sizeBytes),
    sample(METRIC.backupRevision, o.revision),
  ];
}

/** The outcome of one drill (pushed by `drill`): the RTO only when it succeeded. */
export type DrillOutcome =
  { ok: true; finishedAt: Date; seconds: number; rtoSeconds: number } | { ok: false; finishedAt: Date; seconds: number };

export function drillSamples(o: DrillOutcome): MetricSample[] {
  const at = unixSeconds(o.finishedAt);
  const common = [
    sample(METRIC.drillLastAttempt, at),
    sample(METRIC.drillLastResult, o.ok ? 1 : 0),
    sample(METRIC.drillDuration, o.seconds),
  ];
  if (!o.ok) return [...common, sample(METRIC.drillLastFailure, at)];
  return [...common, sample(METRIC.drillLastSuccess, at), sample(METRIC.drillRto, o.rtoSeconds)];
}

/** The grouping labels of a hosted cluster (besides the job). */
export function clusterLabels(namespace: string, name: string): Record<string, string> {
  return { namespace, hosted_cluster: name };
}

/** Pushes one backup outcome; the sink warns on failure and never throws, this guards a sink that would. */
export async function pushBackupOutcome(
  sink: MetricsSink | undefined,
  namespace: string,
  name: string,
  outcome: BackupOutcome,
  reporter: Reporter,
): Promise<void> {
  if (!sink) return;
  try {
    await sink.push(BACKUP_JOB, clusterLabels(namespace, name), backupSamples(outcome));
  } catch (err) {
    reporter.warn(`metrics of ${namespace}/${name} not pushed: ${(err as Error).message}`);
  }
}
