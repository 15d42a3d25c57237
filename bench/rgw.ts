/**
 * Backup against Ceph RGW (test/sandbox/s3/ceph-rgw.ts: Debian's Pacific, one memstore OSD), for a ~1 GiB
 * etcd database on the sandbox:
 *  - transfer: the plugin's path (exec `cat` → SHA-256 → SigV4 multipart upload, with the integrity
 *    path RGW gets: it does not acknowledge CRC32, so every part is payload-signed) against the same
 *    bytes through the same exec path into `curl -T` with a pre-signed PUT (UNSIGNED-PAYLOAD), same RGW;
 *  - peak RSS of the plugin process running `backup --online` (target ≤ 200 MiB).
 * Both go over RGW's http endpoint. Rounds of plugin then curl, medians compared (this machine's
 * timings wander). memstore keeps every stored byte in the OSD's RAM (1 GiB ≈ 1.7 GiB RSS), so each
 * round's objects are deleted and RGW's garbage collector run before the next one.
 * HCP_DR_BENCH_RGW_MB (default 1024) sets the size, HCP_DR_BENCH_RGW_ROUNDS (default 3) the rounds.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { fillEtcd } from '../test/sandbox/etcd/fill.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../test/sandbox/sandbox.ts';
import { startCephRgw, type CephRgw } from '../test/sandbox/s3/ceph-rgw.ts';
import { emit, median, timedRun } from './lib.ts';

const mb = Number(process.env['HCP_DR_BENCH_RGW_MB'] ?? 1024);
const rounds = Math.max(1, Number(process.env['HCP_DR_BENCH_RGW_ROUNDS'] ?? 3));
const MiB = 1024 * 1024;
const BUCKET = 'hcp-dr-bench';

/** Deletes everything in the bucket and lets RGW's garbage collector free the OSD's memory now. */
async function emptyBucket(client: S3Client, rgw: CephRgw): Promise<void> {
  for (;;) {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key ?? '' }));
    if (objects.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: objects } }));
  }
  await rgw.admin(['gc', 'process', '--include-all']);
}

/** The baseline: the snapshot streamed out of the pod by hcp-dr's exec client (bench/exec-cat.ts) into `curl -T -`. */
async function curlBaseline(sb: Sandbox, client: S3Client, key: string): Promise<{ ms: number; bytes: number }> {
  const tls = sb.etcd.tls;
  const local = path.join(sb.etcd.member(0).volumeDir, 'bench.db');
  const save = spawnSync(
    'etcdctl',
    ['--endpoints', sb.etcd.endpoint(0), '--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey, 'snapshot', 'save', local],
    { encoding: 'utf8' },
  );
  if (save.status !== 0) throw new Error(save.stderr);
  const bytes = statSync(local).size;
  const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 3600 });
  const catScript = path.join(REPO_ROOT, 'bench/exec-cat.ts');
  // RGW refuses a chunked upload (411 MissingContentLength), which is what `curl -T -` sends: the length
  // is given and chunking turned off. A pre-signed PUT (UNSIGNED-PAYLOAD), because curl 7.88's
  // --aws-sigv4 would sign the emptied Transfer-Encoding header (RGW: SignatureDoesNotMatch) and
  // omits x-amz-content-sha256, which RGW requires.
  const pipeline =
    `"${process.execPath}" "${catScript}" "${sb.kubeconfig}" ${sb.controlPlaneNamespace} etcd-0 /var/lib/bench.db | ` +
    `curl -sS -f -T - -H 'Content-Length: ${bytes}' -H 'Transfer-Encoding:' '${url}'`;
  const run = await timedRun('bash', ['-o', 'pipefail', '-c', pipeline]);
  if (run.code !== 0) throw new Error(`baseline failed: ${run.stderr}`);
  rmSync(local, { force: true });
  return { ms: run.ms, bytes };
}

