/**
 * `backup list` and `backup verify`: the read-only backup subcommands, mounted under the
 * `backup` command by registerBackupReadCommands. Exit codes: list 0; verify 0 when Restorable,
 * 1 when NotRestorable (a damaged backup is an error for scripts), 3 when the URL holds no
 * backup.json or the local file does not exist, 2 for bad usage.
 */
import type { Argv } from 'yargs';
import type { CliDeps } from '../deps.ts';
import type { GlobalArgs } from '../global-flags.ts';
import { parseOutputFormat, printData, renderTable } from '../output.ts';
import { createProgress } from '../progress.ts';
import { dash, humanAge, humanBytes } from '../format.ts';
import { s3ReadOptions, s3TargetOf, type S3Args } from '../s3-flags.ts';
import { ExitCode, UsageError } from '../../core/errors.ts';
import { listBackups, type BackupList } from '../../core/backup/list.ts';
import { verifyLocalSnapshot, verifyStoredBackup, type BackupVerification } from '../../core/backup/verify.ts';

interface ListArgs extends GlobalArgs, S3Args {
  'hosted-cluster'?: string;
  from: string;
}

interface VerifyArgs extends GlobalArgs, S3Args {
  backup: string;
}

export function registerBackupReadCommands(b: Argv, deps: CliDeps, done: (code: number) => void): Argv {
  return b
    .command(
      'list [hosted-cluster]',
      'List the complete backups under an S3 destination, newest first',
      (c) =>
        c
          .positional('hosted-cluster', { type: 'string', describe: 'Only the backups of this HostedCluster' })
          .option('from', { type: 'string', describe: 'Where backups were written: s3://<bucket>[/<prefix>] (the --to of backup)', demandOption: true })
          .options(s3ReadOptions)
          .example('$0 backup list --from s3://backups/hcp', 'Every backup under s3://backups/hcp')
          .example('$0 backup list demo -n clusters --from s3://backups/hcp -o json', 'The backups of clusters/demo as JSON (kind BackupList)'),
      async (args) => done(await list(args as unknown as ListArgs, deps)),
    )
    .command(
      'verify <backup>',
      'Check that a backup is restorable: snapshot integrity (SHA-256 trailer, bbolt content) and agreement with backup.json',
      (c) =>
        c
          .positional('backup', { type: 'string', describe: 'A backup (s3://.../<namespace>/<name>/<id>/) or a local etcd snapshot file', demandOption: true })
          .options(s3ReadOptions)
          .example('$0 backup verify s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/', 'Verify a stored backup (exit 0 only when Restorable)')
          .example('$0 backup verify ./snapshot.db -o json', 'Verify a local snapshot file'),
      async (args) => done(await verify(args as unknown as VerifyArgs, deps)),
    );
}

async function list(args: ListArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const target = s3TargetOf(args.from, args, '--from');
  const opened = await deps.openObjectStore(target);
  const result = await listBackups(opened, {
    ...(args.namespace ? { namespace: args.namespace } : {}),
    ...(args['hosted-cluster'] ? { name: args['hosted-cluster'] } : {}),
  }, { clock: deps.clock, reporter: deps.reporter, signal: deps.signal });
  if (format === 'table' && result.items.length === 0) {
    deps.reporter.info(`no backups found under ${result.source}`);
    return ExitCode.ok;
  }
  await printData(deps.stdout, format, result, () => renderList(result));
  return ExitCode.ok;
}

export function renderList(result: BackupList): string {
  return renderTable(
    ['TIME', 'CLUSTER', 'REVISION', 'KEYS', 'SIZE', 'MODE', 'AGE', 'BACKUP'],
    result.items.map((i) => [
      i.createdAt.replace(/\.\d{3}Z$/, 'Z'), `${i.namespace}/${i.name}`, String(i.revision), String(i.totalKeys),
      humanBytes(i.size), i.mode, i.ageSeconds < 0 ? '-' : humanAge(i.ageSeconds), i.url,
    ]),
  );
}

async function verify(args: VerifyArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const source = args.backup;
  const progress = createProgress(deps.stderr, deps.stderrIsTTY, 'verifying snapshot');
  const options = { reporter: deps.reporter, signal: deps.signal, onBytes: (n: number) => progress.update(n) };
  let result: BackupVerification;
  try {
    if (source.startsWith('s3://')) {
      const opened = await deps.openObjectStore(s3TargetOf(source.replace(/\/backup\.json$/, '/'), args, 'the backup'));
      result = await verifyStoredBackup(opened.store, opened.prefix, options);
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
      throw new UsageError(`cannot verify "${source}": pass an s3:// URL or a local file`, { hint: 'e.g. {cmd} backup verify s3://<bucket>/<prefix>/<namespace>/<name>/<id>/' });
    } else {
      result = await verifyLocalSnapshot(source, options);
    }
  } finally {
    progress.done();
  }
  await printData(deps.stdout, format, result, () => renderVerification(result));
  if (result.verdict !== 'Restorable') {
    deps.reporter.warn(`${result.source} is NOT restorable: ${result.reasons.join('; ')}`);
    return ExitCode.error;
  }
  return ExitCode.ok;
}

export function renderVerification(r: BackupVerification): string {
  const head = [
    `SOURCE     ${r.source}`,
    ...(r.backup ? [`CLUSTER    ${r.backup.hostedCluster} (${r.backup.mode}, ${r.backup.createdAt})`] : []),
    ...(r.snapshot?.status ? [`SNAPSHOT   revision ${r.snapshot.status.revision}, ${r.snapshot.status.totalKey} keys, ${humanBytes(r.snapshot.size)}`] : []),
    `VERDICT    ${r.verdict}`,
    '',
  ].join('\n');
  return head + '\n' + renderTable(['CHECK', 'RESULT', 'DETAIL'], r.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', dash(c.detail)]));
}
