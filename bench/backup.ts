/**
 * Backup benchmarks on the sandbox, for a ~100 MB and a ~1 GiB etcd database:
 *  - transfer: the plugin's path (exec `cat` → SHA-256 → SigV4 multipart upload) against the
 *    same bytes through the same exec path into `curl -T` with a pre-signed PUT, same S3 server;
 *  - peak RSS of the plugin process running `backup --online` (target ≤ 200 MB, ≤ 1.2x growth);
 *  - API downtime of `backup --quiesce` against a bare `etcdctl snapshot save` of the same DB.
 * Set HCP_DR_BENCH_SIZES_MB=100,1024 to change the sizes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { REPO_ROOT, startSandbox, type Sandbox } from '../test/sandbox/sandbox.ts';
import { connectKube } from '../src/kube/session.ts';
import { openObjectStore } from '../src/s3/store.ts';
import { streamSnapshot } from '../src/core/backup/pod-snapshot.ts';
import { DigestStream } from '../src/core/backup/digest-stream.ts';
import type { BackupManifest } from '../src/core/backup/manifest.ts';
import { emit, timedRun } from './lib.ts';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
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

async function timeTransfers(sb: Sandbox, label: string) {
  const session = await connectKube({ kubeconfig: sb.kubeconfig }, quiet);
  const pod = { exec: session.exec, namespace: sb.controlPlaneNamespace, pod: 'etcd-0' };
  const file = '/var/lib/bench.db';
  const tls = sb.etcd.tls;
  const save = spawnSync('etcdctl', ['--endpoints', sb.etcd.endpoint(0), '--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey, 'snapshot', 'save', path.join(sb.etcd.member(0).volumeDir, 'bench.db')], { encoding: 'utf8' });
  if (save.status !== 0) throw new Error(save.stderr);
  const { store } = await openObjectStore({ url: `s3://${sb.s3.bucket}/bench`, endpoint: sb.s3.endpoint, pathStyle: true }, quiet);

  const oursStart = performance.now();
  const digest = new DigestStream();
  const source = new PassThrough({ highWaterMark: 4 * MiB });
  source.pipe(digest);
  const upload = store.put(`bench/${label}/ours.db`, digest);
  await Promise.all([streamSnapshot(pod, file, source).finally(() => source.end()), upload]);
  const oursMs = performance.now() - oursStart;
  const bytes = digest.result().size;

  const client = new S3Client({ endpoint: sb.s3.endpoint, region: sb.s3.region, forcePathStyle: true, credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey } });
  const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: sb.s3.bucket, Key: `bench/${label}/curl.db` }), { expiresIn: 3600 });
  client.destroy();
  const curlStart = performance.now();
  const curl = spawn('curl', ['-sS', '-f', '-T', '-', '-H', `Content-Length: ${bytes}`, url], { stdio: ['pipe', 'ignore', 'inherit'] });
  const curlDone = new Promise<number | null>((r) => curl.on('close', r));
  await streamSnapshot(pod, file, curl.stdin).finally(() => curl.stdin.end());
  if ((await curlDone) !== 0) throw new Error('curl upload failed');
  const curlMs = performance.now() - curlStart;
  rmSync(path.join(sb.etcd.member(0).volumeDir, 'bench.db'), { force: true });
  return { bytes, oursMs, curlMs };
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

    const { bytes, oursMs, curlMs } = await timeTransfers(sb, `${mb}`);
    const ours = bytes / MiB / (oursMs / 1000);
    const base = bytes / MiB / (curlMs / 1000);
    emit({ bench: `backup ${mb} MiB`, metric: 'transfer rate pod → S3', value: ours, unit: 'MiB/s', baseline: { label: 'exec → curl -T', value: base }, ratio: ours / base, target: '≥ 0.8x', met: ours / base >= 0.8, note: `${(bytes / MiB).toFixed(0)} MiB snapshot` });

    const online = await timedRun(entry, ['backup', 'demo', ...s3, '--online'], env);
    if (online.code !== 0) throw new Error(`backup --online failed: ${online.stderr}`);
    rss[mb] = online.peakRssBytes;
    emit({ bench: `backup ${mb} MiB`, metric: 'peak RSS of the plugin (backup --online)', value: online.peakRssBytes / MiB, unit: 'MiB', target: '≤ 200 MiB', met: online.peakRssBytes <= 200 * MiB, note: `wall ${(online.ms / 1000).toFixed(1)} s` });

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
