/**
 * Start-up of the release binary (Node SEA) against `node -e 0` of the same pinned Node, in one
 * session: median wall time of `--help` (target ≤ 1.5x) and `version`; the checkout entry
 * `node dist/hcp-dr.cjs --help` (the foundation issue's target, ≤ 2x); user+sys CPU time, which a
 * busy machine disturbs less than wall time; the binary's and the archive's size. hyperfine runs
 * its commands one after the other, so a burst of load on this 2-core machine would land on one
 * command only: the runs are taken in ROUNDS interleaved rounds and the medians pooled.
 * Builds the binary first when dist/sea has none (HCP_DR_BENCH_REBUILD=1 forces it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, median } from './lib.ts';
import { NODE_FLAGS } from '../plugin/sea-loader.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = path.join(root, 'node_modules', 'node', 'bin', 'node');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const sea = path.join(root, 'dist', 'sea', 'linux_amd64', 'kubectl-hcp_dr');
const archive = path.join(root, 'dist', 'release', `hcp-dr_${version}_linux_amd64.tar.gz`);
const checkout = path.join(root, 'dist', 'hcp-dr.cjs');

function must(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})`);
}

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('bench/startup.ts measures the linux/amd64 binary');
if (!existsSync(sea) || process.env['HCP_DR_BENCH_REBUILD'] === '1') must(node, ['plugin/package.ts'], 'npm run package');
if (!existsSync(checkout)) must(node, ['plugin/build.ts'], 'npm run build');
if (spawnSync('hyperfine', ['--version']).error) throw new Error('hyperfine is not installed (apt-get install hyperfine)');

interface HyperfineResult {
  times: number[];
  user: number;
  system: number;
}
interface Sample {
  median: number;
  cpu: number;
}
const ROUNDS = 6;
const RUNS_PER_ROUND = 10;
const commands = {
  baseline: `${node} -e 0`,
  help: `${sea} --help`,
  version: `${sea} version`,
  // As plugin/kubectl-hcp_dr runs it: V8 takes the trained cache only under NODE_FLAGS.
  checkout: `${node} ${NODE_FLAGS.join(' ')} ${checkout} --help`,
};
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-bench-'));
const out = path.join(tmp, 'startup.json');
try {
  const times: number[][] = Object.keys(commands).map(() => []);
  const cpu: number[][] = Object.keys(commands).map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const args = ['-N', '--warmup', '3', '--runs', String(RUNS_PER_ROUND), '--export-json', out, '--style', 'none'];
    const r = spawnSync('hyperfine', [...args, ...Object.values(commands)], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`hyperfine failed (exit ${r.status})`);
    const results = (JSON.parse(readFileSync(out, 'utf8')) as { results: HyperfineResult[] }).results;
    results.forEach((res, i) => {
      times[i]?.push(...res.times);
      cpu[i]?.push(res.user + res.system);
    });
  }
  const [baseline, help, ver, fromCheckout] = times.map((t, i) => ({ median: median(t), cpu: median(cpu[i] ?? []) })) as [
    Sample,
    Sample,
    Sample,
    Sample,
  ];
  const ms = (s: number) => Math.round(s * 10000) / 10;
  const base = { label: 'node -e 0', value: ms(baseline.median) };
  const figure = (metric: string, res: Sample, limit: number, what: string) => {
    const ratio = Math.round((res.median / baseline.median) * 100) / 100;
    emit({
      bench: 'startup',
      metric,
      value: ms(res.median),
      unit: 'ms',
      baseline: base,
      ratio,
      target: `≤ ${limit}x ${what}`,
      met: ratio <= limit,
      note: `user+sys CPU ${ms(res.cpu)} ms, ${(res.cpu / baseline.cpu).toFixed(2)}x`,
    });
  };
  const runs = `median of ${ROUNDS * RUNS_PER_ROUND} runs in ${ROUNDS} interleaved rounds`;
  figure(`SEA \`--help\`, ${runs} (hyperfine -N)`, help, 1.5, 'node -e 0');
  figure(`SEA \`version\`, ${runs}`, ver, 1.5, 'node -e 0');
  figure(`checkout \`node dist/hcp-dr.cjs --help\`, ${runs}`, fromCheckout, 2, 'node -e 0');
  emit({
    bench: 'startup',
    metric: 'binary size (linux/amd64, stripped)',
    value: Math.round(statSync(sea).size / 1e5) / 10,
    unit: 'MB',
    note: `node itself: ${Math.round(statSync(node).size / 1e5) / 10} MB unstripped`,
  });
  if (existsSync(archive)) {
    emit({
      bench: 'startup',
      metric: 'archive size (tar.gz: kubectl-hcp_dr, oc-hcp_dr, LICENSE)',
      value: Math.round(statSync(archive).size / 1e5) / 10,
      unit: 'MB',
    });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
