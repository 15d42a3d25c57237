/** The handler of `drill` (loaded on demand): resolves the backup, runs the drill, prints and pushes its result. */
import path from 'node:path';
import type { CliDeps } from '../../deps.ts';
import { boundedDuration, kubeTargetOf, namespaceOf, MAX_TIMER_DURATION_MS, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData, renderTable } from '../../output.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { ExitCode, NotFoundError, UsageError } from '../../../core/errors.ts';
import { listBackups } from '../../../core/bundle/list.ts';
import { plainStore, requireReadable } from '../../../core/bundle/encoded.ts';
import { readDrillManifest } from '../../../core/drill/bundle.ts';
import { runDrill } from '../../../core/drill/run-drill.ts';
import type { DrillResult } from '../../../core/drill/result.ts';
import { clusterLabels, DRILL_JOB, drillSamples } from '../../../core/metrics/names.ts';
import type { MetricsSink } from '../../../core/ports.ts';
import { keyringOf } from '../../codec-flags.ts';
import { metricsSinkOf } from '../../metrics-flags.ts';
import { VERSION } from '../../../version.ts';

export interface DrillArgs extends GlobalArgs, S3Args {
  backup?: string;
  latest?: string;
  from?: string;
  'scratch-namespace'?: string;
  'etcd-image'?: string;
  keep?: boolean;
  'wait-timeout': string;
  pushgateway?: string;
  'decrypt-with'?: string;
  all?: boolean;
}

