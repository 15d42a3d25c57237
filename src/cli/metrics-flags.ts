/**
 * `--pushgateway` of `backup` and `backup --all`: the results pushed per hosted cluster
 * (src/core/metrics/names.ts). The URL is checked before any connection; the adapter is loaded
 * only when the flag is given. A push that fails warns and never changes the exit code.
 */
import type { CliDeps } from './deps.ts';
import type { MetricsSink } from '../core/ports.ts';
import { pushBackupOutcome } from '../core/metrics/names.ts';
import { parsePushgatewayUrl } from '../core/metrics/url.ts';
import type { FleetBackupResult } from '../core/backup/fleet.ts';

export const pushgatewayOption = {
  pushgateway: {
    type: 'string',
    describe:
      "Push each hosted cluster's result (last success time, duration, size) to this Prometheus Pushgateway; a failed push only warns",
  },
} as const;

/** The sink of --pushgateway, or undefined without it (UsageError for a bad URL). */
export async function metricsSinkOf(url: string | undefined, deps: CliDeps): Promise<MetricsSink | undefined> {
  if (url === undefined) return undefined;
  const base = parsePushgatewayUrl(url);
  const { pushgatewaySink } = await import('../metrics/pushgateway.ts');
  // Not cut by the interrupt: an interrupted run still reports its failure, bounded by the timeout.
  return pushgatewaySink(base, deps.reporter, { timeoutMs: 5000 });
}

/** Every cluster of a fleet run that ran: Succeeded as a success, Failed and Interrupted as a failure. */
export async function pushFleetMetrics(sink: MetricsSink | undefined, result: FleetBackupResult, deps: CliDeps): Promise<void> {
  if (!sink || result.dryRun) return;
  const finishedAt = new Date(result.finishedAt);
  await Promise.all(
    result.items.map((i) => {
      const seconds = i.seconds ?? 0;
      if (i.state === 'Succeeded' && i.backup)
        return pushBackupOutcome(
          sink,
          i.namespace,
          i.name,
          { ok: true, finishedAt, seconds, sizeBytes: i.backup.sizeBytes, revision: i.backup.revision },
          deps.reporter,
        );
      if (i.state === 'Failed' || i.state === 'Interrupted')
        return pushBackupOutcome(sink, i.namespace, i.name, { ok: false, finishedAt, seconds }, deps.reporter);
      return Promise.resolve();
    }),
  );
}
