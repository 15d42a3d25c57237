/** The handler of `move` (loaded on demand) and the table form of its result. */
import { NODE_MODES, type NodeModeRequest } from '../../../core/move/nodes.ts';
import path from 'node:path';
import type { CliDeps, KubeSession, KubeTarget, S3Target } from '../../deps.ts';
import { boundedDuration, kubeTargetOf, MAX_TIMER_DURATION_MS, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData, renderTable, type OutputFormat } from '../../output.ts';
import { confirmOrRefuse } from '../../confirm.ts';
import { createProgress, type Progress } from '../../progress.ts';
import { dash } from '../../format.ts';
import { commandName } from '../../host.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { codecOf, keyringOf, type EncodeArgs } from '../../codec-flags.ts';
import { moveWorld } from '../../move-world.ts';
import { ExitCode, UsageError } from '../../../core/errors.ts';
import { runMove } from '../../../core/move/run-move.ts';
import { runRestore } from '../../../core/restore/run-restore.ts';
import type { MoveDeps, MoveRequest, MoveResult } from '../../../core/move/types.ts';
import type { Codec } from '../../../core/crypto/codec.ts';
import type { Keyring } from '../../../core/crypto/age-keys.ts';
import { createResolver } from '../../../net/resolver.ts';
import { VERSION } from '../../../version.ts';

export interface MoveArgs extends GlobalArgs, S3Args, EncodeArgs {
  'decrypt-with'?: string;
  'hosted-cluster': string;
  'to-context': string;
  'to-kubeconfig'?: string;
  via: string;
  'dns-server'?: string;
  'dns-timeout': string;
  'wait-timeout': string;
  'pause-ttl': string;
  'keep-source'?: boolean;
  'with-nodes'?: boolean;
  nodes?: string;
  force?: boolean;
  repair?: boolean;
  'dry-run'?: boolean;
  yes?: boolean;
}

export async function move(args: MoveArgs, deps: CliDeps): Promise<number> {
  const flags = await moveFlagsOf(args, deps);
  const target = kubeTargetOf(args);
  const source = await deps.connectKube(target);
  const progress = createProgress(deps.stderr, deps.stderrIsTTY, 'uploading snapshot');
  let result: MoveResult;
  try {
    result = await runMove(moveRequestOf(args, flags, source), moveDepsOf(args, deps, target, flags.keyring, progress));
  } finally {
    progress.done();
  }
  await printData(deps.stdout, flags.format, result, () => renderMove(result));
  return reportMove(result, deps);
}

/** The flags of `move` as checked values. */
interface MoveFlags {
  format: OutputFormat;
  toContext: string;
  dnsTimeoutMs: number;
  waitTimeoutMs: number;
  pauseTtlMs: number;
  via: S3Target;
  codec: Codec | undefined;
  keyring: Keyring | undefined;
  nodes: NodeModeRequest | undefined;
  dryRun: boolean;
}

/**
 * Everything checkable without a cluster, in this order: flags, durations, the URL, --nodes, the DNS
 * server, the keys, and the confirmation a non-interactive run must carry (UsageError, exit 2).
 */
async function moveFlagsOf(args: MoveArgs, deps: CliDeps): Promise<MoveFlags> {
  const format = parseOutputFormat(args.output);
  const toContext = args['to-context'].trim();
  if (!toContext)
    throw new UsageError('--to-context needs a value', { hint: "name the destination management cluster's kubeconfig context" });
  const bounds = (minMs: number) => ({ minMs, maxMs: MAX_TIMER_DURATION_MS });
  const dnsTimeoutMs = boundedDuration(
    args['dns-timeout'],
    '--dns-timeout',
    bounds(1000),
    'external DNS syncs every minute by default: e.g. --dns-timeout 10m',
  );
  const waitTimeoutMs = boundedDuration(args['wait-timeout'], '--wait-timeout', bounds(1000), 'e.g. --wait-timeout 15m');
  const pauseTtlMs = boundedDuration(
    args['pause-ttl'],
    '--pause-ttl',
    bounds(60_000),
    'it is renewed every third of its length while the move runs: e.g. --pause-ttl 30m',
  );
  const via = s3TargetOf(args.via, args, '--via');
  const nodes = args.nodes ? nodeModeOf(args.nodes, args['with-nodes'] === true) : undefined;
  if (args['dns-server'] !== undefined) createResolver(args['dns-server']);
  // --compress/--encrypt-to and --decrypt-with, read and checked before any connection (the match: checkMove).
  const codec = await codecOf(args);
  const keyring = await keyringOf(args);
  const dryRun = args['dry-run'] === true;
  if (!dryRun && !args.yes && !deps.interactive)
    throw new UsageError("refusing to move without confirmation: the hosted cluster's API is down during the move", {
      hint: 'pass --yes to confirm, or --dry-run to see every check and phase first',
    });
  return { format, toContext, dnsTimeoutMs, waitTimeoutMs, pauseTtlMs, via, codec, keyring, nodes, dryRun };
}

