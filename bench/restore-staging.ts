/**
 * What staging costs a restore (issue 25): `hcp-dr restore` of the same ~100 MiB etcd data from a
 * plain backup and from an age-encrypted, zstd-compressed one, in the same sandbox and run, rounds
 * interleaved (plain first in odd rounds, encoded first in even ones). The encoded restore decodes
 * the snapshot into a staged plain copy (.hcp-dr-staging/), pre-signs that for etcd-init, and deletes
 * it after the data is verified; the plain one pre-signs the stored snapshot. Figures: wall time of
 * each (the built plugin, as users run it) and their ratio, the staging phase itself (from the -v step
 * lines: `staged` until the next step), and the plugin's peak RSS while staging.
 * HCP_DR_BENCH_STAGING_MB (default 100) and HCP_DR_BENCH_STAGING_ROUNDS (default 3).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { fillEtcd } from '../test/sandbox/etcd/fill.ts';
import { demoBackupArgs } from '../test/support/sandbox-s3.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../test/sandbox/sandbox.ts';
import type { BackupManifest } from '../src/core/bundle/manifest.ts';
import type { RestoreResult } from '../src/core/contracts/restore.ts';
import { deleteDemo } from './demo-cluster.ts';
import { emit, loadNote, median, timedRun } from './lib.ts';

const MB = Number(process.env['HCP_DR_BENCH_STAGING_MB'] ?? 100);
const ROUNDS = Math.max(1, Number(process.env['HCP_DR_BENCH_STAGING_ROUNDS'] ?? 3));
const MiB = 1024 * 1024;
const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
let current: Sandbox | undefined;

async function backup(sb: Sandbox, extra: string[]): Promise<string> {
  const run = await timedRun(entry, demoBackupArgs(sb, ['--online', '-o', 'json', ...extra]), { ...process.env, ...sb.env });
  if (run.code !== 0) throw new Error(`backup failed:\n${run.stderr}`);
  const m = JSON.parse(run.stdout) as BackupManifest;
  return `s3://${sb.s3.bucket}/hcp/clusters/demo/${m.id}/`;
}

interface Round {
  seconds: number;
  stagedSeconds: number;
  peakRss: number;
}

async function restore(sb: Sandbox, url: string, extra: string[]): Promise<Round> {
  await deleteDemo(sb);
  // The runner prints `step: <phase>` after each phase: staging is from the step before `staged` to it.
  const seen: { step: string; at: number }[] = [];
  const s3 = ['--endpoint', sb.s3.httpsEndpoint, '--ca-bundle', sb.s3.caFile, '--path-style'];
  const args = ['restore', url, '--kubeconfig', sb.kubeconfig, ...s3, '--wait-timeout', '20m', '-o', 'json', '-v', ...extra];
  const run = await timedRun(entry, args, { ...process.env, ...sb.env }, (stderr) => {
    for (const m of stderr.matchAll(/debug: step: (\S+)\n/g))
      if (!seen.some((x) => x.step === m[1])) seen.push({ step: m[1]!, at: Date.now() });
  });
  if (run.code !== 0) throw new Error(`restore failed (exit ${run.code}):\n${run.stderr}`);
  const result = JSON.parse(run.stdout) as RestoreResult;
  if (result.verdict.state !== 'Restored') throw new Error(`restore ended ${result.verdict.state}: ${result.verdict.reason}`);
  const i = seen.findIndex((x) => x.step === 'staged');
  const staged = i > 0 ? (seen[i]!.at - seen[i - 1]!.at) / 1000 : NaN;
  return { seconds: run.ms / 1000, stagedSeconds: staged, peakRss: run.peakRssBytes };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void Promise.allSettled([current?.stop()]).finally(() => process.exit(1)));
}

/** Load from other work, read before this benchmark's own set-up adds to it. */
const startLoad = os.loadavg()[0] ?? 0;
const sb = await startSandbox({ etcdImageTrustsS3Ca: true, seedKeys: 100, initBackoffMs: 1000, etcdInit: 'fixed' });
current = sb;
try {
  await fillEtcd(sb.etcd, MB, { inFlight: 8 });
  const identity = await generateIdentity();
  const identityFile = path.join(sb.dir, 'bench-age-identity.txt');
  writeFileSync(identityFile, `${identity}\n`, { mode: 0o600 });
  const plainUrl = await backup(sb, []);
  const encodedUrl = await backup(sb, ['--encrypt-to', await identityToRecipient(identity), '--compress', 'zstd']);
  const plain: Round[] = [];
  const encoded: Round[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const legs = [
      async () => plain.push(await restore(sb, plainUrl, [])),
      async () => encoded.push(await restore(sb, encodedUrl, ['--decrypt-with', identityFile])),
    ];
    for (const leg of round % 2 ? legs : legs.reverse()) await leg();
    console.log(
      `round ${round}: plain ${plain.at(-1)!.seconds.toFixed(1)} s, encrypted+compressed ${encoded.at(-1)!.seconds.toFixed(1)} s (staging ${encoded.at(-1)!.stagedSeconds.toFixed(1)} s)`,
    );
  }
  const bench = `restore ${MB} MiB`;
  const p = median(plain.map((r) => r.seconds));
  const e = median(encoded.map((r) => r.seconds));
  const ratios = encoded.map((r, i) => (r.seconds / plain[i]!.seconds).toFixed(2)).join(', ');
  emit({
    bench,
    metric: 'time to a verified restore from an age-encrypted, zstd-compressed backup (staged plain copy)',
    value: e,
    unit: 's',
    baseline: { label: 'the same restore from a plain backup', value: p },
    ratio: e / p,
    note: `medians of ${ROUNDS} interleaved rounds, round ratios ${ratios}${loadNote(startLoad)}`,
  });
  emit({
    bench,
    metric: 'of which: staging (decode + upload of the plain copy, verified)',
    value: median(encoded.map((r) => r.stagedSeconds)),
    unit: 's',
    note: 'from the -v step lines (printed after each phase): the step before `staged` to `staged`; the copy is deleted after verification',
  });
  emit({
    bench,
    metric: 'peak RSS of the plugin (restore with staging)',
    value: Math.max(...encoded.map((r) => r.peakRss)) / MiB,
    unit: 'MiB',
    baseline: { label: 'restore from the plain backup', value: Math.max(...plain.map((r) => r.peakRss)) / MiB },
    target: '≤ 200 MiB',
    met: Math.max(...encoded.map((r) => r.peakRss)) / MiB <= 200,
    note: `highest of ${ROUNDS} rounds`,
  });
} finally {
  await sb.stop();
  current = undefined;
}
