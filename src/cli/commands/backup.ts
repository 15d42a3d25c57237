/** `backup <hosted-cluster>` and `resume <hosted-cluster>`: flags in, one core call, result out. */
import type { Argv } from 'yargs';
import type { CommandRegistrar } from '../index.ts';
import type { CliDeps } from '../deps.ts';
import { kubeTargetOf, parseDuration, type GlobalArgs } from '../global-flags.ts';
import { parseOutputFormat, printData } from '../output.ts';
import { confirmOrRefuse } from '../confirm.ts';
import { createProgress } from '../progress.ts';
import { humanBytes } from '../format.ts';
import { s3Options, s3TargetOf, type S3Args } from '../s3-flags.ts';
import { registerBackupReadCommands } from './backup-read.ts';
import { UsageError } from '../../core/errors.ts';
import { planBackup } from '../../core/backup/plan.ts';
import { runBackup } from '../../core/backup/run-backup.ts';
import { runResume } from '../../core/backup/resume.ts';
import { newBackupId, type BackupRequest } from '../../core/backup/request.ts';
import { renderBackupPlan, renderBackupResult, renderResume } from './backup-view.ts';
import { VERSION } from '../../version.ts';

interface BackupArgs extends GlobalArgs, S3Args {
  'hosted-cluster': string;
  to: string;
  'keys-to'?: string;
  online?: boolean;
  quiesce?: boolean;
  'dry-run'?: boolean;
  yes?: boolean;
  force?: boolean;
  'pause-ttl': string;
  'wait-timeout': string;
}

export const backupCommand: CommandRegistrar = (y, deps, done) =>
  y.command('backup', 'Back up etcd of a hosted cluster to S3; list and verify backups', (b: Argv) =>
    registerBackupReadCommands(b, deps, done).command(
      '$0 <hosted-cluster>',
      'Take a crash-safe, verified etcd backup of a hosted cluster to S3',
      (c) =>
        c
          .positional('hosted-cluster', { type: 'string', describe: 'Name of the HostedCluster', demandOption: true })
          .option('to', { type: 'string', describe: 'Destination: s3://<bucket>[/<prefix>]', demandOption: true })
          .option('keys-to', { type: 'string', describe: 'Separate destination for the encryption key and PKI secrets: s3://<bucket>[/<prefix>]' })
          .options(s3Options)
          .option('online', { type: 'boolean', describe: 'No pause and no API downtime: an etcd snapshot is point-in-time on its own' })
          .option('quiesce', { type: 'boolean', default: true, describe: 'Pause, scale the API servers to 0, snapshot, bring them back (API downtime: the snapshot time)' })
          .option('dry-run', { type: 'boolean', describe: 'Print the plan, the objects it touches and the expected downtime; change nothing' })
          .option('yes', { alias: 'y', type: 'boolean', describe: 'Confirm the API downtime of --quiesce without a prompt' })
          .option('force', { type: 'boolean', describe: 'Back up even when etcd members disagree (Inconsistent)' })
          .option('pause-ttl', { type: 'string', default: '30m', describe: 'Deadline written to spec.pausedUntil, renewed while running; reconciliation resumes by itself after it' })
          .option('wait-timeout', { type: 'string', default: '5m', describe: 'How long to wait for the pause to propagate and for scaling' })
          .example('$0 backup demo -n clusters --to s3://backups/hcp --yes', 'Quiesced backup (the documented procedure)')
          .example('$0 backup demo -n clusters --to s3://backups/hcp --online', 'Backup without API downtime')
          .example('$0 backup demo -n clusters --to s3://backups/hcp --dry-run -o yaml', 'Show the plan only'),
      async (args) => done(await backup(args as unknown as BackupArgs, deps)),
    ),
  ).command(
    'resume <hosted-cluster>',
    'Undo what an interrupted hcp-dr run left on a hosted cluster (replicas, pausedUntil, lock); safe to repeat',
    (c) => c.positional('hosted-cluster', { type: 'string', demandOption: true }).example('$0 resume demo -n clusters', 'Bring clusters/demo back to its state before the backup'),
    async (args) => done(await resume(args as unknown as GlobalArgs & { 'hosted-cluster': string }, deps)),
  );

async function backup(args: BackupArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const mode = args.online ? 'online' : 'quiesce';
  const pauseTtlMs = parseDuration(args['pause-ttl'], '--pause-ttl');
  if (pauseTtlMs < 60_000) throw new UsageError('--pause-ttl must be at least 1m', { hint: 'the deadline must outlast the snapshot; the default is 30m' });
  const target = s3TargetOf(args.to, args);
  const keysTarget = args['keys-to'] ? s3TargetOf(args['keys-to'], args) : undefined;
  const session = await deps.connectKube(kubeTargetOf(args));
  const destination = await deps.openObjectStore(target);
  const keysDestination = keysTarget ? await deps.openObjectStore(keysTarget) : undefined;
  const request: BackupRequest = {
    namespace: session.namespace,
    name: args['hosted-cluster'],
    mode,
    destination,
    ...(keysDestination ? { keysDestination } : {}),
    ...(target.sse ? { serverSideEncryption: { type: target.sse, ...(target.kmsKeyId ? { kmsKeyId: target.kmsKeyId } : {}) } } : {}),
    pauseTtlMs,
    waitTimeoutMs: parseDuration(args['wait-timeout'], '--wait-timeout'),
    ...(args.force ? { force: true } : {}),
  };
  const core = { api: session.api, exec: session.exec, reporter: deps.reporter, signal: deps.signal };
  if (args['dry-run']) {
    const plan = await planBackup(request, core);
    await printData(deps.stdout, format, plan, () => renderBackupPlan(plan));
    return 0;
  }
  if (mode === 'quiesce') {
    await confirmOrRefuse(
      deps,
      `Back up ${request.namespace}/${request.name}: this pauses the hosted cluster and scales its API servers to 0 for the time of the snapshot (API downtime). Continue?`,
      args.yes,
      'or use --online for a backup without downtime, or --dry-run to see the plan',
    );
  }
  const progress = createProgress(deps.stderr, deps.stderrIsTTY, 'uploading snapshot');
  try {
    const result = await runBackup(request, {
      ...core,
      clock: deps.clock,
      toolVersion: VERSION,
      newBackupId: () => newBackupId(deps.clock.now()),
      onProgress: (bytes) => progress.update(bytes),
      step: (name) => deps.reporter.debug(`step: ${name}`),
    });
    progress.done();
    deps.reporter.info(`backup complete: ${result.url} (${humanBytes(result.manifest.snapshot.size)}, revision ${result.manifest.snapshot.revision})`);
    await printData(deps.stdout, format, result.manifest, () => renderBackupResult(result));
    return 0;
  } finally {
    progress.done();
  }
}

async function resume(args: GlobalArgs & { 'hosted-cluster': string }, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const session = await deps.connectKube(kubeTargetOf(args));
  const result = await runResume(session.namespace, args['hosted-cluster'], { api: session.api, exec: session.exec, clock: deps.clock, reporter: deps.reporter, signal: deps.signal });
  await printData(deps.stdout, format, result, () => renderResume(result));
  return 0;
}
