/** The handlers of `backup` and `resume` (loaded on demand: the backup workflow and its I/O). */
import type { CliDeps } from '../../deps.ts';
import { boundedDuration, kubeTargetOf, MAX_TIMER_DURATION_MS, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData } from '../../output.ts';
import { confirmOrRefuse } from '../../confirm.ts';
import { createProgress } from '../../progress.ts';
import { humanBytes } from '../../format.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { UsageError } from '../../../core/errors.ts';
import { planBackup } from '../../../core/capture/plan.ts';
import { runBackup } from '../../../core/backup/run-backup.ts';
import type { BackupRequest } from '../../../core/capture/request.ts';
import { newBackupId } from '../../../core/bundle/layout.ts';
import { renderBackupPlan, renderBackupResult } from './backup-view.ts';
import type { FleetArgs } from './backup-all.ts';
import { VERSION } from '../../../version.ts';
import { codecOf, type EncodeArgs } from '../../codec-flags.ts';
import { lockOf } from '../../lock-flags.ts';
import { pushBackupOutcome } from '../../../core/metrics/names.ts';
import { metricsSinkOf } from '../../metrics-flags.ts';

export interface BackupArgs extends GlobalArgs, S3Args, FleetArgs, EncodeArgs {
  'hosted-cluster'?: string;
  to: string;
  'keys-to'?: string;
  online?: boolean;
  quiesce?: boolean;
  'dry-run'?: boolean;
  yes?: boolean;
  force?: boolean;
  'pause-ttl': string;
  'wait-timeout': string;
  'lock-days'?: number;
  'lock-mode'?: string;
  pushgateway?: string;
}

export async function backup(args: BackupArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const mode = modeOf(args);
  const flags = parseBackupFlags(args);
  for (const [flag, value] of [
    ['--selector', args.selector],
    ['--concurrency', args.concurrency],
  ] as const) {
    if (value !== undefined)
      throw new UsageError(`${flag} needs --all`, { hint: '{cmd} backup --all [-n <namespace>] [-l <selector>] --to s3://...' });
  }
  if (args['hosted-cluster'] === undefined) {
    throw new UsageError('a hosted cluster name is required', {
      hint: '{cmd} backup <hosted-cluster> -n <namespace> --to s3://..., or --all for every HostedCluster',
    });
  }
  const metrics = args['dry-run'] ? undefined : await metricsSinkOf(args.pushgateway, deps);
  const session = await deps.connectKube(kubeTargetOf(args));
  const request: BackupRequest = {
    namespace: session.namespace,
    name: args['hosted-cluster'],
    ...(await openBackupTemplate(flags, mode, args, deps)),
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
  const started = deps.clock.now();
  const elapsed = () => (deps.clock.now().getTime() - started.getTime()) / 1000;
  try {
    const result = await runBackup(request, {
      ...core,
      clock: deps.clock,
      toolVersion: VERSION,
      newBackupId: () => newBackupId(deps.clock.now()),
      onProgress: (bytes) => progress.update(bytes),
      step: (name) => deps.reporter.debug(`step: ${name}`),
    }).catch(async (err: unknown) => {
      await pushBackupOutcome(
        metrics,
        request.namespace,
        request.name,
        { ok: false, finishedAt: deps.clock.now(), seconds: elapsed() },
        deps.reporter,
      );
      throw err;
    });
    progress.done();
    const { size, revision } = result.manifest.snapshot;
    const outcome = { ok: true as const, finishedAt: deps.clock.now(), seconds: elapsed(), sizeBytes: size, revision };
    await pushBackupOutcome(metrics, request.namespace, request.name, outcome, deps.reporter);
    deps.reporter.info(
      `backup complete: ${result.url} (${humanBytes(result.manifest.snapshot.size)}, revision ${result.manifest.snapshot.revision})`,
    );
    // -o json|yaml: backup.json's document and the runner's phase timings.
    await printData(deps.stdout, format, { ...result.manifest, phases: result.phases }, () => renderBackupResult(result, deps.verbose));
    return 0;
  } finally {
    progress.done();
  }
}

/** What a single and a fleet backup parse alike, all before any connection: durations and destinations. */
export function parseBackupFlags(args: BackupArgs) {
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
  return { pauseTtlMs, waitTimeoutMs, target, keysTarget, lock: lockOf(args) };
}

/** The part of a BackupRequest every cluster shares: the opened destinations, encryption and bounds. */
export async function openBackupTemplate(
  flags: ReturnType<typeof parseBackupFlags>,
  mode: BackupRequest['mode'],
  args: BackupArgs,
  deps: CliDeps,
): Promise<Omit<BackupRequest, 'namespace' | 'name'>> {
  const { target, keysTarget } = flags;
  const destination = await deps.openObjectStore(target);
  const keysDestination = keysTarget ? await deps.openObjectStore(keysTarget) : undefined;
  const codec = await codecOf(args);
  return {
    mode,
    destination,
    ...(keysDestination ? { keysDestination } : {}),
    ...(target.sse ? { serverSideEncryption: { type: target.sse, ...(target.kmsKeyId ? { kmsKeyId: target.kmsKeyId } : {}) } } : {}),
    pauseTtlMs: flags.pauseTtlMs,
    waitTimeoutMs: flags.waitTimeoutMs,
    ...(args.force ? { force: true } : {}),
    ...(flags.lock ? { lock: flags.lock } : {}),
    ...(codec ? { codec } : {}),
  };
}

/** The shortest --pause-ttl: the deadline must outlast a snapshot between two renewals (every third of it). */
const MIN_PAUSE_TTL_MS = 60_000;

/**
 * --online or --quiesce; both, or --no-quiesce alone, are refused. Without either, a single
 * backup is quiesced (the documented procedure) and a fleet (`fallback` online) is not.
 */
export function modeOf(args: BackupArgs, fallback: 'online' | 'quiesce' = 'quiesce'): 'online' | 'quiesce' {
  if (args.online === true && args.quiesce === true) {
    throw new UsageError('pass either --online or --quiesce, not both', {
      hint: '--online takes no downtime; --quiesce (the default for one cluster) pauses and scales the API servers to 0 for the snapshot',
    });
  }
  if (args.quiesce === false && args.online !== true) {
    throw new UsageError('--no-quiesce needs --online: a backup is either quiesced or online', {
      hint: 'pass --online for a backup without downtime',
    });
  }
  if (args.online === true || args.quiesce === false) return 'online';
  return args.quiesce === true ? 'quiesce' : fallback;
}
