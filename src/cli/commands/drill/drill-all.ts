/**
 * `drill --all --from s3://...`: the newest backup of every hosted cluster under --from (of -n),
 * drilled one after another (each as `drill --latest` would, its result pushed and its drill.json
 * written), so a scheduled fleet drill needs one CronJob. Clusters come from the store, not the
 * API: the drill needs no access to HostedClusters. A drill that could not be carried out is
 * reported and the next one runs; an interrupt stops them all (the running one is cleaned up).
 * Exit codes: 0 every drill passed, 1 one failed or could not run, 3 no backup under --from.
 */
import type { CliDeps } from '../../deps.ts';
import { printData, renderTable, type OutputFormat } from '../../output.ts';
import { s3TargetOf } from '../../s3-flags.ts';
import { ExitCode, NotFoundError, UsageError } from '../../../core/errors.ts';
import { listBackups } from '../../../core/bundle/list.ts';
import { drillBackup, waitTimeoutOf, type DrillArgs } from './drill-run.ts';

export interface FleetDrillItem {
  hostedCluster: string;
  backup: string;
  /** Passed or Failed as the drill found the backup; Error when the drill could not be carried out. */
  result: 'Passed' | 'Failed' | 'Error';
  rtoSeconds?: number;
  /** The failed checks, or the error. */
  detail: string;
}

export async function drillAll(args: DrillArgs, deps: CliDeps, format: OutputFormat): Promise<number> {
  refuseSingleFlags(args);
  waitTimeoutOf(args);
  const from = args.from as string;
  const list = await listBackups(
    await deps.openObjectStore(s3TargetOf(from, args, '--from')),
    args.namespace !== undefined ? { namespace: args.namespace } : {},
    { clock: deps.clock, signal: deps.signal },
  );
  // Newest first: the first of each cluster is its newest.
  const newest = new Map<string, (typeof list.items)[number]>();
  for (const item of list.items) if (!newest.has(`${item.namespace}/${item.name}`)) newest.set(`${item.namespace}/${item.name}`, item);
  if (newest.size === 0)
    throw new NotFoundError(`no backup under ${list.source}`, { hint: `list them with: {cmd} backup list --from ${from}` });
  const items: FleetDrillItem[] = [];
  for (const [hostedCluster, backup] of [...newest].sort(([a], [b]) => (a < b ? -1 : 1))) {
    deps.reporter.info(`drilling the newest backup of ${hostedCluster}: ${backup.url}`);
    try {
      const r = await drillBackup({ ...args, all: false, latest: backup.name, namespace: backup.namespace }, backup.url, deps);
      const failed = r.checks.filter((c) => c.result === 'fail');
      items.push({
        hostedCluster,
        backup: backup.url,
        result: r.result,
        rtoSeconds: r.rto.rtoSeconds,
        detail: failed.length ? failed.map((c) => `${c.name}: ${c.detail}`).join('; ') : `${r.checks.length} checks`,
      });
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      deps.reporter.warn(`the drill of ${hostedCluster} could not be carried out: ${(err as Error).message}`);
      items.push({ hostedCluster, backup: backup.url, result: 'Error', detail: (err as Error).message });
    }
  }
  const doc = { apiVersion: 'hcp-dr.openshift.io/v1alpha1', kind: 'DrillList', source: list.source, items };
  await printData(deps.stdout, format, doc, () =>
    renderTable(
      ['CLUSTER', 'RESULT', 'RTO', 'BACKUP', 'DETAIL'],
      items.map((i) => [i.hostedCluster, i.result, i.rtoSeconds !== undefined ? `${i.rtoSeconds.toFixed(1)}s` : '-', i.backup, i.detail]),
    ),
  );
  const bad = items.filter((i) => i.result !== 'Passed');
  if (bad.length === 0) return ExitCode.ok;
  deps.reporter.warn(
    `${bad.length} of ${items.length} newest backups are NOT proven restorable: ${bad.map((i) => i.hostedCluster).join(', ')}`,
  );
  return ExitCode.error;
}

function refuseSingleFlags(args: DrillArgs): void {
  const hint = 'e.g. {cmd} drill --all --from s3://<bucket>/<prefix> [-n <namespace>]';
  if (args.backup || args.latest !== undefined)
    throw new UsageError('--all drills the newest backup of every cluster: pass no backup URL or --latest', { hint });
  if (!args.from) throw new UsageError('--all needs --from s3://<bucket>[/<prefix>]', { hint: 'the --to of the backups' });
  if (args.keep) throw new UsageError('--keep goes with a single drill, not --all', { hint: 'drill one backup with --keep to look at it' });
}
