/** The handler of `restore` (loaded on demand) and the table form of its result. */
import { moveWorld } from '../../move-world.ts';
import type { CliDeps, KubeSession, OpenedStore, S3Target } from '../../deps.ts';
import { kubeTargetOf, parseDuration, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData, renderTable, type OutputFormat } from '../../output.ts';
import { confirmOrRefuse } from '../../confirm.ts';
import { createProgress, type Progress } from '../../progress.ts';
import { dash, humanAge, humanBytes } from '../../format.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { keyringOf } from '../../codec-flags.ts';
import type { Keyring } from '../../../core/crypto/age-keys.ts';
import { ExitCode, UsageError } from '../../../core/errors.ts';
import type { PodLogs, RestoreDeps, RestoreRequest } from '../../../core/contracts/restore.ts';
import type { KubeApi, NameResolver } from '../../../core/ports.ts';
import { runRestore } from '../../../core/restore/run-restore.ts';
import type { RestoreResult } from '../../../core/contracts/restore.ts';
import { MAX_URL_EXPIRY_SECONDS } from '../../../core/controlplane/snapshot-url.ts';
import { VERSION } from '../../../version.ts';
import { createResolver } from '../../../net/resolver.ts';
import { tcpAnswers } from '../../../net/tcp-probe.ts';

export interface RestoreArgs extends GlobalArgs, S3Args {
  'backup-url': string;
  replace?: boolean;
  expires: string;
  'dry-run'?: boolean;
  'wait-timeout': string;
  'verify-snapshot'?: boolean;
  repair?: boolean;
  'cleanup-cloud-resources'?: boolean;
  'dns-server'?: string;
  force?: boolean;
  yes?: boolean;
  'decrypt-with'?: string;
}

export async function restore(args: RestoreArgs, deps: CliDeps): Promise<number> {
  const flags = await restoreFlagsOf(args, deps);
  const session = await deps.connectKube(kubeTargetOf(args));
  const opened = await deps.openObjectStore(flags.target);
  if (!opened.prefix)
    throw new UsageError(`"${flags.url}" names a bucket, not one backup`, {
      hint: 'pass a backup URL as "{cmd} backup list --from s3://..." prints it',
    });
  const progress = createProgress(deps.stderr, deps.stderrIsTTY, 'verifying snapshot');
  let result: RestoreResult;
  try {
    result = await runRestore(
      restoreRequestOf(args, flags, session, opened, deps),
      restoreDepsOf(args, deps, session, flags.resolver, progress),
    );
  } finally {
    progress.done();
  }
  await printData(deps.stdout, flags.format, result, () => renderRestore(result));
  return reportRestore(result, deps);
}

/** The flags of `restore` as checked values. */
interface RestoreFlags {
  format: OutputFormat;
  /** The backup URL, also accepted with its backup.json. */
  url: string;
  expiresMs: number;
  waitTimeoutMs: number;
  resolver: NameResolver;
  keyring: Keyring | undefined;
  target: S3Target;
}

/** Everything checkable before a connection (UsageError, exit 2); a short --expires is only warned about. */
async function restoreFlagsOf(args: RestoreArgs, deps: CliDeps): Promise<RestoreFlags> {
  const format = parseOutputFormat(args.output);
  const url = args['backup-url'].replace(/\/backup\.json$/, '/');
  const expiresMs = parseDuration(args.expires, '--expires');
  if (expiresMs < 1000 || expiresMs > MAX_URL_EXPIRY_SECONDS * 1000) {
    throw new UsageError(`invalid --expires "${args.expires}": between 1s and 7d`, {
      hint: 'the etcd pods must download the snapshot before it expires; SigV4 allows at most 7 days',
    });
  }
  if (expiresMs < 5 * 60_000 && !args['dry-run'])
    deps.reporter.warn(
      `--expires ${args.expires}: the etcd pods must download the snapshot within that time, or the restore fails and needs --replace`,
    );
  const waitTimeoutMs = parseDuration(args['wait-timeout'], '--wait-timeout');
  if (waitTimeoutMs <= 0) throw new UsageError('--wait-timeout must be positive', { hint: 'e.g. --wait-timeout 15m' });
  // Refuses an empty or malformed --dns-server before anything else (usage error).
  const resolver = createResolver(args['dns-server']);
  // --decrypt-with/HCP_DR_AGE_IDENTITY, read and checked before any connection.
  const keyring = await keyringOf(args);
  const target = s3TargetOf(url, args, 'the backup URL');
  return { format, url, expiresMs, waitTimeoutMs, resolver, keyring, target };
}

/** The core's request; `rerun` is the command line that runs this restore again (no secrets: flags only). */
function restoreRequestOf(
  args: RestoreArgs,
  flags: RestoreFlags,
  session: KubeSession,
  opened: OpenedStore,
  deps: CliDeps,
): RestoreRequest {
  const { url, target, keyring } = flags;
  return {
    store: opened.store,
    prefix: opened.prefix,
    openBucket: async (bucket) => (await deps.openObjectStore({ ...target, url: `s3://${bucket}` })).store,
    ...(session.namespaceExplicit ? { namespace: session.namespace } : {}),
    replace: args.replace === true,
    dryRun: args['dry-run'] === true,
    expiresInSeconds: Math.round(flags.expiresMs / 1000),
    waitTimeoutMs: flags.waitTimeoutMs,
    ...(args['verify-snapshot'] ? { verifySnapshot: true } : {}),
    ...(args.repair === false ? { repair: false } : {}),
    ...(args.force ? { force: true } : {}),
    ...(keyring ? { keyring } : {}),
    via: {
      ...(target.region !== undefined ? { region: target.region } : {}),
      ...(target.endpoint !== undefined ? { endpoint: target.endpoint } : {}),
      ...(target.pathStyle !== undefined ? { pathStyle: target.pathStyle } : {}),
      ...(target.caBundle !== undefined ? { caBundle: target.caBundle } : {}),
    },
    ...(args['cleanup-cloud-resources'] ? { cleanupCloudResources: true } : {}),
    toolVersion: VERSION,
    rerun: `{cmd} restore ${url}${session.namespaceExplicit ? ` -n ${session.namespace}` : ''}${args.context ? ` --context ${args.context}` : ''}${args['decrypt-with'] ? ` --decrypt-with ${args['decrypt-with']}` : ''}`,
  };
}

