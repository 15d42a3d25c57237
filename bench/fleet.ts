/**
 * Fleet benchmarks (issue 16), on one sandbox management cluster holding many hosted clusters,
 * each with its own real etcd. To keep 50 control planes affordable on a small machine every
 * hosted cluster is SingleReplica (one etcd member; the seeded demo too), so the baseline is the
 * same kind of cluster:
 *  - `etcd status -A` over all of them against one cluster's `etcd status`, same run (target ≤ 3x);
 *  - `backup --all --online` of 10 of them (selected with -l) against 10 sequential single
 *    `backup --online` runs of the same clusters, same run (target ≤ 0.4x of their sum, issue 24).
 *    An online backup makes three execs into the etcd pod (probe; snapshot save + status; read +
 *    remove) and writes its HostedCluster twice (the lock naming the snapshot file, the release);
 *    a fleet run reads the management cluster's identity once and starts the next backup as soon
 *    as one's snapshot is stored.
 * Both through the checkout plugin (`npm run build` first). Rounds interleave the two sides; status -A
 * compares the medians, the backups the median of the rounds' paired ratios (a round's two sides run
 * back to back, under about the same load: the machine is shared, so single rounds wander). Every etcd member, etcd pod
 * process and the API server run on this machine, so what a real fleet spreads over its management
 * clusters' nodes (each pod's curl or etcdctl, each member's work) is counted here against the plugin.
 * HCP_DR_BENCH_FLEET_CLUSTERS (default 50), HCP_DR_BENCH_FLEET_BACKUPS (10), HCP_DR_BENCH_ROUNDS (3),
 * HCP_DR_BENCH_FLEET_BACKUP_ROUNDS (5). HCP_DR_BENCH_FLEET_COMPARE=<another build's plugin/kubectl-hcp_dr> (e.g. of
 * the last commit, built from `git archive`) runs its fleet and sequential backups in the same rounds and prints the
 * paired ratios of both builds (not stored): a before/after under the same load.
 */
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startSandbox, type ExtraHostedCluster } from '../test/sandbox/sandbox.ts';
import type { FleetBackupResult } from '../src/core/backup/fleet.ts';
import type { EtcdSummary } from '../src/core/etcd/status-all.ts';
import { emit, loadNote, median, timedRun } from './lib.ts';

const clusters = Math.max(2, Number(process.env['HCP_DR_BENCH_FLEET_CLUSTERS'] ?? 50));
const backups = Math.min(clusters - 1, Math.max(1, Number(process.env['HCP_DR_BENCH_FLEET_BACKUPS'] ?? 10)));
const rounds = Math.max(1, Number(process.env['HCP_DR_BENCH_ROUNDS'] ?? 3));
const backupRounds = Math.max(1, Number(process.env['HCP_DR_BENCH_FLEET_BACKUP_ROUNDS'] ?? 5));
const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
const compare = process.env['HCP_DR_BENCH_FLEET_COMPARE'];

