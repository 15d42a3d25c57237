/**
 * `backup prune`: retention over the backups under an S3 destination. Definition only: the
 * handler (backup-prune-run.ts) is imported when the subcommand runs.
 * Exit codes: 0 done (or planned, with --dry-run); 2 bad usage (no rule, a bad count or span);
 * 3 the bucket does not exist; 1 an S3 error (what was deleted before it is reported on stderr).
 * A backup under S3 Object Lock is kept and reported ("retained until <date>"), not an error.
 */
import type { Argv } from 'yargs';
import type { CliDeps } from '../../deps.ts';
import { s3ReadOptions } from '../../s3-flags.ts';
import { registerRetentionOptions } from '../../retention-flags.ts';

export function registerBackupPruneCommand(b: Argv, deps: CliDeps, done: (code: number) => void): Argv {
  return b.command(
    'prune [hosted-cluster]',
    'Delete the backups a retention policy does not keep (as restic forget), per hosted cluster; never the newest',
    (c) =>
      registerRetentionOptions(
        c
          .positional('hosted-cluster', { type: 'string', describe: 'Only the backups of this HostedCluster' })
          .option('from', {
            type: 'string',
            describe: 'Where backups were written: s3://<bucket>[/<prefix>] (the --to of backup)',
            demandOption: true,
          })
          .options(s3ReadOptions)
          .option('incomplete-grace', {
            type: 'string',
            default: '24h',
            describe:
              'A prefix without backup.json, or an incomplete multipart upload, younger than this may be a running backup and is kept; older ones are debris, deleted or aborted (1h to 365d)',
          })
          .option('dry-run', { type: 'boolean', describe: 'Show what would be kept and deleted; delete nothing' })
          .option('bypass-governance', {
            type: 'boolean',
            describe:
              'Delete backups under a governance-mode S3 Object Lock before their date (x-amz-bypass-governance-retention; needs s3:BypassGovernanceRetention). Without it, locked backups are kept and reported',
          }),
      )
        .example('$0 backup prune --from s3://backups/hcp --keep-last 3 --keep-daily 7 --dry-run', 'What this policy would delete')
        .example('$0 backup prune demo -n clusters --from s3://backups/hcp --keep-within 30d', 'Keep 30 days of backups of clusters/demo'),
    async (args) => {
      const { prune } = await import('./backup-prune-run.ts');
      done(await prune(args, deps));
    },
  );
}
