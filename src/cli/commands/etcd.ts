/** `etcd status`: parse flags, call the core, print. Exit 0 only when etcd is Healthy. */
import type { CommandRegistrar } from '../index.ts';
import type { CliDeps } from '../deps.ts';
import { kubeTargetOf, type GlobalArgs } from '../global-flags.ts';
import { parseOutputFormat, printData } from '../output.ts';
import { ExitCode, UsageError } from '../../core/errors.ts';
import { runEtcdStatus } from '../../core/etcd/status.ts';
import { runEtcdStatusAll } from '../../core/etcd/status-all.ts';
import { renderEtcdStatus, renderEtcdSummary } from './etcd-status-view.ts';

interface StatusArgs extends GlobalArgs {
  'hosted-cluster'?: string;
  'all-namespaces'?: boolean;
}

export const etcdCommand: CommandRegistrar = (y, deps, done) =>
  y.command('etcd', 'Inspect and recover the etcd of a hosted cluster', (etcd) =>
    etcd
      .command(
        'status [hosted-cluster]',
        'Show the health of a hosted cluster\'s etcd: members, leader, sizes, raft, hashkv agreement and a verdict',
        (c) =>
          c
            .positional('hosted-cluster', { type: 'string', describe: 'Name of the HostedCluster' })
            .option('all-namespaces', { alias: 'A', type: 'boolean', describe: 'Check every HostedCluster, one line each' })
            .example('$0 etcd status demo -n clusters', 'Members, verdict and conditions of clusters/demo')
            .example('$0 etcd status demo -n clusters -o json', 'The same as JSON (schema: kind EtcdStatus)')
            .example('$0 etcd status -A', 'One summary line per HostedCluster; exit 4 if any is not Healthy'),
        async (args) => done(await etcdStatus(args as StatusArgs, deps)),
      )
      .demandCommand(1, 'name a subcommand, e.g. "etcd status <hosted-cluster>"'),
  );

async function etcdStatus(args: StatusArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const name = args['hosted-cluster'];
  if (args['all-namespaces'] && name) throw new UsageError('pass either a hosted cluster name or -A, not both');
  if (!args['all-namespaces'] && !name) {
    throw new UsageError('a hosted cluster name is required', { hint: '{cmd} etcd status <hosted-cluster> -n <namespace>, or -A for all' });
  }
  const session = await deps.connectKube(kubeTargetOf(args));
  const core = { api: session.api, exec: session.exec, clock: deps.clock, signal: deps.signal };
  if (args['all-namespaces']) {
    const summary = await runEtcdStatusAll(core, { concurrency: 4 });
    await printData(deps.stdout, format, summary, () => renderEtcdSummary(summary));
    return summary.items.every((i) => i.state === 'Healthy' || i.state === 'Unmanaged') ? ExitCode.ok : ExitCode.etcdUnhealthy;
  }
  const report = await runEtcdStatus(session.namespace, name as string, core);
  await printData(deps.stdout, format, report, () => renderEtcdStatus(report, deps.host));
  return report.verdict.state === 'Healthy' ? ExitCode.ok : ExitCode.etcdUnhealthy;
}