/** The cluster, the hooks and the source probe the core's restore runs with; the prompt clears the progress line first. */
function restoreDepsOf(args: RestoreArgs, deps: CliDeps, session: KubeSession, resolver: NameResolver, progress: Progress): RestoreDeps {
  return {
    api: session.api,
    exec: session.exec,
    logs: podLogs(session.api),
    clock: deps.clock,
    reporter: deps.reporter,
    signal: deps.signal,
    onBytes: (n) => progress.update(n),
    connectGuest: (kubeconfig) => moveWorld(deps).connectGuest(kubeconfig),
    sourceProbe: { resolver, answers: (address, port) => tcpAnswers(address, port) },
    confirmReplace: async (question) => {
      progress.done();
      await confirmOrRefuse(deps, question, args.yes, 'or run with --dry-run to see what would be deleted');
    },
  };
}

/** The lines on stderr after the result, and the exit code: 1 when not verified, 4 for an unhealthy or split etcd. */
function reportRestore(result: RestoreResult, deps: CliDeps): number {
  const state = result.verdict.state;
  if (state === 'Restored' || state === 'Planned') {
    if (state === 'Restored' && result.repair?.repaired)
      deps.reporter.warn(`repaired a split brain (${result.repair.reason}): restored the backup into every member volume in place`);
    if (state === 'Restored')
      deps.reporter.info(
        `restored ${result.hostedCluster.namespace}/${result.hostedCluster.name}: verified in ${result.timing.restoreSeconds}s`,
      );
    return ExitCode.ok;
  }
  deps.reporter.warn(`${state}: ${result.verdict.reason}`);
  if (result.verdict.hint)
    deps.reporter.warn(`hint: ${result.verdict.hint.replaceAll('{cmd}', deps.host === 'oc' ? 'oc hcp-dr' : 'kubectl hcp-dr')}`);
  return state === 'NotVerified' ? ExitCode.error : ExitCode.etcdUnhealthy;
}

function podLogs(api: KubeApi): PodLogs {
  return {
    read: async (namespace, pod, container, options) => (api.readLog ? api.readLog(namespace, pod, container, options) : undefined),
  };
}

export function renderRestore(r: RestoreResult): string {
  const b = r.backup;
  const head = [
    ['CLUSTER', `${r.hostedCluster.namespace}/${r.hostedCluster.name} (${r.hostedCluster.platform || 'platform unknown'}) on ${r.target}`],
    ['BACKUP', `${b.url} (${b.id}, revision ${b.revision}, ${b.totalKeys} keys${b.sizeBytes ? `, ${humanBytes(b.sizeBytes)}` : ''})`],
    ['RPO', `${humanAge(r.rpoSeconds)} (backup age)`],
    ['VERDICT', `${r.verdict.state}: ${r.verdict.reason}`],
    ...(r.timing.restoreSeconds !== null
      ? [['TIME', `${r.timing.restoreSeconds}s from the first change to verified data (${r.timing.totalSeconds}s in all)`]]
      : []),
  ];
  const out = [head.map(([k, v]) => `${(k ?? '').padEnd(9)}${v}`).join('\n'), ''];
  if (r.repair)
    out.push(
      r.repair.repaired
        ? `repaired: split brain (${r.repair.reason}); API servers down ${r.repair.apiDowntimeSeconds}s for the in-place restore`
        : `not repaired: split brain (${r.repair.reason})`,
      '',
    );
  if (r.replaced.length) out.push(`replaced: ${r.replaced.map((o) => `${o.kind} ${o.namespace}/${o.name}`).join(', ')}`, '');
  if (r.nodes) out.push(`nodes: ${r.nodes.state}: ${r.nodes.detail}`, '');
  if (r.objects.length)
    out.push(
      renderTable(
        ['STEP', 'KIND', 'OBJECT', 'ACTION'],
        r.objects.map((o) => [o.step, o.kind, `${o.namespace ? `${o.namespace}/` : ''}${o.name}`, o.action]),
      ),
    );
  const checks = [...r.preflight, ...(r.etcd?.checks ?? [])];
  if (checks.length)
    out.push(
      renderTable(
        ['CHECK', 'RESULT', 'DETAIL'],
        checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', dash(c.detail)]),
      ),
    );
  for (const w of r.warnings) out.push(`warning: ${w}`);
  if (r.nextSteps.length) out.push('next steps:', ...r.nextSteps.map((s) => `  - ${s}`));
  if (r.verdict.state === 'Planned') out.push('nothing was changed (--dry-run)');
  return out.join('\n').replace(/\n*$/, '\n');
}
