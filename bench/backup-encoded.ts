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
 * The database holds Kubernetes-like objects (bench/kube-objects.ts: JSON Pods, ConfigMaps, Events,
 * Leases, and aescbc-encrypted Secrets as random bytes), not the random values of bench/backup.ts.
 * HCP_DR_BENCH_SIZE_MB (default 1024) sets the size, HCP_DR_BENCH_ROUNDS (default 1) the rounds,
 * HCP_DR_BENCH_VARIANTS (default zstd,age,zstd+age) the encodings measured against plain, for
 * exploring one of them (the full set is what RESULTS.md records).
 */
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { REPO_ROOT, startSandbox } from '../test/sandbox/sandbox.ts';
import { startS3ServerProcess } from '../test/sandbox/s3/server-process.ts';
import type { BackupManifest } from '../src/core/bundle/manifest.ts';
import { emit, loadNote, median, timedRun } from './lib.ts';
import { fillKubeObjects } from './kube-objects.ts';

const mb = Number(process.env['HCP_DR_BENCH_SIZE_MB'] ?? 1024);
const rounds = Math.max(1, Number(process.env['HCP_DR_BENCH_ROUNDS'] ?? 1));
const MiB = 1024 * 1024;
const BUCKET = 'hcp-dr-bench';

type Variant = 'plain' | 'zstd' | 'age' | 'zstd+age';
const ENCODED = ['zstd', 'age', 'zstd+age'] as const;
const chosen = (process.env['HCP_DR_BENCH_VARIANTS'] ?? ENCODED.join(',')).split(',');
const measured = ENCODED.filter((v) => chosen.includes(v));

interface Measured {
  rate: number;
  rss: number;
  manifest: BackupManifest;
}

/** `backup --online -v` with `extra` flags: the plain bytes' upload rate, peak RSS, backup.json. */
async function backupOnce(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  const at: Record<string, number> = {};
  // The last run's 1.4 GiB in the store's files is written back to disk now, not during this run.
  execFileSync('sync');
  const run = await timedRun(entry, args, env, (stderr) => {
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
  const ratios: Record<Exclude<Variant, 'plain'>, number[]> = { zstd: [], age: [], 'zstd+age': [] };
  const rates: Record<Variant, number[]> = { plain: [], zstd: [], age: [], 'zstd+age': [] };
  const rss: Record<Variant, number> = { plain: 0, zstd: 0, age: 0, 'zstd+age': 0 };
  let snapshotBytes = 0;
  let compressed = 0;
  let level: number | undefined;
  const failures: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    const m: Partial<Record<Variant, Measured>> = {};
    const plainRuns: Measured[] = [];
    // Plain first and last; the encoded ones in reverse order every other round, against drift.
    const encoded: Variant[] = round % 2 ? [...measured] : [...measured].reverse();
    for (const v of ['plain', ...encoded, 'plain'] as Variant[]) {
      // A loaded machine has starved the S3 server past the 120 s request timeout: one more try, counted.
      const r = await backupOnce(entry, [...common, ...flags[v]], env).catch((err: unknown) => {
        failures.push(`${v}: ${(err as Error).message}`);
        console.log(`round ${round}: ${v} failed, once more: ${(err as Error).message}`);
        return backupOnce(entry, [...common, ...flags[v]], env);
      });
      if (v === 'plain') plainRuns.push(r);
      else m[v] = r;
      rss[v] = Math.max(rss[v], r.rss);
      console.log(`round ${round}: ${v} ${r.rate.toFixed(1)} MiB/s, peak RSS ${(r.rss / MiB).toFixed(0)} MiB`);
    }
    const plainRate = plainRuns.reduce((s, r) => s + r.rate, 0) / plainRuns.length;
    rates.plain.push(plainRate);
    snapshotBytes = plainRuns[0]!.manifest.snapshot.size;
    for (const v of measured) {
      rates[v].push(m[v]!.rate);
      ratios[v].push(m[v]!.rate / plainRate);
    }
    const rec = m.zstd?.manifest.storage?.objects.find((o) => o.url.endsWith('/snapshot.db'));
    compressed = rec?.compressedSize ?? rec?.storedSize ?? 0;
    level = m.zstd?.manifest.storage?.compressionLevel;
  }
  const plain = median(rates.plain);
  const retried = failures.length ? `; ${failures.length} run(s) failed and were run again (${failures.join('; ')})` : '';
  const roundsNote = `${rounds === 1 ? 'one round' : `medians of ${rounds} rounds`}${loadNote(startLoad)}${retried}`;
  const label: Record<Exclude<Variant, 'plain'>, string> = {
    zstd: '--compress zstd',
    age: '--encrypt-to (age)',
    'zstd+age': '--compress zstd --encrypt-to',
  };
  for (const v of measured) {
    const ratio = median(ratios[v]);
    emit({
      bench: `backup ${mb} MiB, encoded`,
      metric: `transfer rate pod → S3, backup ${label[v]}`,
      value: median(rates[v]),
      unit: 'MiB/s',
      baseline: { label: 'plain backup, same run', value: plain },
      ratio,
      target: '≥ 0.9x',
      met: ratio >= 0.9,
      note: `${(snapshotBytes / MiB).toFixed(0)} MiB snapshot of Kubernetes-like objects, rate of plain bytes; plain run before and after, mean; round ratios ${ratios[v].map((r) => r.toFixed(2)).join(', ')}; ${roundsNote}`,
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
      note: `highest of ${v === 'plain' ? 2 * rounds : rounds} runs${loadNote(startLoad)}`,
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
