/**
 * The handler of `backup --all` (loaded on demand): flags checked before any connection, one
 * confirmation for a quiesced fleet, then the fleet workflow (core/backup/fleet.ts); the summary
 * goes to stdout (also when interrupted), and the outcome's error, if any, to main's one printer.
 */
import { checkLabelSelector } from '../../selector.ts';
import type { CliDeps } from '../../deps.ts';
import { kubeTargetOf } from '../../global-flags.ts';
import { commandName } from '../../host.ts';
import { parseOutputFormat, printData } from '../../output.ts';
import { confirmOrRefuse } from '../../confirm.ts';
import { UsageError } from '../../../core/errors.ts';
import { fleetOutcome, runFleetBackup, type FleetBackupResult } from '../../../core/backup/fleet.ts';
import { newBackupId } from '../../../core/bundle/layout.ts';
import { VERSION } from '../../../version.ts';
import { modeOf, openBackupTemplate, parseBackupFlags, type BackupArgs } from './backup-run.ts';
import { renderFleetBackup } from './backup-all-view.ts';
import { backupConcurrencyOf } from '../../concurrency.ts';
import { metricsSinkOf, pushFleetMetrics } from '../../metrics-flags.ts';

export async function backupAll(args: BackupArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  if (args['hosted-cluster'] !== undefined) {
    throw new UsageError(`pass either a hosted cluster name or --all, not both (got "${args['hosted-cluster']}")`, {
      hint: '{cmd} backup <hosted-cluster> -n <namespace> --to s3://..., or {cmd} backup --all [-n <namespace>] [-l <selector>] --to s3://...',
    });
  }
  const concurrency = backupConcurrencyOf(args.concurrency);
  const labelSelector = selectorOf(args.selector);
  const mode = modeOf(args, 'online');
  const flags = parseBackupFlags(args);
  const metrics = args['dry-run'] ? undefined : await metricsSinkOf(args.pushgateway, deps);
  const session = await deps.connectKube(kubeTargetOf(args));
  const template = await openBackupTemplate(flags, mode, args, deps);
  // -n narrows the fleet to one namespace; a kubeconfig's default namespace does not.
  const namespace = session.namespaceExplicit ? session.namespace : undefined;
  if (mode === 'quiesce' && !args['dry-run']) {
    await confirmOrRefuse(
      deps,
      `Back up every HostedCluster ${namespace ? `in ${namespace}` : 'in every namespace'}${labelSelector ? ` matching ${labelSelector}` : ''} quiesced: each is paused and its API servers scaled to 0 for the time of its snapshot (API downtime). Continue?`,
      args.yes,
      'or leave out --quiesce: a fleet is backed up online by default',
    );
  }
  const result = await runFleetBackup(
    {
      selection: { ...(namespace ? { namespace } : {}), ...(labelSelector ? { labelSelector } : {}) },
      concurrency,
      template,
      ...(args['dry-run'] ? { dryRun: true } : {}),
    },
    {
      api: session.api,
      exec: session.exec,
      clock: deps.clock,
      reporter: deps.reporter,
      signal: deps.signal,
      toolVersion: VERSION,
      newBackupId: () => newBackupId(deps.clock.now()),
      step: (cluster, name) => deps.reporter.debug(`step: ${cluster} ${name}`),
    },
  );
  await pushFleetMetrics(metrics, result, deps);
  const shown = withCommand(result, commandName(deps.host));
  await printData(deps.stdout, format, shown, () => renderFleetBackup(shown));
  const error = fleetOutcome(shown, deps.signal.aborted);
  if (error) throw error;
  return 0;
}

function selectorOf(text: string | undefined): string | undefined {
  return text === undefined ? undefined : checkLabelSelector(text, '--selector (-l)');
}

/** Hints name the command as the user invoked it (kubectl hcp-dr or oc hcp-dr). */
function withCommand(result: FleetBackupResult, cmd: string): FleetBackupResult {
  return {
    ...result,
    items: result.items.map((i) => (i.error?.hint ? { ...i, error: { ...i.error, hint: i.error.hint.replaceAll('{cmd}', cmd) } } : i)),
  };
}
