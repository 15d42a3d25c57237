/**
 * The handler of `etcd status` (loaded on demand). Exit 0 only when etcd is Healthy (4 otherwise);
 * with --max-backup-age, a Healthy etcd whose newest backup in --backups is older, or missing,
 * is a warning and exit 7: etcd unhealth (4) takes precedence over a stale backup.
 */
import type { CliDeps } from '../../deps.ts';
import { kubeTargetOf, parseDuration, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData } from '../../output.ts';
import { s3TargetOf } from '../../s3-flags.ts';
import { ExitCode, UsageError } from '../../../core/errors.ts';
import { listBackups, type BackupList } from '../../../core/bundle/list.ts';
import { freshnessOf, type BackupFreshness } from '../../../core/etcd/freshness.ts';
import { runEtcdStatus } from '../../../core/etcd/status.ts';
import { runEtcdStatusAll } from '../../../core/etcd/status-all.ts';
import { renderEtcdStatus, renderEtcdSummary } from './etcd-status-view.ts';
import { STATUS_CONCURRENCY, type FreshnessArgs } from './etcd-freshness.ts';
import { concurrencyOf } from '../../concurrency.ts';

export interface StatusArgs extends GlobalArgs, FreshnessArgs {
  'hosted-cluster'?: string;
  'all-namespaces'?: boolean;
}

export async function etcdStatus(args: StatusArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const name = args['hosted-cluster'];
  if (args['all-namespaces'] && name)
    throw new UsageError('pass either a hosted cluster name or -A, not both', {
      hint: '{cmd} etcd status <hosted-cluster> -n <namespace>, or {cmd} etcd status -A',
    });
  if (!args['all-namespaces'] && !name) {
    throw new UsageError('a hosted cluster name is required', { hint: '{cmd} etcd status <hosted-cluster> -n <namespace>, or -A for all' });
  }
  const maxAgeSeconds = maxBackupAgeOf(args);
  const concurrency = concurrencyOf(
    args.concurrency,
    STATUS_CONCURRENCY,
    `the default is ${STATUS_CONCURRENCY}; it bounds the execs into etcd pods at once`,
  );
  for (const flag of ['concurrency', 'hashkv'] as const) {
    if (args[flag] !== undefined && !args['all-namespaces'])
      throw new UsageError(`--${flag} applies to etcd status -A only (one cluster's status always compares hashkv)`, {
        hint: `{cmd} etcd status -A --${flag}${flag === 'concurrency' ? ' 16' : ''}`,
      });
  }
  const backupsTarget = args.backups !== undefined ? s3TargetOf(args.backups, args, '--backups') : undefined;
  const session = await deps.connectKube(kubeTargetOf(args));
  const core = { api: session.api, exec: session.exec, clock: deps.clock, signal: deps.signal };
  const listing = async (filter: { namespace?: string; name?: string }): Promise<BackupList | undefined> =>
    backupsTarget
      ? listBackups(await deps.openObjectStore(backupsTarget), filter, { clock: deps.clock, reporter: deps.reporter, signal: deps.signal })
      : undefined;
  if (args['all-namespaces']) {
    const [summary, list] = await Promise.all([runEtcdStatusAll(core, { concurrency, hashkv: args.hashkv === true }), listing({})]);
    if (list) {
      for (const item of summary.items) {
        // Unmanaged etcd is not backed up by hcp-dr: shown, never stale.
        item.backups = freshnessOf(list, item.namespace, item.name, item.state === 'Unmanaged' ? undefined : maxAgeSeconds);
      }
    }
    await printData(deps.stdout, format, summary, () => renderEtcdSummary(summary));
    if (!summary.items.every((i) => i.state === 'Healthy' || i.state === 'Unmanaged')) return ExitCode.etcdUnhealthy;
    return staleExit(
      summary.items.map((i) => i.backups),
      deps,
    );
  }
  const [report, list] = await Promise.all([
    runEtcdStatus(session.namespace, name as string, core),
    listing({ namespace: session.namespace, name }),
  ]);
  if (list) report.backups = freshnessOf(list, session.namespace, name as string, maxAgeSeconds);
  await printData(deps.stdout, format, report, () => renderEtcdStatus(report, deps.host));
  if (report.verdict.state !== 'Healthy') return ExitCode.etcdUnhealthy;
  return staleExit([report.backups], deps);
}

/** Exit 7 with one warning per stale or missing backup; 0 when none is. */
function staleExit(found: (BackupFreshness | undefined)[], deps: CliDeps): number {
  const stale = found.filter((f): f is BackupFreshness => f?.stale === true);
  for (const f of stale) deps.reporter.warn(f.reason);
  return stale.length > 0 ? ExitCode.backupStale : ExitCode.ok;
}

/** The longest --max-backup-age: a year (a policy beyond that is no freshness check). */
const MAX_BACKUP_AGE_SECONDS = 366 * 86_400;

function maxBackupAgeOf(args: StatusArgs): number | undefined {
  const text = args['max-backup-age'];
  if (text === undefined) return undefined;
  if (args.backups === undefined) {
    throw new UsageError('--max-backup-age needs --backups: the bucket whose newest backup it judges', {
      hint: '{cmd} etcd status <hosted-cluster> --backups s3://<bucket>/<prefix> --max-backup-age 6h',
    });
  }
  const seconds = parseDuration(text, '--max-backup-age') / 1000;
  if (!(seconds >= 60 && seconds <= MAX_BACKUP_AGE_SECONDS)) {
    throw new UsageError(`invalid --max-backup-age "${text}": it must be between 1m and 366d`, {
      hint: 'the longest a newest backup may be, e.g. 6h or 1d (a little more than the backup schedule)',
    });
  }
  return seconds;
}
