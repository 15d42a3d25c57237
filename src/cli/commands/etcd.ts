/**
 * `etcd status`: the definition only; the handler (etcd-run.ts) is imported when it runs, so
 * `--help` does not load the status workflow.
 */
import type { CommandRegistrar } from '../index.ts';
import type { StatusArgs } from './etcd-run.ts';

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
        async (args) => {
          const { etcdStatus } = await import('./etcd-run.ts');
          done(await etcdStatus(args as StatusArgs, deps));
        },
      )
      .demandCommand(1, 'name a subcommand, e.g. "etcd status <hosted-cluster>"'),
  );
