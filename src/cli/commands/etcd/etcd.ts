/**
 * `etcd status`, `etcd recover-member` and `etcd restore`: the definitions only; the handlers (etcd-run.ts,
 * etcd-recover-run.ts, etcd-restore-run.ts) are imported when they run, so `--help` does not load the workflows.
 */
import { decryptOption } from '../../codec-flags.ts';
import type { CommandRegistrar } from '../../index.ts';
import { s3ReadOptions } from '../../s3-flags.ts';
import { freshnessOptions } from './etcd-freshness.ts';

export const etcdCommand: CommandRegistrar = (y, deps, done) =>
  y.command('etcd', 'Inspect and recover the etcd of a hosted cluster', (etcd) =>
    etcd
      .command(
        'status [hosted-cluster]',
        "Show the health of a hosted cluster's etcd: members, leader, sizes, raft, hashkv agreement and a verdict",
        (c) =>
          c
            .positional('hosted-cluster', { type: 'string', describe: 'Name of the HostedCluster' })
            .option('all-namespaces', { alias: 'A', type: 'boolean', describe: 'Check every HostedCluster, one line each' })
            .options(freshnessOptions)
            .example('$0 etcd status demo -n clusters', 'Members, verdict and conditions of clusters/demo')
            .example('$0 etcd status demo -n clusters -o json', 'The same as JSON (schema: kind EtcdStatus)')
            .example('$0 etcd status -A', 'One summary line per HostedCluster; exit 4 if any is not Healthy')
            .example('$0 etcd status -A --backups s3://backups/hcp --max-backup-age 6h', 'Also exit 7 if a newest backup is older than 6h'),
        async (args) => {
          const { etcdStatus } = await import('./etcd-run.ts');
          done(await etcdStatus(args, deps));
        },
      )
      .command(
        'recover-member <hosted-cluster> [member]',
        'Replace one etcd member (the unhealthy one, or the one named) with an empty one that resyncs from the others; refuses when that would lose quorum',
        (c) =>
          c
            .positional('hosted-cluster', { type: 'string', demandOption: true, describe: 'Name of the HostedCluster' })
            .positional('member', { type: 'string', describe: 'Member to replace, e.g. etcd-1 (default: the one unhealthy member)' })
            .option('dry-run', { type: 'boolean', describe: 'Run the checks and print the plan; change nothing' })
            .option('yes', { alias: 'y', type: 'boolean', describe: 'Do not ask for confirmation' })
            .option('wait-timeout', { type: 'string', default: '10m', describe: 'How long to wait for the member to rejoin' })
            .example('$0 etcd recover-member demo -n clusters', 'Replace the one unhealthy member of clusters/demo')
            .example('$0 etcd recover-member demo etcd-1 -n clusters --yes', 'Replace etcd-1 even if it is healthy (e.g. off a bad disk)'),
        async (args) => {
          const { etcdRecoverMember } = await import('./etcd-recover-run.ts');
          done(await etcdRecoverMember(args, deps));
        },
      )
      .command(
        'restore <hosted-cluster>',
        'Restore etcd in place from one snapshot into every member volume (quorum loss, on-premise); API downtime, rolls back on failure',
        (c) =>
          c
            .positional('hosted-cluster', { type: 'string', demandOption: true, describe: 'Name of the HostedCluster' })
            .option('from-backup', { type: 'string', describe: 'An hcp-dr backup: s3://bucket/prefix/<ns>/<name>/<id>/' })
            .option('from-member', { type: 'string', describe: 'A member that still holds the data, e.g. etcd-0 (snapshot taken from it)' })
            .option('from-file', { type: 'string', describe: 'A local snapshot file (etcdctl snapshot save)' })
            .options(s3ReadOptions)
            .options(decryptOption)
            .option('dry-run', { type: 'boolean', describe: 'Check everything, verify the snapshot and print the plan; change nothing' })
            .option('yes', { alias: 'y', type: 'boolean', describe: 'Do not ask for confirmation (the API is down during the restore)' })
            .option('keep-old-data', { type: 'boolean', describe: 'Keep the moved-aside data after success (prints how to remove it)' })
            .option('force', {
              type: 'boolean',
              describe:
                'With --from-member: restore from a member that is not healthy, or behind the others; with a backup: restore a snapshot of a newer etcd minor than the target runs (refused otherwise)',
            })
            .option('wait-timeout', { type: 'string', default: '10m', describe: 'How long each step may wait' })
            .example('$0 etcd restore demo -n clusters --from-backup s3://b/hcp/clusters/demo/<id>/ --yes', 'Restore from a backup')
            .example('$0 etcd restore demo -n clusters --from-member etcd-0', "Restore the surviving member's data into every member"),
        async (args) => {
          const { etcdRestore } = await import('./etcd-restore-run.ts');
          done(await etcdRestore(args, deps));
        },
      )
      .demandCommand(1, 'name a subcommand, e.g. "etcd status <hosted-cluster>"'),
  );