/** The core's request: both sides by context and kubeconfig (absolute, as the record stores them). */
function moveRequestOf(args: MoveArgs, flags: MoveFlags, source: KubeSession): MoveRequest {
  const abs = (f: string | undefined) => (f ? path.resolve(f) : undefined);
  const sourceKubeconfig = abs(args.kubeconfig);
  const destinationKubeconfig = abs(args['to-kubeconfig']) ?? sourceKubeconfig;
  return {
    namespace: source.namespace,
    name: args['hosted-cluster'],
    source: { context: source.contextName, ...(sourceKubeconfig ? { kubeconfig: sourceKubeconfig } : {}) },
    destination: { context: flags.toContext, ...(destinationKubeconfig ? { kubeconfig: destinationKubeconfig } : {}) },
    via: flags.via,
    ...(args['dns-server'] ? { dnsServer: args['dns-server'] } : {}),
    dnsTimeoutMs: flags.dnsTimeoutMs,
    waitTimeoutMs: flags.waitTimeoutMs,
    pauseTtlMs: flags.pauseTtlMs,
    keepSource: args['keep-source'] === true,
    withNodes: args['with-nodes'] === true,
    ...(flags.nodes ? { nodes: flags.nodes } : {}),
    force: args.force === true,
    ...(args.repair === false ? { repair: false } : {}),
    dryRun: flags.dryRun,
    toolVersion: VERSION,
    ...(flags.codec ? { codec: flags.codec } : {}),
  };
}

/** The world and the hooks the core's move runs with: progress on stderr, -v steps, the confirmation. */
function moveDepsOf(args: MoveArgs, deps: CliDeps, target: KubeTarget, keyring: Keyring | undefined, progress: Progress): MoveDeps {
  return {
    world: moveWorld(deps, {
      destinationFlags: true,
      ...(target.requestTimeoutMs ? { requestTimeoutMs: target.requestTimeoutMs } : {}),
    }),
    clock: deps.clock,
    reporter: deps.reporter,
    signal: deps.signal,
    restore: runRestore,
    ...(keyring ? { keyring } : {}),
    newId: () => crypto.randomUUID().slice(0, 8),
    confirm: async (question) => confirmOrRefuse(deps, question, args.yes, 'or run with --dry-run first'),
    step: (phase) => deps.reporter.debug(`step: ${phase}`),
    onBytes: (n) => progress.update(n),
  };
}

/** The lines on stderr after the result, and the exit code: 4 for a split brain left by --no-repair. */
function reportMove(result: MoveResult, deps: CliDeps): number {
  if (result.state === 'SplitBrain') {
    // --no-repair, as restore reports it: the state and reason, then the command that continues.
    deps.reporter.warn(`SplitBrain: ${result.restore?.verdict.reason ?? 'the destination etcd members are in different clusters'}`);
    for (const s of result.nextSteps) deps.reporter.warn(`hint: ${s.replaceAll('{cmd}', commandName(deps.host))}`);
    return ExitCode.etcdUnhealthy;
  }
  if (result.state === 'Moved')
    deps.reporter.info(
      `moved ${result.hostedCluster.namespace}/${result.hostedCluster.name}${result.downtimeSeconds !== null ? `: API down ${result.downtimeSeconds.toFixed(1)}s` : ''}`,
    );
  return ExitCode.ok;
}

export function renderMove(r: MoveResult): string {
  const head = [
    ['CLUSTER', `${r.hostedCluster.namespace}/${r.hostedCluster.name} (${r.apiHostname || 'no API hostname'})`],
    ['FROM', r.source],
    ['TO', r.destination],
    ['STATE', r.state + (r.operation ? ` (operation ${r.operation})` : '')],
    ...(r.backup ? [['BACKUP', r.backup]] : []),
    ...(r.state === 'SplitBrain' && r.restore
      ? [['ETCD', `${r.restore.verdict.state} on the destination: ${r.restore.verdict.reason}`]]
      : []),
    ...(r.downtimeSeconds !== null ? [['DOWNTIME', `${r.downtimeSeconds.toFixed(1)}s of hosted API downtime`]] : []),
    ...(r.ovnPodsRestarted !== null ? [['OVN', `${r.ovnPodsRestarted} pods restarted`]] : []),
    ...(r.nodes ? [['NODES', `${r.nodes.state}: ${r.nodes.detail}${r.nodeMode ? ` (--nodes ${r.nodeMode})` : ''}`]] : []),
  ];
  const out = [head.map(([k, v]) => `${(k ?? '').padEnd(9)}${v}`).join('\n'), ''];
  if (r.preflight.length)
    out.push(
      renderTable(
        ['CHECK', 'RESULT', 'DETAIL'],
        r.preflight.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', dash(c.detail)]),
      ),
    );
  if (r.phases.length)
    out.push(
      renderTable(
        ['PHASE', 'SECONDS'],
        r.phases.map((p) => [p.phase, p.seconds.toFixed(1)]),
      ),
    );
  for (const p of r.plan) out.push(`${p.phase}:`, ...p.actions.map((a) => `  - ${a}`));
  if (r.state === 'Planned' && r.repairSplitBrain === false)
    out.push('--no-repair: a split brain on the destination stops the move (exit 4)');
  for (const w of r.warnings) out.push(`warning: ${w}`);
  if (r.nextSteps.length) out.push('next steps:', ...r.nextSteps.map((s) => `  - ${s}`));
  if (r.state === 'Planned') out.push('nothing was changed (--dry-run)');
  return out.join('\n').replace(/\n*$/, '\n');
}

/** --nodes auto|adopt|keep; --with-nodes is --nodes adopt. */
function nodeModeOf(value: string, withNodes: boolean): NodeModeRequest {
  if (!(NODE_MODES as readonly string[]).includes(value))
    throw new UsageError(`invalid --nodes "${value}": one of ${NODE_MODES.join(', ')}`, {
      hint: 'auto adopts the machines where the platform allows it and keeps the nodes in service otherwise',
    });
  if (withNodes && value === 'keep')
    throw new UsageError('--with-nodes means --nodes adopt, not --nodes keep', { hint: 'pass one of them' });
  return withNodes ? 'adopt' : (value as NodeModeRequest);
}
