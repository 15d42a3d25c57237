/** The handlers of `backup` and `resume` (loaded on demand: the backup workflow and its I/O). */
import type { CliDeps } from '../deps.ts';
import { boundedDuration, kubeTargetOf, MAX_TIMER_DURATION_MS, type GlobalArgs } from '../global-flags.ts';
import { parseOutputFormat, printData } from '../output.ts';
import { confirmOrRefuse } from '../confirm.ts';
import { createProgress } from '../progress.ts';
import { humanBytes } from '../format.ts';
import { s3TargetOf, type S3Args } from '../s3-flags.ts';
import { UsageError } from '../../core/errors.ts';
import { planBackup } from '../../core/backup/plan.ts';
import { runBackup } from '../../core/backup/run-backup.ts';
import { runResume } from '../../core/resume.ts';
import type { BackupRequest } from '../../core/backup/request.ts';
import { newBackupId } from '../../core/bundle/layout.ts';
import { renderBackupPlan, renderBackupResult, renderResume } from './backup-view.ts';
import { VERSION } from '../../version.ts';

export interface BackupArgs extends GlobalArgs, S3Args {
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

export type ResumeArgs = GlobalArgs & { 'hosted-cluster': string };

export async function backup(args: BackupArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const mode = modeOf(args);
  const pauseTtlMs = boundedDuration(
    args['pause-ttl'],
    '--pause-ttl',
    { minMs: MIN_PAUSE_TTL_MS, maxMs: MAX_TIMER_DURATION_MS },
    'the deadline must outlast the snapshot and is renewed while the run lasts; the default is 30m',
  );
  const waitTimeoutMs = boundedDuration(
    args['wait-timeout'],
    '--wait-timeout',
    { minMs: 1000, maxMs: MAX_TIMER_DURATION_MS },
    'the default is 5m',
  );
  const target = s3TargetOf(args.to, args, '--to');
  const keysTarget = args['keys-to'] !== undefined ? s3TargetOf(args['keys-to'], args, '--keys-to') : undefined;
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
    waitTimeoutMs,
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
    deps.reporter.info(
      `backup complete: ${result.url} (${humanBytes(result.manifest.snapshot.size)}, revision ${result.manifest.snapshot.revision})`,
    );
    await printData(deps.stdout, format, result.manifest, () => renderBackupResult(result));
    return 0;
  } finally {
    progress.done();
  }
}

/** The shortest --pause-ttl: the deadline must outlast a snapshot between two renewals (every third of it). */
const MIN_PAUSE_TTL_MS = 60_000;

/** --online or --quiesce (the default); both, or --no-quiesce alone, are refused. */
function modeOf(args: BackupArgs): 'online' | 'quiesce' {
  if (args.online === true && args.quiesce === true) {
    throw new UsageError('pass either --online or --quiesce, not both', {
      hint: '--online takes no downtime; --quiesce (the default) pauses and scales the API servers to 0 for the snapshot',
    });
  }
  if (args.quiesce === false && args.online !== true) {
    throw new UsageError('--no-quiesce needs --online: a backup is either quiesced or online', {
      hint: 'pass --online for a backup without downtime',
    });
  }
  return args.online === true ? 'online' : 'quiesce';
}

export async function resume(args: ResumeArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const session = await deps.connectKube(kubeTargetOf(args));
  const result = await runResume(session.namespace, args['hosted-cluster'], {
    api: session.api,
    exec: session.exec,
    clock: deps.clock,
    reporter: deps.reporter,
    signal: deps.signal,
  });
  await printData(deps.stdout, format, result, () => renderResume(result));
  return 0;
}