const sb = await startSandbox({ seedKeys: 100 });
let rgw: CephRgw | undefined;
let client: S3Client | undefined;
try {
  // Capacity for two rounds' objects at once; the OSD's RAM follows what is stored, not this figure.
  rgw = await startCephRgw({ buckets: [BUCKET], memstoreBytes: Math.max(4, Math.ceil((mb * 3) / 1024)) * 1024 ** 3 });
  client = new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
  const t0 = performance.now();
  await fillEtcd(sb.etcd, mb);
  console.log(`filled ${mb} MiB in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  const env = {
    ...process.env,
    ...sb.env,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    AWS_REGION: rgw.region,
  };
  const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
  const args = [
    'backup',
    'demo',
    '--to',
    `s3://${BUCKET}/hcp`,
    '--endpoint',
    rgw.endpoint,
    '--path-style',
    '--kubeconfig',
    sb.kubeconfig,
    '-n',
    'clusters',
    '-o',
    'json',
    '--online',
    '-v',
  ];

  const ours: number[] = [];
  const curl: number[] = [];
  const parts: number[] = [];
  let peak = 0;
  let snapshotBytes = 0;
  let integrity = '';
  for (let round = 1; round <= rounds; round++) {
    const at: Record<string, number> = {};
    const run = await timedRun(entry, args, env, (stderr) => {
      for (const step of ['resumed', 'uploaded'])
        if (at[step] === undefined && stderr.includes(`debug: step: ${step}\n`)) at[step] = performance.now();
    });
    if (run.code !== 0) throw new Error(`backup --online failed: ${run.stderr}`);
    snapshotBytes = (JSON.parse(run.stdout) as { snapshot: { size: number } }).snapshot.size;
    peak = Math.max(peak, run.peakRssBytes);
    ours.push(snapshotBytes / MiB / (((at['uploaded'] ?? 0) - (at['resumed'] ?? 0)) / 1000));
    const phase = /snapshot\.db: \d+ bytes in \d+ parts in ([\d.]+) s/.exec(run.stderr);
    if (phase) parts.push(snapshotBytes / MiB / Number(phase[1]));
    integrity = /did not acknowledge CRC32/.test(run.stderr)
      ? 'parts payload-signed (SHA-256): RGW did not acknowledge CRC32'
      : /acknowledged CRC32/.test(run.stderr)
        ? 'parts with CRC32, unsigned payload'
        : integrity;
    await emptyBucket(client, rgw);
    const base = await curlBaseline(sb, client, `bench/curl-${round}.db`);
    curl.push(base.bytes / MiB / (base.ms / 1000));
    await emptyBucket(client, rgw);
    console.log(
      `round ${round}: plugin ${ours.at(-1)!.toFixed(0)} MiB/s, curl ${curl.at(-1)!.toFixed(0)} MiB/s, plugin peak RSS ${(run.peakRssBytes / MiB).toFixed(0)} MiB`,
    );
  }
  const ratios = ours.map((v, i) => v / (curl[i] ?? v));
  const range = `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x`;
  const [oursMedian, curlMedian] = [median(ours), median(curl)];
  const bench = `backup ${mb} MiB, Ceph RGW`;
  const baseline = { label: 'same exec path → curl -T', value: curlMedian };
  emit({
    bench,
    metric: 'transfer rate pod → RGW (plugin process)',
    value: oursMedian,
    unit: 'MiB/s',
    baseline,
    ratio: oursMedian / curlMedian,
    ...(mb >= 1024 ? { target: '≥ 0.8x', met: oursMedian / curlMedian >= 0.8 } : {}),
    note: `${(snapshotBytes / MiB).toFixed(0)} MiB snapshot; medians of ${rounds} rounds, round ratios ${range}; ${integrity || 'integrity path not reported'}`,
  });
  if (parts.length > 0) {
    const rate = median(parts);
    emit({
      bench,
      metric: 'of which: parts streamed pod → RGW, before CompleteMultipartUpload',
      value: rate,
      unit: 'MiB/s',
      baseline,
      ratio: rate / curlMedian,
    });
  }
  emit({
    bench,
    metric: 'peak RSS of the plugin (backup --online)',
    value: peak / MiB,
    unit: 'MiB',
    target: '≤ 200 MiB',
    met: peak <= 200 * MiB,
    note: `highest of ${rounds} rounds`,
  });
} finally {
  client?.destroy();
  await rgw?.stop();
  await sb.stop();
}
