/**
 * `drill`: proves a backup restorable by restoring it into a throwaway etcd on the management
 * cluster (docs/drill.md); `--all` drills the newest backup of every cluster (drill-all.ts).
 * Exit codes: 0 every check passed, 1 a check failed (the backup is not proven restorable), 3 no
 * backup or nothing to drill, 130 interrupted (cleaned up), 5 the clean-up failed (the hint names
 * the resume). Definition only: the handler is drill-run.ts.
 */
import type { CommandRegistrar } from '../../index.ts';
import { s3ReadOptions } from '../../s3-flags.ts';
import { decryptOption } from '../../codec-flags.ts';

export const drillCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'drill [backup]',
    'Prove a backup restorable: restore its snapshot into a throwaway etcd on the management cluster and check the data, keys and time (RTO)',
    (c) =>
      c
        .positional('backup', {
          type: 'string',
          describe: 'The backup: s3://<bucket>/<prefix>/<namespace>/<name>/<id>/ (as "backup list" prints it)',
        })
        .option('latest', { type: 'string', describe: 'Drill the newest backup of this HostedCluster (of -n) under --from instead' })
        .option('all', {
          type: 'boolean',
          describe: 'Drill the newest backup of every HostedCluster under --from (of -n), one after another',
        })
        .option('from', { type: 'string', describe: 'With --latest or --all: where backups were written, s3://<bucket>[/<prefix>]' })
        .option('scratch-namespace', {
          type: 'string',
          describe: 'Namespace the drill creates and removes (default hcp-dr-drill-<name>); with a backup URL, -n sets it too',
        })
        .option('etcd-image', {
          type: 'string',
          describe: "The etcd image to run (default: backup.json's, else the control plane's etcd image)",
        })
        .option('keep', {
          type: 'boolean',
          describe: 'Leave the scratch namespace and its etcd running after a finished drill (remove it yourself)',
        })
        .option('wait-timeout', {
          type: 'string',
          default: '5m',
          describe: 'How long the pod may take to start, and etcd to become healthy',
        })
        .option('pushgateway', {
          type: 'string',
          describe: "Push the drill's result and RTO to this Prometheus Pushgateway; a failed push only warns",
        })
        .options(s3ReadOptions)
        .options(decryptOption)
        .example(
          '$0 drill s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/ --context mgmt',
          'Drill one backup on the management cluster mgmt',
        )
        .example('$0 drill --latest demo -n clusters --from s3://backups/hcp -o json', 'Drill the newest backup of clusters/demo')
        .example('$0 drill --all --from s3://backups/hcp --scratch-namespace hcp-dr-drill', 'Drill the newest backup of every cluster'),
    async (args) => {
      const { drill } = await import('./drill-run.ts');
      done(await drill(args, deps));
    },
  );
