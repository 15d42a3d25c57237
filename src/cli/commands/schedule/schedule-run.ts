/** The handler of `schedule` (loaded on demand): every flag checked, then the tree built and written. */
import { refuseVirtualFileSystem } from '../../paths.ts';
import { checkLabelSelector } from '../../selector.ts';
import type { CliDeps } from '../../deps.ts';
import { boundedDuration, MAX_TIMER_DURATION_MS, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData } from '../../output.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { ExitCode, UsageError } from '../../../core/errors.ts';
import { parseRetentionPolicy, RETENTION_FLAGS } from '../../../core/bundle/retention.ts';
import { parseCronSchedule, parseTimeZone } from '../../../core/schedule/cron.ts';
import { buildScheduleTree, renderScheduleStream } from '../../../core/schedule/tree.ts';
import { checkScheduleOut, writeScheduleTree } from '../../../core/schedule/write.ts';
import type { ScheduleClusters, ScheduleCredentials, ScheduleDestination, ScheduleRequest } from '../../../core/schedule/types.ts';
import { codecFlagsOf, drillOf, type CodecFlags } from './schedule-drill.ts';
import type { RetentionArgs } from '../../retention-flags.ts';
import { backupConcurrencyOf } from '../../concurrency.ts';
import { lockOf } from '../../lock-flags.ts';
import { VERSION } from '../../../version.ts';
import { parsePushgatewayUrl } from '../../../core/metrics/url.ts';

export interface ScheduleArgs extends GlobalArgs, S3Args, RetentionArgs {
  'hosted-cluster'?: string[];
  all?: boolean;
  selector?: string;
  concurrency?: string;
  to: string;
  'keys-to'?: string;
  'ca-bundle-configmap'?: string;
  every: string;
  'time-zone'?: string;
  image: string;
  's3-secret'?: string;
  'irsa-role-arn'?: string;
  online?: boolean;
  quiesce?: boolean;
  force?: boolean;
  'pause-ttl'?: string;
  'wait-timeout'?: string;
  'lock-days'?: number;
  'lock-mode'?: string;
  'job-namespace': string;
  'starting-deadline': string;
  'active-deadline'?: string;
  out?: string;
  stdout?: boolean;
  pushgateway?: string;
  compress?: string;
  'encrypt-to'?: string[];
  'encrypt-to-file'?: string[];
  'drill-every'?: string;
  'drill-identity-secret'?: string;
}

const EXAMPLE =
  "{cmd} schedule <hosted-cluster> -n <namespace> --to s3://<bucket>/<prefix> --every '0 2 * * *' --image <ref> --s3-secret <name> --out <dir>";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** registry[:port]/path[:tag][@sha256:digest], as the container runtimes parse a reference. */
const IMAGE_REF =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+|-+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

export async function schedule(args: ScheduleArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  if ((args.out !== undefined) === (args.stdout === true))
    throw new UsageError('pass exactly one of --out <dir> or --stdout', { hint: EXAMPLE });
  const request = requestOf(args, await codecFlagsOf(args));
  const c = request.clusters;
  const under = `${request.destination.to}${c.type === 'fleet' && c.namespace ? ` in ${c.namespace}` : ''}`;
  if (c.type === 'fleet' && c.selector) {
    if (request.retention)
      deps.reporter.warn(
        `backup prune has no label selector: it prunes every cluster under ${under}, not only those matching -l ${c.selector}`,
      );
    if (request.drill)
      deps.reporter.warn(
        `drill --all has no label selector: it drills every cluster under ${under}, not only those matching -l ${c.selector}`,
      );
  }
  const tree = buildScheduleTree(request);
  if (args.stdout) {
    deps.stdout.write(renderScheduleStream(tree));
    return ExitCode.ok;
  }
  const out = args.out as string;
  if (out.trim() === '') throw new UsageError('--out needs a directory', { hint: EXAMPLE });
  await refuseVirtualFileSystem(out, '--out');
  await checkScheduleOut(out);
  await writeScheduleTree(out, tree);
  const summary = { directory: out, files: tree.files.map((f) => f.path) };
  await printData(deps.stdout, format, summary, () => `wrote the schedule to ${out} (${summary.files.length} files)\n`);
  return ExitCode.ok;
}

