/**
 * `backup list` and `backup verify`: the read-only backup subcommands, mounted under the
 * `backup` command by registerBackupReadCommands. Exit codes: list 0; verify 0 when Restorable,
 * 1 when NotRestorable (a damaged backup is an error for scripts), 3 when the URL holds no
 * backup.json or the local file does not exist, 2 for bad usage.
 * Definitions only: the handlers (backup-read-run.ts) are imported when a subcommand runs.
 */
import { decryptOption } from '../../codec-flags.ts';
import type { Argv } from 'yargs';
import type { CliDeps } from '../../deps.ts';
import { s3ReadOptions } from '../../s3-flags.ts';

export function registerBackupReadCommands(b: Argv, deps: CliDeps, done: (code: number) => void): Argv {
  return b
    .command(
      'list [hosted-cluster]',
      'List the complete backups under an S3 destination, newest first',
      (c) =>
        c
          .positional('hosted-cluster', { type: 'string', describe: 'Only the backups of this HostedCluster' })
          .option('from', {
            type: 'string',
            describe: 'Where backups were written: s3://<bucket>[/<prefix>] (the --to of backup)',
            demandOption: true,
          })
          .options(s3ReadOptions)
          .example('$0 backup list --from s3://backups/hcp', 'Every backup under s3://backups/hcp')
          .example(
            '$0 backup list demo -n clusters --from s3://backups/hcp -o json',
            'The backups of clusters/demo as JSON (kind BackupList)',
          ),
      async (args) => {
        const { list } = await import('./backup-read-run.ts');
        done(await list(args, deps));
      },
    )
    .command(
      'verify <backup>',
      'Check that a backup is restorable: snapshot integrity (SHA-256 trailer, bbolt content) and agreement with backup.json',
      (c) =>
        c
          .positional('backup', {
            type: 'string',
            describe: 'A backup (s3://.../<namespace>/<name>/<id>/) or a local etcd snapshot file',
            demandOption: true,
          })
          .options(s3ReadOptions)
          .options(decryptOption)
          .example(
            '$0 backup verify s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/',
            'Verify a stored backup (exit 0 only when Restorable)',
          )
          .example('$0 backup verify ./snapshot.db -o json', 'Verify a local snapshot file'),
      async (args) => {
        const { verify } = await import('./backup-read-run.ts');
        done(await verify(args, deps));
      },
    );
}
