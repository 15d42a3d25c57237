/** The handlers of `backup` and `resume` (loaded on demand: the backup workflow and its I/O). */
import type { CliDeps } from '../deps.ts';
import { kubeTargetOf, parseDuration, type GlobalArgs } from '../global-flags.ts';
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

export async function resume(args: ResumeArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const session = await deps.connectKube(kubeTargetOf(args));
  const result = await runResume(session.namespace, args['hosted-cluster'], { api: session.api, exec: session.exec, clock: deps.clock, reporter: deps.reporter, signal: deps.signal });
  await printData(deps.stdout, format, result, () => renderResume(result));
  return 0;
}