export async function drill(args: DrillArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  if (args.all) {
    const { drillAll } = await import('./drill-all.ts');
    return drillAll(args, deps, format);
  }
  waitTimeoutOf(args); // checked before the store is listed
  const url = await backupUrl(args, deps);
  const result = await drillBackup(args, url, deps);
  await printData(deps.stdout, format, result, () => renderDrill(result));
  if (result.result !== 'Passed') {
    const failed = result.checks.filter((c) => c.result === 'fail');
    deps.reporter.warn(`${result.backup} is NOT proven restorable: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
    return ExitCode.error;
  }
  return ExitCode.ok;
}

/** One drill of the backup at `url`, its result pushed when --pushgateway is given; throws when it could not be carried out. */
export async function drillBackup(args: DrillArgs, url: string, deps: CliDeps): Promise<DrillResult> {
  const waitTimeoutMs = waitTimeoutOf(args);
  const scratch = args['scratch-namespace'] ?? (args.latest === undefined ? args.namespace : undefined);
  if (scratch !== undefined) namespaceOf(scratch, args['scratch-namespace'] ? '--scratch-namespace' : '--namespace');
  const metrics = await metricsSinkOf(args.pushgateway, deps);
  const opened = await deps.openObjectStore(s3TargetOf(url.replace(/\/backup\.json$/, '/'), args, 'the backup'));
  const keyring = await keyringOf(args);
  const manifest = await readDrillManifest(opened.store, opened.prefix, deps.signal);
  requireReadable(manifest, keyring, `backup ${manifest.id}`);
  const target = kubeTargetOf({ ...args, namespace: undefined });
  const session = await deps.connectKube(target);
  const started = deps.clock.now();
  const hc = manifest.hostedCluster;
  let result: DrillResult;
  try {
    result = await runDrill(
      {
        store: opened.store,
        plain: plainStore(opened.store, keyring),
        prefix: opened.prefix,
        manifest,
        namespace: scratch,
        image: args['etcd-image'],
        keep: args.keep === true,
        context: session.contextName,
        toolVersion: VERSION,
        waitTimeoutMs,
      },
      {
        api: session.api,
        exec: session.exec,
        clock: deps.clock,
        reporter: deps.reporter,
        signal: deps.signal,
        step: (name) => deps.reporter.debug(`step: ${name}`),
        resumeCommand: (ns) => resumeLine(args, hc.name, ns),
      },
    );
  } catch (err) {
    await push(metrics, hc.namespace, hc.name, { ok: false, finishedAt: deps.clock.now(), seconds: elapsed(started, deps) }, deps);
    throw err;
  }
  const ok = result.result === 'Passed';
  await push(
    metrics,
    hc.namespace,
    hc.name,
    ok
      ? { ok, finishedAt: new Date(result.finishedAt), seconds: result.seconds, rtoSeconds: result.rto.rtoSeconds }
      : { ok, finishedAt: new Date(result.finishedAt), seconds: result.seconds },
    deps,
  );
  return result;
}

export const waitTimeoutOf = (args: DrillArgs) =>
  boundedDuration(args['wait-timeout'], '--wait-timeout', { minMs: 1000, maxMs: MAX_TIMER_DURATION_MS });

/** The backup URL given, or the newest of --latest under --from. */
async function backupUrl(args: DrillArgs, deps: CliDeps): Promise<string> {
  if (args.latest === undefined) {
    if (!args.backup)
      throw new UsageError('drill needs a backup URL or --latest <hosted-cluster>', {
        hint: 'e.g. {cmd} drill s3://<bucket>/<prefix>/<namespace>/<name>/<id>/',
      });
    if (args.from !== undefined)
      throw new UsageError('--from goes with --latest only', {
        hint: 'pass either a backup URL, or --latest <hosted-cluster> -n <namespace> --from s3://...',
      });
    return args.backup;
  }
  if (args.backup)
    throw new UsageError('pass a backup URL or --latest, not both', {
      hint: 'e.g. {cmd} drill --latest demo -n clusters --from s3://<bucket>/<prefix>',
    });
  if (!args.from) throw new UsageError('--latest needs --from s3://<bucket>[/<prefix>]', { hint: 'the --to of the backups' });
  if (!args.namespace)
    throw new UsageError('--latest needs -n <namespace> of the HostedCluster', {
      hint: `e.g. {cmd} drill --latest ${args.latest} -n clusters --from ${args.from}`,
    });
  const list = await listBackups(
    await deps.openObjectStore(s3TargetOf(args.from, args, '--from')),
    { namespace: args.namespace, name: args.latest },
    { clock: deps.clock, signal: deps.signal },
  );
  const newest = list.items[0];
  if (!newest)
    throw new NotFoundError(`no backup of ${args.namespace}/${args.latest} under ${list.source}`, {
      hint: `list them with: {cmd} backup list ${args.latest} -n ${args.namespace} --from ${args.from}`,
    });
  deps.reporter.info(`drilling the newest backup of ${args.namespace}/${args.latest}: ${newest.url}`);
  return newest.url;
}

function resumeLine(args: DrillArgs, name: string, namespace: string): string {
  return [
    `{cmd} resume ${name} -n ${namespace}`,
    args.context ? `--context ${args.context}` : '',
    args.kubeconfig ? `--kubeconfig ${path.resolve(args.kubeconfig)}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

const elapsed = (since: Date, deps: CliDeps) => (deps.clock.now().getTime() - since.getTime()) / 1000;

async function push(
  sink: MetricsSink | undefined,
  namespace: string,
  name: string,
  outcome: Parameters<typeof drillSamples>[0],
  deps: CliDeps,
): Promise<void> {
  if (!sink) return;
  try {
    await sink.push(DRILL_JOB, clusterLabels(namespace, name), drillSamples(outcome));
  } catch (err) {
    deps.reporter.warn(`failed to push the drill's metrics: ${(err as Error).message}`);
  }
}

export function renderDrill(r: DrillResult): string {
  const head = [
    `BACKUP     ${r.backup}`,
    `CLUSTER    ${r.hostedCluster} (etcd image ${r.etcdImage}, scratch namespace ${r.scratchNamespace} on ${r.context})`,
    `RTO        ${r.rto.rtoSeconds.toFixed(1)}s (download ${r.rto.downloadSeconds.toFixed(1)}s, restore ${r.rto.restoreSeconds.toFixed(1)}s, start ${r.rto.startSeconds.toFixed(1)}s)`,
    `RESULT     ${r.result} in ${r.seconds.toFixed(1)}s`,
    '',
  ].join('\n');
  return (
    head +
    '\n' +
    renderTable(
      ['CHECK', 'RESULT', 'DETAIL'],
      r.checks.map((c) => [c.name, c.result === 'pass' ? 'ok' : c.result === 'fail' ? 'FAILED' : 'skipped', c.detail]),
    )
  );
}
