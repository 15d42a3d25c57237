/**
 * Backup benchmarks on the sandbox, for a ~100 MB and a ~1 GiB etcd database:
 *  - transfer: the plugin's path (exec `cat` → SHA-256 → SigV4 multipart upload) against the
 *    same bytes through the same exec path into `curl -T` with a pre-signed PUT, same S3 server;
 *  - peak RSS of the plugin process running `backup --online` (target ≤ 200 MB, ≤ 1.2x growth);
 *  - API downtime of `backup --quiesce` against a bare `etcdctl snapshot save` of the same DB.
 * Set HCP_DR_BENCH_SIZES_MB=100,1024 to change the sizes.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { REPO_ROOT, startSandbox, type Sandbox } from '../test/sandbox/sandbox.ts';
import type { BackupManifest } from '../src/core/backup/manifest.ts';
import { emit, timedRun } from './lib.ts';

const sizes = (process.env['HCP_DR_BENCH_SIZES_MB'] ?? '100,1024').split(',').map(Number);
const MiB = 1024 * 1024;

async function fill(sb: Sandbox, megabytes: number): Promise<void> {
  // 1 MiB random values (incompressible), 8 puts in flight; etcd's request limit is 1.5 MiB.
  let next = 0;
  const worker = async () => {
    while (next < megabytes) {
      const i = next++;
      await sb.etcd.put(`/bench/${String(i).padStart(6, '0')}`, randomBytes(MiB - 1024).toString('base64').slice(0, MiB - 1024));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** The plugin's own `backup --online -v`: upload time from its step lines, peak RSS, the manifest. */
async function pluginBackup(entry: string, args: string[], env: NodeJS.ProcessEnv) {
  const at: Record<string, number> = {};
  const run = await timedRun(entry, args, env, (stderr) => {
    for (const step of ['resumed', 'uploaded']) if (at[step] === undefined && stderr.includes(`debug: step: ${step}\n`)) at[step] = performance.now();
  });
  const manifest = run.code === 0 ? (JSON.parse(run.stdout) as BackupManifest) : undefined;
  // The uploader's -v line: "<url>: N bytes in P parts in X s, completed in Y s".
  const parts = /snapshot\.db: \d+ bytes in \d+ parts in ([\d.]+) s, completed in ([\d.]+) s/.exec(run.stderr);
  const phases = parts ? { partsSeconds: Number(parts[1]), completeSeconds: Number(parts[2]) } : undefined;
  return { ...run, uploadMs: (at['uploaded'] ?? 0) - (at['resumed'] ?? 0), manifest, phases };
}

/** The baseline: the same bytes through the same exec client (bench/exec-cat.ts) into `curl -T -` with a pre-signed PUT. */
async function curlBaseline(sb: Sandbox, label: string): Promise<{ ms: number; bytes: number }> {
  const tls = sb.etcd.tls;
  const local = path.join(sb.etcd.member(0).volumeDir, 'bench.db');
  const save = spawnSync('etcdctl', ['--endpoints', sb.etcd.endpoint(0), '--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey, 'snapshot', 'save', local], { encoding: 'utf8' });
  if (save.status !== 0) throw new Error(save.stderr);
  const client = new S3Client({ endpoint: sb.s3.endpoint, region: sb.s3.region, forcePathStyle: true, credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey } });
  const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: sb.s3.bucket, Key: `bench/${label}/curl.db` }), { expiresIn: 3600 });
  client.destroy();
  const catScript = path.join(REPO_ROOT, 'bench/exec-cat.ts');
  const pipeline = `"${process.execPath}" "${catScript}" "${sb.kubeconfig}" ${sb.controlPlaneNamespace} etcd-0 /var/lib/bench.db | curl -sS -f -T - '${url}'`;
  const run = await timedRun('bash', ['-o', 'pipefail', '-c', pipeline]);
  if (run.code !== 0) throw new Error(`baseline failed: ${run.stderr}`);
  const bytes = statSync(local).size;
  rmSync(local, { force: true });
  return { ms: run.ms, bytes };
}