// clusters/demo (seeded) plus clusters/c01..; the first `backups` added ones carry bench=backup.
const extra: ExtraHostedCluster[] = Array.from({ length: clusters - 1 }, (_, i) => ({
  name: `c${String(i + 1).padStart(2, '0')}`,
  policy: 'SingleReplica',
  ...(i < backups ? { labels: { bench: 'backup' } } : {}),
}));
const started = performance.now();
// Readiness probes every 2 s, not the tests' 300 ms: 50 members' probes would otherwise take a core of this machine.
const sb = await startSandbox({ members: 1, policy: 'SingleReplica', seedKeys: 100, hostedClusters: extra, readinessPollMs: 2000 });
console.log(`sandbox with ${clusters} hosted clusters up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const stop = () => void sb.stop().finally(() => process.exit(130));
process.once('SIGINT', stop).once('SIGTERM', stop);
try {
  const env = { ...process.env, ...sb.env };
  const kc = ['--kubeconfig', sb.kubeconfig];
  // Through sh, whose `times` prints the CPU its children used: the plugin's own share of a run.
  const run = async (args: string[], what: string, plugin = entry) => {
    const r = await timedRun('sh', ['-c', '"$0" "$@"; rc=$?; times >&2; exit $rc', plugin, ...args, ...kc], env);
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.slice(-2000)}`);
    return { ...r, cpuMs: childCpuMs(r.stderr) };
  };

  // 1. etcd status -A over every cluster against one cluster's etcd status.
  await run(['etcd', 'status', 'demo', '-n', 'clusters'], 'warm-up');
  const single: number[] = [];
  const all: number[] = [];
  const singleCpu: number[] = [];
  const allCpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const one = await run(['etcd', 'status', 'c01', '-n', 'clusters'], 'etcd status');
    single.push(one.ms);
    singleCpu.push(one.cpuMs);
    const a = await run(['etcd', 'status', '-A', '-o', 'json'], 'etcd status -A');
    allCpu.push(a.cpuMs);
    const items = (JSON.parse(a.stdout) as EtcdSummary).items;
    if (items.length !== clusters || items.some((i) => i.state !== 'Healthy'))
      throw new Error(`etcd status -A: ${a.stdout.slice(0, 2000)}`);
    all.push(a.ms);
  }
  const statusRatio = median(all) / median(single);
  emit({
    bench: 'fleet',
    metric: `etcd status -A over ${clusters} hosted clusters (SingleReplica, median of ${rounds})`,
    value: Math.round(median(all)),
    unit: 'ms',
    baseline: { label: 'etcd status of one', value: Math.round(median(single)) },
    ratio: statusRatio,
    target: '≤ 3x',
    met: statusRatio <= 3,
    note: `round ratios ${all.map((a, i) => (a / (single[i] ?? a)).toFixed(1)).join(', ')}; 16 clusters at a time (the default); -A asks each pod through one curl, one cluster's status adds etcdctl hashkv`,
  });

  emit({
    bench: 'fleet',
    metric: `of which: the plugin process's own CPU (user + system) for -A over ${clusters}`,
    value: Math.round(median(allCpu)),
    unit: 'ms',
    baseline: { label: 'for the status of one', value: Math.round(median(singleCpu)) },
    ratio: median(allCpu) / median(singleCpu),
    note: 'what the plugin itself costs; the rest of the run is the pods, etcd members and API server this machine simulates',
  });

  // 2. backup --all --online of `backups` clusters against as many sequential single backups.
  const names = extra.slice(0, backups).map((c) => c.name);
  const to = ['--to', `s3://${sb.s3.bucket}/bench`, '--endpoint', sb.s3.endpoint, '--path-style', '--online'];
  const fleet: number[] = [];
  const sequential: number[] = [];
  const backupLoad = os.loadavg()[0] ?? 0;
  const backUpAll = async (plugin: string) => {
    let sum = 0;
    for (const name of names) sum += (await run(['backup', name, '-n', 'clusters', ...to], `backup ${name}`, plugin)).ms;
    const f = await run(['backup', '--all', '-l', 'bench=backup', ...to, '-o', 'json'], 'backup --all', plugin);
    const result = JSON.parse(f.stdout) as FleetBackupResult;
    if (result.summary.succeeded !== backups) throw new Error(`backup --all: ${f.stdout.slice(0, 2000)}`);
    return { sequential: sum, fleet: f.ms };
  };
  const compared: { sequential: number; fleet: number }[] = [];
  for (let r = 0; r < backupRounds; r++) {
    if (compare) compared.push(await backUpAll(compare));
    const round = await backUpAll(entry);
    sequential.push(round.sequential);
    fleet.push(round.fleet);
  }
  const paired = fleet.map((f, i) => f / (sequential[i] ?? f));
  if (compare) {
    const side = (label: string, rounds: { sequential: number; fleet: number }[]) =>
      `${label}: fleet ${Math.round(median(rounds.map((x) => x.fleet)))} ms, sequential ${Math.round(median(rounds.map((x) => x.sequential)))} ms, ratios ${rounds.map((x) => (x.fleet / x.sequential).toFixed(2)).join(', ')} (median ${median(rounds.map((x) => x.fleet / x.sequential)).toFixed(2)})`;
    console.log(side(`compared ${compare}`, compared));
    console.log(
      side(
        'this checkout',
        fleet.map((f, i) => ({ fleet: f, sequential: sequential[i] ?? f })),
      ),
    );
  }
  const backupRatio = median(paired);
  emit({
    bench: 'fleet',
    metric: `backup --all --online of ${backups} hosted clusters (SingleReplica, median of ${backupRounds})`,
    value: Math.round(median(fleet)),
    unit: 'ms',
    baseline: { label: `${backups} sequential backup --online`, value: Math.round(median(sequential)) },
    ratio: backupRatio,
    target: '≤ 0.4x',
    met: backupRatio <= 0.4,
    note: `ratio: median of the paired round ratios ${paired.map((r) => r.toFixed(2)).join(', ')}; --concurrency 4 (the default); 3 execs and 2 HostedCluster writes per backup${loadNote(backupLoad)}`,
  });
} finally {
  await sb.stop();
}

/** The children's user and system time from the last line `times` printed ("0m0.68s 0m0.23s"). */
function childCpuMs(stderr: string): number {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stderr);
  if (!m) throw new Error(`no CPU times in: ${stderr.slice(-200)}`);
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}
