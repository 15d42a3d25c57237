/**
 * The PrometheusRule of a schedule that pushes metrics (--pushgateway): thresholds from its cron
 * expressions (interval.ts), series narrowed to the clusters it covers. Without a Pushgateway
 * there is nothing to alert on, and the tree needs no Prometheus Operator CRD: no rule.
 */
import type { KubeObject } from '../model.ts';
import { clusterMatchers, prometheusRule } from '../metrics/rules.ts';
import { cronIntervalSeconds } from './interval.ts';
import type { ScheduleRequest } from './types.ts';

export const PROMETHEUS_RULE_NAME = 'hcp-dr-backup';

export function scheduleAlerts(request: ScheduleRequest, labels: Record<string, string>): KubeObject | undefined {
  if (request.pushgateway === undefined) return undefined;
  const c = request.clusters;
  const matchers =
    c.type === 'named' ? clusterMatchers(c.namespace, [...new Set(c.names)].sort()) : clusterMatchers(c.namespace, undefined);
  // A drill run may start up to the starting deadline late and last up to the active deadline.
  const drillSlack = request.startingDeadlineSeconds + request.activeDeadlineSeconds;
  return prometheusRule({
    name: PROMETHEUS_RULE_NAME,
    namespace: request.jobNamespace,
    labels,
    matchers,
    backupMissingAfterSeconds: 2 * cronIntervalSeconds(request.schedule),
    ...(request.drill ? { drillStaleAfterSeconds: cronIntervalSeconds(request.drill.schedule) + drillSlack } : {}),
  });
}
