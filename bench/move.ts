/**
 * Move benchmark (issue 15, issue 21) on the sandbox's move world (two management clusters, one DNS
 * server, external-DNS stand-ins, guest APIs, CAPI objects and the stand-in cloud), both
 * clusters on released HyperShift's etcd-init (no --name/--initial-cluster: an HA restore comes
 * up split, hypershift-domain.md §3.1): the hosted cluster's API downtime during `hcp-dr move` of a
 * ~100 MiB etcd (the built plugin, plugin/kubectl-hcp_dr), against the documented migration done
 * by hand on the same flavour (move-by-hand.ts: §2.7-2.9 as API operations, every control-plane
 * Secret but the docs' exclusions, the CAPI and AWS objects so the instances are adopted, then the
 * membership check and the in-place etcd restore by hand that repairs the split brain).
 * Rounds alternate in one run: the plugin moves demo one way, the SRE moves it back; each round
 * gives a paired ratio. Downtime is measured from outside, by the guest API's own reachability (what
 * clients see), for both legs; the plugin's own downtimeSeconds and the by-hand wall time (first
 * change until the name resolves to the destination) are reported beside it.
 * HCP_DR_BENCH_MOVE_MB (default 100), HCP_DR_BENCH_ROUNDS (default 3), HCP_DR_BENCH_PLUGIN (the plugin's
 * entry; default plugin/kubectl-hcp_dr of this checkout), HCP_DR_BENCH_VERBOSE (the plugin's -v lines, timed).
 */
import path from 'node:path';
import { fillEtcd } from '../test/sandbox/etcd/fill.ts';
import { demoMoveArgs, useSandboxCredentials } from '../test/support/sandbox-s3.ts';
import { REPO_ROOT, startSandbox, type ManagementCluster, type Sandbox } from '../test/sandbox/sandbox.ts';
import type { MoveResult } from '../src/core/move/types.ts';
import { emit, median, timedRun } from './lib.ts';
import { moveByHand, resolves, until } from './move-by-hand.ts';

const mb = Number(process.env['HCP_DR_BENCH_MOVE_MB'] ?? 100);
const rounds = Math.max(1, Number(process.env['HCP_DR_BENCH_ROUNDS'] ?? 3));
// HCP_DR_BENCH_PLUGIN: another build of the plugin (e.g. of a commit while the tree is being edited).
const entry = process.env['HCP_DR_BENCH_PLUGIN'] ?? path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
const CP = 'clusters-demo';

/** The guest API's downtime in one window: the outages that began in it, in seconds. */
function outageIn(sb: Sandbox, from: number, to: number): number {
  const guest = sb.guests!.get('demo-x7k2p');
  if (!guest) return NaN;
  return guest
    .outages()
    .filter((o) => o.from >= from && o.from <= to)
    .reduce((sum, o) => sum + (Math.min(o.to ?? to, to) - o.from) / 1000, 0);
}

/** The stand-in cloud's instances of demo: none may leak or be duplicated by either leg. */
function instancesOk(sb: Sandbox, expected: number): string | undefined {
  const running = (sb.cloud?.instances() ?? []).filter((i) => i.state === 'running');
  const leaked = running.filter((i) => i.leaked);
  if (leaked.length || running.length !== expected)
    return `${running.length} running instances (expected ${expected}), ${leaked.length} leaked`;
  return undefined;
}

