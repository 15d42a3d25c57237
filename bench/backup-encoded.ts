/**
 * Backup with --compress zstd and --encrypt-to against a plain backup of the same snapshot, in
 * one run on one sandbox (issue 25): the same ~1 GiB etcd database backed up `--online` plain,
 * compressed, encrypted, and both, each by the plugin process into the same S3 server process.
 *  - transfer rate: plain snapshot bytes over the upload time (step `resumed` → `uploaded`, as
 *    bench/backup.ts measures it), of each encoding against the plain backups of the same round
 *    (target ≥ 0.9x); the plain backup runs first and last in each round, and its mean is the baseline
 *    (the encoded ones run in reverse order every other round);
 *  - peak RSS of the plugin process for each (target ≤ 200 MiB);
 *  - the zstd ratio on that snapshot (plain size over compressed size, from backup.json).
 * Each round runs in two layouts of the 2 cores, plain and encoded alike:
 *  - shared: the plugin, the sandbox's API server and etcd, and the S3 server on both cores. The
 *    world keeps both busy, so every CPU second the plugin adds slows the world down with it: the
 *    rate then measures the plugin's share of one machine's CPU, not a transfer.
 *  - own core: the world on core 0, the plugin on core 1 (taskset), as in the field, where the
 *    plugin runs on a workstation or a node of its own, and etcd and the store elsewhere. Encoding
 *    slows the transfer here only where the plugin cannot keep up with the world on one core.
 * The second layout needs 2 cores and taskset; without them it is left out, and says so.
 * The database holds Kubernetes-like objects (bench/kube-objects.ts: JSON Pods, ConfigMaps, Events,
 * Leases, and aescbc-encrypted Secrets as random bytes), not the random values of bench/backup.ts.
 * HCP_DR_BENCH_SIZE_MB (default 1024) sets the size, HCP_DR_BENCH_ROUNDS (default 1) the rounds,
 * HCP_DR_BENCH_VARIANTS (default zstd,age,zstd+age) the encodings measured against plain, for
 * exploring one of them (the full set is what RESULTS.md records).
 */
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { REPO_ROOT, startSandbox } from '../test/sandbox/sandbox.ts';
import { startS3ServerProcess } from '../test/sandbox/s3/server-process.ts';
import type { BackupManifest } from '../src/core/bundle/manifest.ts';
import { emit, loadNote, median, pinTree, timedRun } from './lib.ts';
import { fillKubeObjects } from './kube-objects.ts';

const mb = Number(process.env['HCP_DR_BENCH_SIZE_MB'] ?? 1024);
const rounds = Math.max(1, Number(process.env['HCP_DR_BENCH_ROUNDS'] ?? 1));
const MiB = 1024 * 1024;
const BUCKET = 'hcp-dr-bench';

type Variant = 'plain' | 'zstd' | 'age' | 'zstd+age';
const ENCODED = ['zstd', 'age', 'zstd+age'] as const;
const chosen = (process.env['HCP_DR_BENCH_VARIANTS'] ?? ENCODED.join(',')).split(',');
const measured = ENCODED.filter((v) => chosen.includes(v));

type Layout = 'shared' | 'own core';
const CORES = os.cpus().length;
const canPin = CORES >= 2 && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
const layouts: Layout[] = canPin ? ['shared', 'own core'] : ['shared'];
if (!canPin) console.log('layout "own core" left out: it needs 2 cores and taskset');
const ALL_CORES = `0-${CORES - 1}`;

const emptyRates = (): Record<Variant, number[]> => ({ plain: [], zstd: [], age: [], 'zstd+age': [] });

interface Measured {
  rate: number;
  rss: number;
  manifest: BackupManifest;
}

