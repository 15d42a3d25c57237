/**
 * `drill` of one backup against `backup verify` of the same backup plus a bare `etcdutl snapshot
 * restore` of its snapshot (downloaded beforehand), on the sandbox with 64 MiB of etcd data:
 * median of 3 runs each, through the plugin entry. Target: the drill ≤ 1.5x the two together.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { REPO_ROOT, startSandbox } from '../test/sandbox/sandbox.ts';
import { fillEtcd } from '../test/sandbox/etcd/fill.ts';
import { etcdTools } from '../test/sandbox/etcd/versions.ts';
import { sandboxS3Client, sandboxS3Flags } from '../test/support/sandbox-s3.ts';
import type { BackupManifest } from '../src/core/bundle/manifest.ts';
import { emit, median, timedRun } from './lib.ts';

const MB = 64;
const sb = await startSandbox({ seedKeys: 100 });
const tmp = await mkdtemp(path.join(os.tmpdir(), 'hcpdr-bench-drill-'));
try {
  await fillEtcd(sb.etcd, MB, { inFlight: 8 });
  const env = {
    ...process.env,
    ...sb.env,
    AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
    AWS_REGION: sb.s3.region,
  };
  // The source entry (Node runs TypeScript): the bench measures this tree, whatever the last build was.
  const main = path.join(REPO_ROOT, 'src/main.ts');
  const entry = process.execPath;
  const s3 = sandboxS3Flags(sb);
  const backup = await timedRun(
    entry,
    [
      main,
      'backup',
      'demo',
      '-n',
      'clusters',
      '--kubeconfig',
      sb.kubeconfig,
      '--to',
      `s3://${sb.s3.bucket}/hcp`,
      ...s3,
      '--online',
      '-o',
      'json',
    ],
    env,
  );
  if (backup.code !== 0) throw new Error(`backup failed: ${backup.stderr}`);
  const m = JSON.parse(backup.stdout) as BackupManifest;
  const url = `s3://${sb.s3.bucket}/hcp/clusters/demo/${m.id}/`;
  const client = sandboxS3Client(sb);
  const got = await client.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: `hcp/clusters/demo/${m.id}/snapshot.db` }));
  const file = path.join(tmp, 'snapshot.db');
  await writeFile(file, Buffer.from(await got.Body!.transformToByteArray()));
  client.destroy();
  const tools = etcdTools(sb.etcd.version);
  const drills: number[] = [];
  const verifies: number[] = [];
  const bares: number[] = [];
  const rtos: number[] = [];
  const parts: { downloadSeconds: number; restoreSeconds: number; startSeconds: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const d = await timedRun(entry, [main, 'drill', url, '--kubeconfig', sb.kubeconfig, ...s3, '-o', 'json'], env);
    if (d.code !== 0) throw new Error(`drill failed: ${d.stderr}`);
    drills.push(d.ms);
    const rto = (
      JSON.parse(d.stdout) as { rto: { rtoSeconds: number; downloadSeconds: number; restoreSeconds: number; startSeconds: number } }
    ).rto;
    rtos.push(rto.rtoSeconds);
    parts.push(rto);
    const v = await timedRun(entry, [main, 'backup', 'verify', url, ...s3], env);
    if (v.code !== 0) throw new Error(`verify failed: ${v.stderr}`);
    verifies.push(v.ms);
    const t0 = performance.now();
    const dir = path.join(tmp, `restored-${i}`);
    const tool = tools.etcdutl ?? tools.etcdctl;
    const r = spawnSync(tool, ['snapshot', 'restore', file, `--data-dir=${dir}`], { env: { ...process.env, ETCDCTL_API: '3' } });
    if (r.status !== 0) throw new Error(`bare restore failed: ${r.stderr.toString()}`);
    bares.push(performance.now() - t0);
  }
  const drill = median(drills);
  const base = median(verifies) + median(bares);
  emit({
    bench: `drill ${MB} MiB`,
    metric: 'median wall time of drill (3 runs)',
    value: Math.round(drill),
    unit: 'ms',
    baseline: { label: 'backup verify + bare etcdutl snapshot restore', value: Math.round(base) },
    ratio: drill / base,
    target: '≤ 1.5x',
    met: drill / base <= 1.5,
    note: `verify ${Math.round(median(verifies))} ms, bare restore ${Math.round(median(bares))} ms, drill RTO ${median(rtos).toFixed(2)} s (download ${median(parts.map((p) => p.downloadSeconds)).toFixed(2)}, restore ${median(parts.map((p) => p.restoreSeconds)).toFixed(2)}, start ${median(parts.map((p) => p.startSeconds)).toFixed(2)}; etcd ${sb.etcd.version})`,
  });
} finally {
  await rm(tmp, { recursive: true, force: true });
  await sb.stop();
}