/** Where the plugin's downtime goes: spans between its -v lines (seconds since its start, then the text). */
const MARKS: [string, RegExp][] = [
  ['frozen', /step: frozen$/],
  ['uploading', /uploading the backup/],
  ['uploaded', /snapshot\.db: \d+ bytes in .* completed/],
  ['backed-up', /step: backed-up$/],
  ['dns-released', /step: dns-released$/],
  ['applied', /step: node-pools$/],
  ['restored', /step: restored$/],
  ['repairing', /step: repairing$/],
  ['copying', /copying the snapshot/],
  ['volumes-restored', /step: volumes-restored$/],
  ['verified', /step: verified$/],
];
const SPANS: [string, string, string][] = [
  ['snapshot save and status', 'frozen', 'uploading'],
  ['snapshot upload', 'uploading', 'uploaded'],
  ['rest of the bundle', 'uploaded', 'backed-up'],
  ['DNS hand-off', 'backed-up', 'dns-released'],
  ['restore preflight and apply', 'dns-released', 'applied'],
  ['etcd-init until EtcdSnapshotRestored', 'applied', 'restored'],
  ['data verification', 'restored', 'repairing'],
  ['repair: API servers and etcd to 0, helper pods', 'repairing', 'copying'],
  ['repair: snapshot read from S3 into 3 volumes, checked, restored', 'copying', 'volumes-restored'],
  ['repair: etcd and API servers back, verified', 'volumes-restored', 'verified'],
];
function spansOf(lines: string[]): Record<string, number> {
  const at: Record<string, number> = {};
  for (const line of lines) {
    const sp = line.indexOf(' ');
    const [name] = MARKS.find(([n, re]) => at[n] === undefined && re.test(line.slice(sp + 1))) ?? [];
    if (name) at[name] = Number(line.slice(0, sp));
  }
  const out: Record<string, number> = {};
  for (const [label, a, b] of SPANS) if (at[a] !== undefined && at[b] !== undefined) out[label] = at[b] - at[a];
  if (at['uploaded'] === undefined && at['uploading'] !== undefined && at['backed-up'] !== undefined)
    out['snapshot and bundle upload'] = at['backed-up'] - at['uploading'];
  return out;
}

