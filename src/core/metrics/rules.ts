/**
 * The PrometheusRule (Prometheus Operator, monitoring.coreos.com/v1) alerting on the metrics of
 * names.ts. Thresholds come from the schedule: a backup is missing when the last success is older
 * than twice the longest interval between two runs; a drill is stale when its last success is
 * older than its interval plus the time a run may wait and take. The drill group exists only for
 * schedules that drill. Series are selected by their grouping labels, which Prometheus keeps only
 * when it scrapes the Pushgateway with honor_labels (docs/metrics.md).
 */
import type { KubeObject } from '../model.ts';
import { METRIC } from './names.ts';

export interface AlertRulesRequest {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** PromQL label matchers of the clusters the schedule covers, e.g. `namespace="clusters",hosted_cluster=~"a|b"`; '' for all. */
  matchers: string;
  /** A backup is missing after this (seconds since its last success). */
  backupMissingAfterSeconds: number;
  /** Present when drills are scheduled: a drill is stale after this (seconds since its last success). */
  drillStaleAfterSeconds?: number;
}

export const ALERT = {
  backupMissing: 'HcpDrBackupMissing',
  backupFailed: 'HcpDrBackupFailed',
  drillFailed: 'HcpDrDrillFailed',
  drillStale: 'HcpDrDrillStale',
} as const;

const WHO = '{{ $labels.namespace }}/{{ $labels.hosted_cluster }}';

/** PromQL matchers: the namespace exactly, the clusters (if named) as an anchored alternation of escaped names. */
export function clusterMatchers(namespace: string | undefined, names: string[] | undefined): string {
  const quote = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
  const parts: string[] = [];
  if (namespace !== undefined) parts.push(`namespace="${quote(namespace)}"`);
  if (names && names.length > 0) parts.push(`hosted_cluster=~"${quote(names.map((n) => n.replaceAll('.', '\\.')).join('|'))}"`);
  return parts.join(',');
}

/** A duration as Prometheus writes one (1d1h30m), for the alerts' texts. */
export function human(seconds: number): string {
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86400), 'd'],
    [Math.floor((seconds % 86400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ];
  return (
    parts
      .filter(([n]) => n > 0)
      .map(([n, unit]) => `${n}${unit}`)
      .join('') || '0s'
  );
}

export function prometheusRule(r: AlertRulesRequest): KubeObject {
  const sel = r.matchers === '' ? '' : `{${r.matchers}}`;
  const backup = {
    name: 'hcp-dr-backup',
    rules: [
      {
        alert: ALERT.backupMissing,
        expr: `time() - ${METRIC.backupLastSuccess}${sel} > ${r.backupMissingAfterSeconds}`,
        labels: { severity: 'critical' },
        annotations: {
          summary: `No successful backup of ${WHO} for more than ${human(r.backupMissingAfterSeconds)}`,
          description: `The last successful hcp-dr backup of ${WHO} finished {{ $value | humanizeDuration }} ago, more than twice the schedule's interval: the schedule stopped or its runs fail. Check the CronJob's last Jobs (kubectl logs -c backup).`,
        },
      },
      {
        alert: ALERT.backupFailed,
        expr: `${METRIC.backupLastResult}${sel} == 0`,
        labels: { severity: 'warning' },
        annotations: {
          summary: `The last backup of ${WHO} failed`,
          description: `The last hcp-dr backup run of ${WHO} failed; its cause and hint are in the log of the CronJob's last Job (kubectl logs -c backup).`,
        },
      },
    ],
  };
  const groups: Array<Record<string, unknown>> = [backup];
  if (r.drillStaleAfterSeconds !== undefined) {
    groups.push({
      name: 'hcp-dr-drill',
      rules: [
        {
          alert: ALERT.drillFailed,
          expr: `${METRIC.drillLastResult}${sel} == 0`,
          labels: { severity: 'critical' },
          annotations: {
            summary: `The last restore drill of ${WHO} failed: its newest backup may not restore`,
            description: `The last hcp-dr drill of ${WHO} failed a check; drill.json beside the backup names it.`,
          },
        },
        {
          alert: ALERT.drillStale,
          expr: `time() - ${METRIC.drillLastSuccess}${sel} > ${r.drillStaleAfterSeconds}`,
          labels: { severity: 'warning' },
          annotations: {
            summary: `No successful restore drill of ${WHO} for more than ${human(r.drillStaleAfterSeconds)}`,
            description: `The last successful hcp-dr drill of ${WHO} finished {{ $value | humanizeDuration }} ago, longer than the drill schedule's interval.`,
          },
        },
      ],
    });
  }
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: r.name, namespace: r.namespace, labels: r.labels },
    spec: { groups },
  };
}