/** Every flag checked before anything is written (the tree is built from the result only); `codec`: codecFlagsOf's. */
export function requestOf(args: ScheduleArgs, codec: CodecFlags = { flags: [], encrypted: false }): ScheduleRequest {
  const retentionGiven = RETENTION_FLAGS.some((f) => args[f] !== undefined);
  const request: ScheduleRequest = {
    clusters: clustersOf(args),
    jobNamespace: dnsName(args['job-namespace'], '--job-namespace', DNS_LABEL),
    image: imageOf(args.image),
    schedule: parseCronSchedule(args.every),
    mode: modeOf(args),
    destination: destinationOf(args),
    credentials: credentialsOf(args),
    backupFlags: [...backupFlagsOf(args), ...codec.flags],
    startingDeadlineSeconds: seconds(args['starting-deadline'], '--starting-deadline', 10_000, MAX_TIMER_DURATION_MS, 'the default is 10m'),
    activeDeadlineSeconds: seconds(
      args['active-deadline'] ?? (args.all ? '6h' : '1h'),
      '--active-deadline',
      60_000,
      7 * MAX_TIMER_DURATION_MS,
      'longer than your longest backup run; the default is 1h per cluster, 6h for --all',
    ),
    toolVersion: VERSION,
  };
  if (args['time-zone'] !== undefined) request.timeZone = parseTimeZone(args['time-zone']);
  if (retentionGiven) request.retention = parseRetentionPolicy(args);
  if (args.pushgateway !== undefined) request.pushgateway = parsePushgatewayUrl(args.pushgateway);
  const drill = drillOf(args, codec.encrypted, request.jobNamespace, (v, what) => dnsName(v, what, DNS_SUBDOMAIN));
  if (drill) request.drill = drill;
  return request;
}