/** `backup --online -v` with `extra` flags: the plain bytes' upload rate, peak RSS, backup.json. */
async function backupOnce(layout: Layout, entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  const at: Record<string, number> = {};
  // The last run's 1.4 GiB in the store's files is written back to disk now, not during this run.
  execFileSync('sync');
  // The plugin's entry is a shell script that execs node, so the pin holds for node too.
  const [cmd, argv] = layout === 'own core' ? ['taskset', ['-c', '1', entry, ...args]] : [entry, args];
  const run = await timedRun(cmd, argv, env, (stderr) => {
    for (const step of ['resumed', 'uploaded'])
      if (at[step] === undefined && stderr.includes(`debug: step: ${step}\n`)) at[step] = performance.now();
  });
  if (run.code !== 0)
    throw new Error(
      `backup failed: ${run.stderr
        .split('\n')
        .filter((l) => /^(error|hint):/.test(l))
        .join(' ')}`,
    );
  const manifest = JSON.parse(run.stdout) as BackupManifest;
  const seconds = ((at['uploaded'] ?? 0) - (at['resumed'] ?? 0)) / 1000;
  return { rate: manifest.snapshot.size / MiB / seconds, rss: run.peakRssBytes, manifest };
}

/** Load from other work, read before this benchmark's own set-up adds to it. */
const startLoad = os.loadavg()[0] ?? 0;
const sb = await startSandbox({ seedKeys: 100 });
const s3 = await startS3ServerProcess({ dir: path.join(sb.dir, 's3-bench'), buckets: [BUCKET] }).catch(async (err: unknown) => {
  await sb.stop();
  throw err;
});
try {
  const t0 = performance.now();
  const filled = await fillKubeObjects(sb.etcd, mb, 8);
  console.log(`filled ${filled.keys} objects, ${(filled.bytes / MiB).toFixed(0)} MiB, in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  writeFileSync(path.join(sb.dir, 'bench-age.txt'), `${identity}\n`, { mode: 0o600 });
  const env = {
    ...process.env,
    ...sb.env,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
  };
  const base = ['backup', 'demo', '--to', `s3://${BUCKET}/hcp`, '--endpoint', s3.endpoint, '--path-style'];
  const common = [...base, '--kubeconfig', sb.kubeconfig, '-n', 'clusters', '-o', 'json', '--online', '-v'];
  const flags: Record<Variant, string[]> = {
    plain: [],
    zstd: ['--compress', 'zstd'],
    age: ['--encrypt-to', recipient],
    'zstd+age': ['--compress', 'zstd', '--encrypt-to', recipient],
  };
  const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
  type Rates = Record<Variant, number[]>;
  const rates: Record<Layout, Rates> = { shared: emptyRates(), 'own core': emptyRates() };
  const ratios: Record<Layout, Rates> = { shared: emptyRates(), 'own core': emptyRates() };
  const rss: Record<Variant, number> = { plain: 0, zstd: 0, age: 0, 'zstd+age': 0 };
  let snapshotBytes = 0;
  let compressed = 0;
  let level: number | undefined;
  const failures: string[] = [];
  /** One round in one layout: plain first and last, the encoded ones in between. */
  async function round(n: number, layout: Layout): Promise<void> {
    pinTree(process.pid, layout === 'own core' ? '0' : ALL_CORES);
    const m: Partial<Record<Variant, Measured>> = {};
    const plainRuns: Measured[] = [];
    // The encoded ones in reverse order every other round, against drift.
    const encoded: Variant[] = n % 2 ? [...measured] : [...measured].reverse();
    for (const v of ['plain', ...encoded, 'plain'] as Variant[]) {
      // A loaded machine has starved the S3 server past the 120 s request timeout: one more try, counted.
      const r = await backupOnce(layout, entry, [...common, ...flags[v]], env).catch((err: unknown) => {
        failures.push(`${layout}, ${v}: ${(err as Error).message}`);
        console.log(`round ${n}, ${layout}: ${v} failed, once more: ${(err as Error).message}`);
        return backupOnce(layout, entry, [...common, ...flags[v]], env);
      });
      if (v === 'plain') plainRuns.push(r);
      else m[v] = r;
      rss[v] = Math.max(rss[v], r.rss);
      console.log(`round ${n}, ${layout}: ${v} ${r.rate.toFixed(1)} MiB/s, peak RSS ${(r.rss / MiB).toFixed(0)} MiB`);
    }
    const plainRate = plainRuns.reduce((s, r) => s + r.rate, 0) / plainRuns.length;
    rates[layout].plain.push(plainRate);
    snapshotBytes = plainRuns[0]!.manifest.snapshot.size;
    for (const v of measured) {
      rates[layout][v].push(m[v]!.rate);
      ratios[layout][v].push(m[v]!.rate / plainRate);
    }
    const rec = m.zstd?.manifest.storage?.objects.find((o) => o.url.endsWith('/snapshot.db'));
    compressed = rec?.compressedSize ?? rec?.storedSize ?? 0;
    level = m.zstd?.manifest.storage?.compressionLevel;
  }
  // The first backup after the fill ran at two thirds of the rate of the later ones (etcd still
  // writing the fill back): a warm-up, not measured.
  await backupOnce('shared', entry, common, env);
  try {
    // The layouts alternate in order too, so neither always runs on a machine the other warmed.
    for (let n = 1; n <= rounds; n++) for (const layout of n % 2 ? layouts : [...layouts].reverse()) await round(n, layout);
  } finally {
    pinTree(process.pid, ALL_CORES);
  }
  const retried = failures.length ? `; ${failures.length} run(s) failed and were run again (${failures.join('; ')})` : '';
  const roundsNote = `${rounds === 1 ? 'one round' : `medians of ${rounds} rounds`}${loadNote(startLoad)}${retried}`;
  const label: Record<Exclude<Variant, 'plain'>, string> = {
    zstd: '--compress zstd',
    age: '--encrypt-to (age)',
    'zstd+age': '--compress zstd --encrypt-to',
  };
  const where: Record<Layout, string> = {
    shared: 'plugin and world sharing both cores',
    'own core': 'plugin on a core of its own, world on the other',
  };
  for (const layout of layouts)
    for (const v of measured) {
      const ratio = median(ratios[layout][v]);
      emit({
        bench: `backup ${mb} MiB, encoded`,
        metric: `transfer rate pod → S3, backup ${label[v]}, ${where[layout]}`,
        value: median(rates[layout][v]),
        unit: 'MiB/s',
        baseline: { label: 'plain backup, same run and layout', value: median(rates[layout].plain) },
        ratio,
        target: '≥ 0.9x',
        met: ratio >= 0.9,
        note: `${(snapshotBytes / MiB).toFixed(0)} MiB snapshot of Kubernetes-like objects, rate of plain bytes; plain run before and after, mean; round ratios ${ratios[layout][v].map((r) => r.toFixed(2)).join(', ')}; ${roundsNote}`,
      });
    }
  for (const v of ['plain', ...measured] as const) {
    emit({
      bench: `backup ${mb} MiB, encoded`,
      metric: `peak RSS of the plugin, backup --online ${v === 'plain' ? '(plain)' : label[v]}`,
      value: rss[v] / MiB,
      unit: 'MiB',
      target: '≤ 200 MiB',
      met: rss[v] <= 200 * MiB,
      note: `highest of ${(v === 'plain' ? 2 : 1) * rounds * layouts.length} runs, both layouts${loadNote(startLoad)}`,
    });
  }
  if (compressed)
    emit({
      bench: `backup ${mb} MiB, encoded`,
      metric: 'zstd compression ratio of the etcd snapshot (plain / compressed)',
      value: snapshotBytes / compressed,
      unit: 'x',
      note: `zstd level ${level ?? 'unrecorded'}; ${(snapshotBytes / MiB).toFixed(0)} MiB → ${(compressed / MiB).toFixed(0)} MiB; ${filled.keys} JSON objects (35% Pods, 20% ConfigMaps, 20% Events, 10% Leases, 15% aescbc-encrypted Secrets = random bytes); real etcd stores built-in types as protobuf, which compresses less`,
    });
} finally {
  await s3.stop();
  await sb.stop();
}