const rss: Record<number, number> = {};
for (const mb of sizes) {
  const sb = await startSandbox({ seedKeys: 100 });
  try {
    const t0 = performance.now();
    await fill(sb, mb);
    console.log(`filled ${mb} MiB in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    const env = { ...process.env, ...sb.env };
    const s3 = ['--to', `s3://${sb.s3.bucket}/hcp`, '--endpoint', sb.s3.endpoint, '--path-style', '--kubeconfig', sb.kubeconfig, '-n', 'clusters', '-o', 'json'];
    const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');

    const online = await pluginBackup(entry, ['backup', 'demo', ...s3, '--online', '-v'], env);
    if (online.code !== 0 || !online.manifest) throw new Error(`backup --online failed: ${online.stderr}`);
    rss[mb] = online.peakRssBytes;
    const base = await curlBaseline(sb, `${mb}`);
    const ours = online.manifest.snapshot.size / MiB / (online.uploadMs / 1000);
    const curl = base.bytes / MiB / (base.ms / 1000);
    emit({ bench: `backup ${mb} MiB`, metric: 'transfer rate pod → S3 (plugin process)', value: ours, unit: 'MiB/s', baseline: { label: 'same exec path → curl -T', value: curl }, ratio: ours / curl, target: '≥ 0.8x', met: ours / curl >= 0.8, note: `${(online.manifest.snapshot.size / MiB).toFixed(0)} MiB snapshot` });
    if (online.phases) {
      // Where the time goes: the parts stream through exec into S3, then the server assembles the
      // object (the test server re-reads and rewrites it all; AWS S3 completes without copying).
      const partsRate = online.manifest.snapshot.size / MiB / online.phases.partsSeconds;
      emit({ bench: `backup ${mb} MiB`, metric: 'of which: parts streamed pod → S3, before CompleteMultipartUpload', value: partsRate, unit: 'MiB/s', baseline: { label: 'same exec path → curl -T', value: curl }, ratio: partsRate / curl, note: `then ${online.phases.completeSeconds.toFixed(1)} s in the server's CompleteMultipartUpload` });
    }
    emit({ bench: `backup ${mb} MiB`, metric: 'peak RSS of the plugin (backup --online)', value: online.peakRssBytes / MiB, unit: 'MiB', target: '≤ 200 MiB', met: online.peakRssBytes <= 200 * MiB });

    const quiesced = await timedRun(entry, ['backup', 'demo', ...s3, '--yes'], env);
    if (quiesced.code !== 0) throw new Error(`backup --quiesce failed: ${quiesced.stderr}`);
    const downtime = (JSON.parse(quiesced.stdout) as BackupManifest).apiDowntimeSeconds ?? 0;
    const tls = sb.etcd.tls;
    const bareStart = performance.now();
    const bare = spawnSync('etcdctl', ['--endpoints', sb.etcd.endpoint(1), '--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey, 'snapshot', 'save', path.join(sb.dir, 'bare.db')], { encoding: 'utf8' });
    const bareSeconds = (performance.now() - bareStart) / 1000;
    if (bare.status !== 0) throw new Error(bare.stderr);
    rmSync(path.join(sb.dir, 'bare.db'), { force: true });
    emit({ bench: `backup ${mb} MiB`, metric: 'API downtime of backup --quiesce', value: downtime, unit: 's', baseline: { label: 'bare etcdctl snapshot save', value: bareSeconds }, ratio: downtime / bareSeconds, target: '≤ 1.5x', met: downtime / bareSeconds <= 1.5 });
  } finally {
    await sb.stop();
  }
}
const [small, large] = [rss[sizes[0] ?? 0], rss[sizes[1] ?? 0]];
if (small && large) {
  emit({ bench: 'backup', metric: `peak RSS growth ${sizes[0]} MiB → ${sizes[1]} MiB`, value: large / small, unit: 'x', target: '≤ 1.2x', met: large / small <= 1.2 });
}