function clustersOf(args: ScheduleArgs): ScheduleClusters {
  const names = args['hosted-cluster'] ?? [];
  if (args.all && names.length > 0)
    throw new UsageError('name hosted clusters or pass --all, not both', {
      hint: 'one CronJob per named cluster, or one fleet CronJob with --all',
    });
  if (args.selector !== undefined && !args.all)
    throw new UsageError('--selector (-l) goes with --all', { hint: 'e.g. {cmd} schedule --all -l env=prod --to s3://...' });
  if (args.concurrency !== undefined && !args.all)
    throw new UsageError('--concurrency goes with --all', {
      hint: 'each named cluster has its own CronJob; e.g. {cmd} schedule --all --concurrency 8 --to s3://...',
    });
  const namespace = args.namespace !== undefined ? dnsName(args.namespace, '-n', DNS_LABEL) : undefined;
  if (args.all) {
    const selector = args.selector !== undefined ? checkLabelSelector(args.selector, '--selector (-l)') : undefined;
    // Checked as backup --all checks it, and passed on only when given (the tree stays the same bytes without it).
    const concurrency = args.concurrency !== undefined ? backupConcurrencyOf(args.concurrency) : undefined;
    return {
      type: 'fleet',
      ...(namespace ? { namespace } : {}),
      ...(selector ? { selector } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
    };
  }
  if (names.length === 0) throw new UsageError('name at least one hosted cluster, or pass --all', { hint: EXAMPLE });
  if (namespace === undefined)
    throw new UsageError('-n <namespace> is needed: schedule does not read the cluster, so no context namespace applies', {
      hint: EXAMPLE,
    });
  return { type: 'named', namespace, names: names.map((n) => dnsName(String(n), 'hosted cluster name', DNS_SUBDOMAIN)) };
}

function dnsName(value: string, what: string, pattern: RegExp): string {
  if (!pattern.test(value) || value.length > 253)
    throw new UsageError(`invalid ${what} "${value}": not a Kubernetes name`, {
      hint: 'lower-case letters, digits and "-" (names of HostedClusters may hold "."), starting and ending with a letter or digit',
    });
  return value;
}

function imageOf(image: string): string {
  const ref = image.trim();
  if (!IMAGE_REF.test(ref))
    throw new UsageError(`invalid --image "${image}": not an image reference`, {
      hint: 'e.g. --image ghcr.io/<owner>/hcp-dr:0.2.0 or, pinned, ghcr.io/<owner>/hcp-dr@sha256:<digest>',
    });
  return ref;
}

function modeOf(args: ScheduleArgs): 'online' | 'quiesce' {
  if (args.online === true && args.quiesce === true)
    throw new UsageError('pass either --online or --quiesce, not both', { hint: '--online (the default) takes no API downtime' });
  if (args['pause-ttl'] !== undefined && args.quiesce !== true)
    throw new UsageError('--pause-ttl goes with --quiesce', { hint: 'an online backup pauses nothing; add --quiesce or drop --pause-ttl' });
  return args.quiesce === true ? 'quiesce' : 'online';
}

function destinationOf(args: ScheduleArgs): ScheduleDestination {
  if (args['ca-bundle'] !== undefined)
    throw new UsageError('--ca-bundle names a file on this machine, which the pods do not have', {
      hint: 'create a ConfigMap with key ca-bundle.crt in the schedule namespace and pass --ca-bundle-configmap <name>',
    });
  const target = s3TargetOf(args.to, args, '--to');
  const d: ScheduleDestination = { to: args.to };
  if (args['keys-to'] !== undefined) {
    s3TargetOf(args['keys-to'], args, '--keys-to');
    d.keysTo = args['keys-to'];
  }
  if (target.region !== undefined) d.region = target.region;
  if (target.endpoint !== undefined) d.endpoint = target.endpoint;
  if (target.pathStyle) d.pathStyle = true;
  if (target.sse !== undefined) d.sse = target.sse;
  if (target.kmsKeyId !== undefined) d.sseKmsKeyId = target.kmsKeyId;
  if (target.requireSse) d.requireSse = true;
  if (args['ca-bundle-configmap'] !== undefined)
    d.caBundleConfigMap = dnsName(args['ca-bundle-configmap'], '--ca-bundle-configmap', DNS_SUBDOMAIN);
  return d;
}

function credentialsOf(args: ScheduleArgs): ScheduleCredentials {
  const secret = args['s3-secret'];
  const role = args['irsa-role-arn'];
  if ((secret === undefined) === (role === undefined))
    throw new UsageError('pass exactly one of --s3-secret <name> or --irsa-role-arn <arn> for the S3 credentials of the pods', {
      hint: 'a Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the schedule namespace, or an IAM role for EKS IRSA',
    });
  if (secret !== undefined) return { type: 'secret', name: dnsName(secret, '--s3-secret', DNS_SUBDOMAIN) };
  if (!IAM_ROLE_ARN.test(role ?? ''))
    throw new UsageError(`invalid --irsa-role-arn "${role}": not an IAM role ARN`, {
      hint: 'e.g. arn:aws:iam::123456789012:role/hcp-dr-backup',
    });
  return { type: 'irsa', roleArn: role as string };
}

/** --pause-ttl, --wait-timeout and --force, checked as backup checks them, passed on as given. */
function backupFlagsOf(args: ScheduleArgs): string[] {
  const flags: string[] = [];
  if (args['pause-ttl'] !== undefined) {
    boundedDuration(args['pause-ttl'], '--pause-ttl', { minMs: 60_000, maxMs: MAX_TIMER_DURATION_MS }, 'the default is 30m');
    flags.push('--pause-ttl', args['pause-ttl']);
  }
  if (args['wait-timeout'] !== undefined) {
    boundedDuration(args['wait-timeout'], '--wait-timeout', { minMs: 1000, maxMs: MAX_TIMER_DURATION_MS }, 'the default is 5m');
    flags.push('--wait-timeout', args['wait-timeout']);
  }
  if (args.force) flags.push('--force');
  const lock = lockOf(args);
  if (lock) flags.push('--lock-days', String(lock.days), '--lock-mode', lock.mode);
  return flags;
}

function seconds(text: string, flag: string, minMs: number, maxMs: number, hint: string): number {
  return Math.ceil(boundedDuration(text, flag, { minMs, maxMs }, hint) / 1000);
}
