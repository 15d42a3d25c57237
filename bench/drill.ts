/**
 * `drill` of one backup against what an SRE would do by hand to the same backup: `backup verify`
 * (download, SHA-256, the snapshot's own checks against backup.json) plus a bare `etcdutl snapshot
 * restore` of its snapshot (downloaded beforehand, same etcd version as the drill's pod), on the
 * sandbox with 64 MiB of etcd data, all through the plugin entry. ROUNDS rounds, the drill first in
 * even rounds and last in odd ones (load drifts on a shared machine); the figure is the median
 * drill over the median verify + median restore. Target: the drill ≤ 1.5x the two together.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { REPO_ROOT, startSandbox } from '../test/sandbox/sandbox.ts';
import { fillEtcd } from '../test/sandbox/etcd/fill.ts';
import { etcdTools } from '../test/sandbox/etcd/versions.ts';
import { sandboxS3Client, sandboxS3Flags } from '../test/support/sandbox-s3.ts';
import type { BackupManifest } from '../src/core/bundle/manifest.ts';
import { emit, loadNote, median, timedRun } from './lib.ts';

const MB = 64;
const ROUNDS = 5;
/** Load from other work, read before this benchmark's own set-up adds to it. */
const startLoad = os.loadavg()[0] ?? 0;
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
  const inDrill: number[] = [];
  const parts: { downloadSeconds: number; restoreSeconds: number; startSeconds: number }[] = [];
  const drill = async () => {
    const d = await timedRun(entry, [main, 'drill', url, '--kubeconfig', sb.kubeconfig, ...s3, '-o', 'json'], env);
    if (d.code !== 0) throw new Error(`drill failed: ${d.stderr}`);
    const result = JSON.parse(d.stdout) as {
      seconds: number;
      rto: { rtoSeconds: number; downloadSeconds: number; restoreSeconds: number; startSeconds: number };
    };
    drills.push(d.ms);
    rtos.push(result.rto.rtoSeconds);
    inDrill.push(result.seconds);
    parts.push(result.rto);
  };
  const byHand = async (i: number) => {
    const v = await timedRun(entry, [main, 'backup', 'verify', url, ...s3], env);
    if (v.code !== 0) throw new Error(`verify failed: ${v.stderr}`);
    verifies.push(v.ms);
    const t0 = performance.now();
    const dir = path.join(tmp, `restored-${i}`);
    const tool = tools.etcdutl ?? tools.etcdctl;
    const r = spawnSync(tool, ['snapshot', 'restore', file, `--data-dir=${dir}`], { env: { ...process.env, ETCDCTL_API: '3' } });
    if (r.status !== 0) throw new Error(`bare restore failed: ${r.stderr.toString()}`);
    bares.push(performance.now() - t0);
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      await drill();
      await byHand(i);
    } else {
      await byHand(i);
      await drill();
    }
  }
  const wall = median(drills);
  const base = median(verifies) + median(bares);
  const rounds = drills.map((d, i) => d / (verifies[i]! + bares[i]!)).sort((a, b) => a - b);
  const s = (n: number) => (n / 1000).toFixed(2);
  const med = (f: (p: (typeof parts)[number]) => number) => median(parts.map(f)).toFixed(2);
  emit({
    bench: `drill ${MB} MiB`,
    metric: `median wall time of drill (${ROUNDS} rounds)`,
    value: Math.round(wall),
    unit: 'ms',
    baseline: { label: 'backup verify + bare etcdutl snapshot restore', value: Math.round(base) },
    ratio: wall / base,
    target: '≤ 1.5x',
    met: wall / base <= 1.5,
    note:
      `round ratios ${rounds[0]!.toFixed(2)}-${rounds.at(-1)!.toFixed(2)}x${loadNote(startLoad)}; ` +
      `verify ${s(median(verifies))} s, bare restore ${s(median(bares))} s; drill: RTO ${median(rtos).toFixed(2)} s ` +
      `(download ${med((p) => p.downloadSeconds)}, restore ${med((p) => p.restoreSeconds)}, start ${med((p) => p.startSeconds)}), ` +
      `namespace, pod, checks and clean-up ${(median(inDrill) - median(rtos)).toFixed(2)} s, process start and backup.json ` +
      `${(wall / 1000 - median(inDrill)).toFixed(2)} s; ${(await stat(file)).size} B snapshot, etcd ${sb.etcd.version}`,
  });
} finally {
  await rm(tmp, { recursive: true, force: true });
  await sb.stop();
}
