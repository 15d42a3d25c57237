/**
 * `backup <hosted-cluster>` (with `backup list`, `backup verify` and `backup prune`).
 * Definitions only: the handlers (backup-run.ts) are imported when a command runs.
 */
import type { Argv } from 'yargs';
import type { CommandRegistrar } from '../../index.ts';
import { s3Options } from '../../s3-flags.ts';
import { registerBackupReadCommands } from './backup-read.ts';
import { registerBackupPruneCommand } from './backup-prune.ts';
import { fleetOptions } from './backup-all.ts';
import { encodeOptions } from '../../codec-flags.ts';
import { pushgatewayOption } from '../../metrics-flags.ts';

export const backupCommand: CommandRegistrar = (y, deps, done) =>
  y.command('backup', 'Back up etcd of a hosted cluster to S3; list, verify and prune backups', (b: Argv) =>
    registerBackupPruneCommand(registerBackupReadCommands(b, deps, done), deps, done).command(
      '$0 [hosted-cluster]',
      'Take a crash-safe, verified etcd backup of a hosted cluster (or, with --all, of every one) to S3',
      (c) =>
        c
          .positional('hosted-cluster', { type: 'string', describe: 'Name of the HostedCluster (none with --all)' })
          .option('to', { type: 'string', describe: 'Destination: s3://<bucket>[/<prefix>]', demandOption: true })
          .option('keys-to', {
            type: 'string',
            describe: 'Separate destination for the encryption key and PKI secrets: s3://<bucket>[/<prefix>]',
          })
          .options(s3Options)
          .option('lock-days', {
            type: 'number',
            describe:
              'S3 Object Lock: store every object of the backup with a retention of this many days (1 to 36500); the bucket must have Object Lock enabled',
          })
          .option('lock-mode', {
            type: 'string',
            choices: ['governance', 'compliance'],
            describe:
              'With --lock-days: governance (the default; deletable early only with the bypass permission) or compliance (no one, not even the root account, deletes it before the date)',
          })
          .options(encodeOptions)
          .option('online', { type: 'boolean', describe: 'No pause and no API downtime: an etcd snapshot is point-in-time on its own' })
          .option('quiesce', {
            type: 'boolean',
            describe:
              'The default for one cluster: pause, scale the API servers to 0, snapshot, bring them back (API downtime: the snapshot time)',
          })
          .options(fleetOptions)
          .options(pushgatewayOption)
          .option('dry-run', {
            type: 'boolean',
            describe: 'Print the plan, the objects it touches and the expected downtime; change nothing',
          })
          .option('yes', { alias: 'y', type: 'boolean', describe: 'Confirm the API downtime of --quiesce without a prompt' })
          .option('force', { type: 'boolean', describe: 'Back up even when etcd members disagree (Inconsistent)' })
          .option('pause-ttl', {
            type: 'string',
            default: '30m',
            describe: 'Deadline written to spec.pausedUntil (1m to 24h), renewed while running; reconciliation resumes by itself after it',
          })
          .option('wait-timeout', {
            type: 'string',
            default: '5m',
            describe: 'How long to wait for the pause to propagate and for scaling (1s to 24h)',
          })
          .example('$0 backup demo -n clusters --to s3://backups/hcp --yes', 'Quiesced backup (the documented procedure)')
          .example('$0 backup demo -n clusters --to s3://backups/hcp --online', 'Backup without API downtime')
          .example('$0 backup demo -n clusters --to s3://backups/hcp --dry-run -o yaml', 'Show the plan only')
          .example('$0 backup --all --to s3://backups/hcp', 'Every HostedCluster, online, 4 at a time; exit 6 if some failed')
          .example(
            '$0 backup demo -n clusters --to s3://locked-backups/hcp --online --lock-days 30',
            'A backup nobody can delete for 30 days (a bucket with Object Lock)',
          )
          .example(
            '$0 backup --all --to s3://backups/hcp --pushgateway http://pushgateway.monitoring:9091',
            "The same, pushing each cluster's result for the alerts of docs/metrics.md",
          ),
      async (args) => {
        if (args.all) {
          const { backupAll } = await import('./backup-all-run.ts');
          done(await backupAll(args, deps));
          return;
        }
        const { backup } = await import('./backup-run.ts');
        done(await backup(args, deps));
      },
    ),
  );