const sb = await startSandbox({
  etcdInit: 'released',
  etcdImageTrustsS3Ca: true,
  clusters: 2,
  guests: true,
  capi: true,
  seedKeys: 100,
  initBackoffMs: 1000,
});
const stop = () => void sb.stop().finally(() => process.exit(130));
process.once('SIGINT', stop).once('SIGTERM', stop);
useSandboxCredentials(sb);
try {
  const [m1, m2] = sb.clusters as [ManagementCluster, ManagementCluster];
  await until('api-demo published', async () => (await resolves(sb))[0] === m1.ingressAddress);
  const t0 = performance.now();
  await fillEtcd(sb.etcd, mb, { inFlight: 8 });
  console.log(`filled ${mb} MiB in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  const instances = (sb.cloud?.instances() ?? []).filter((i) => i.state === 'running').length;
  // useSandboxCredentials put the sandbox's AWS credentials into process.env.
  const env = { ...process.env, ...sb.env };
  const plugin = {
    outage: [] as number[],
    reported: [] as number[],
    repair: [] as number[],
    phases: {} as Record<string, number[]>,
    spans: {} as Record<string, number[]>,
  };
  const hand = { outage: [] as number[], wall: [] as number[], phases: {} as Record<string, number[]> };
  const repairs: string[] = [];
  let secrets = '';
  for (let round = 1; round <= rounds; round++) {
    const started = Date.now();
    const lines: string[] = [];
    let seen = 0;
    const run = await timedRun(
      entry,
      demoMoveArgs(sb, m1.context, m2.context, ['--wait-timeout', '20m', '--yes', '-o', 'json', '-v']),
      env,
      (text) => {
        const all = text.split('\n');
        for (; seen < all.length - 1; seen++) lines.push(`${((Date.now() - started) / 1000).toFixed(1)} ${all[seen]}`);
      },
    );
    if (run.code !== 0) throw new Error(`move failed (exit ${run.code}):\n${run.stderr}`);
    if (process.env['HCP_DR_BENCH_VERBOSE']) console.log(lines.join('\n'));
    const result = JSON.parse(run.stdout) as MoveResult;
    plugin.outage.push(outageIn(sb, started, Date.now()));
    plugin.reported.push(result.downtimeSeconds ?? NaN);
    const repair = result.restore?.repair;
    plugin.repair.push(repair?.apiDowntimeSeconds ?? 0);
    repairs.push(repair?.repaired ? 'repaired' : 'none');
    for (const p of result.phases) (plugin.phases[p.phase] ??= []).push(p.seconds);
    for (const [k, v] of Object.entries(spansOf(lines))) (plugin.spans[k] ??= []).push(v);
    if (!(await m2.operator!.etcd(CP)?.get('/bench/000000'))) throw new Error('the moved etcd has no /bench/000000');
    const afterPlugin = instancesOk(sb, instances);
    if (afterPlugin) throw new Error(`after the plugin's move: ${afterPlugin}`);

    const h = await moveByHand(sb, m2, m1, round);
    hand.outage.push(outageIn(sb, h.from, h.to));
    hand.wall.push(h.wallSeconds);
    for (const [k, v] of Object.entries(h.phases)) (hand.phases[k] ??= []).push(v);
    if (!h.repaired) repairs.push('by hand: no split brain');
    const byPlugin = new Set(lines.flatMap((l) => /created Secret clusters-demo\/(\S+)/.exec(l)?.[1] ?? []));
    const onlyHand = h.carriedSecrets.filter((n) => !byPlugin.has(n));
    const onlyPlugin = [...byPlugin].filter((n) => !h.carriedSecrets.includes(n));
    secrets = `control-plane Secrets carried: plugin ${byPlugin.size}, by hand ${h.carriedSecrets.length}${onlyHand.length ? ` (by hand only: ${onlyHand.join(', ')})` : ''}${onlyPlugin.length ? ` (plugin only: ${onlyPlugin.join(', ')})` : ''}`;
    console.log(secrets);
    if (!(await m1.operator!.etcd(CP)?.get('/bench/000000'))) throw new Error('the etcd moved by hand has no /bench/000000');
    const afterHand = instancesOk(sb, instances);
    if (afterHand) throw new Error(`after the move by hand: ${afterHand}`);
    console.log(
      `round ${round}: plugin API outage ${plugin.outage.at(-1)!.toFixed(1)} s (downtimeSeconds ${plugin.reported.at(-1)!.toFixed(1)} s, repair ${plugin.repair.at(-1)!.toFixed(1)} s, process ${(run.ms / 1000).toFixed(1)} s); by hand: API outage ${hand.outage.at(-1)!.toFixed(1)} s, wall ${h.wallSeconds.toFixed(1)} s (${Object.entries(
        h.phases,
      )
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')})`,
    );
  }
  const fmt = (phases: Record<string, number[]>) =>
    Object.entries(phases)
      .map(([k, v]) => `${k} ${median(v).toFixed(1)} s`)
      .join('; ');
  const ratios = plugin.outage.map((o, i) => o / (hand.outage[i] ?? NaN));
  const wallRatios = plugin.reported.map((o, i) => o / (hand.wall[i] ?? NaN));
  const outage = median(plugin.outage);
  const bench = `move ${mb} MiB`;
  const split = 'released etcd-init on both sides (split brain repaired in place on every destination)';
  emit({
    bench,
    metric: "hosted cluster's API downtime during `move` (guest API unreachable)",
    value: outage,
    unit: 's',
    baseline: {
      label: `the documented migration by hand + in-place etcd restore by hand (guest API unreachable), ${split}`,
      value: median(hand.outage),
    },
    ratio: outage / median(hand.outage),
    target: '≤ 1.2x',
    met: outage / median(hand.outage) <= 1.2,
    note: `${rounds} rounds alternating plugin (m1→m2) and by hand (m2→m1), etcd ${process.env['HCP_DR_ETCD_VERSION'] ?? '3.6'} members; medians of each leg; paired round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}); nodes adopted by both legs (CAPI and AWS objects applied before the NodePools), no instance leaked or duplicated; ${secrets}; repairs: ${repairs.join(', ')}`,
  });
  emit({
    bench,
    metric: 'of which: first change → API name at the destination (plugin downtimeSeconds; by hand, wall time)',
    value: median(plugin.reported),
    unit: 's',
    baseline: { label: 'the same by hand', value: median(hand.wall) },
    ratio: median(plugin.reported) / median(hand.wall),
    note: `paired round ratios ${wallRatios.map((r) => r.toFixed(2)).join(', ')} (median ${median(wallRatios).toFixed(2)})`,
  });
  emit({
    bench,
    metric: 'phases of `move` (medians)',
    value: outage,
    unit: 's',
    note: `${fmt(plugin.phases)}; within restore, the split-brain repair's API servers at 0: ${median(plugin.repair).toFixed(1)} s`,
  });
  emit({
    bench,
    metric: 'where the downtime of `move` goes (medians, from its -v lines)',
    value: median(plugin.reported),
    unit: 's',
    note: fmt(plugin.spans),
  });
  emit({ bench, metric: 'phases by hand (medians)', value: median(hand.wall), unit: 's', note: fmt(hand.phases) });
} finally {
  await sb.stop();
}
