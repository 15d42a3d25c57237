/**
 * `etcd restore` benchmark on the sandbox, for a ~100 MiB and a ~1 GiB etcd snapshot:
 *  - API downtime of `hcp-dr etcd restore --from-backup` (the built plugin; its own
 *    apiDowntimeSeconds: API servers scaled to 0 until they are back and Ready) against the bare
 *    sequence of the same steps by hand in the same run, with the same helper pods: API servers and
 *    etcd to 0, the snapshot (downloaded before the downtime, as a user would) copied into each
 *    member volume one after the other, `etcdctl snapshot restore` ×3, helpers deleted, etcd and
 *    then the API servers back and Ready. Target: at most 1.2x.
 *  - `etcd recover-member` time to Healthy (wall time of the process) after a member's data is
 *    wiped, against deleting its PVC and pod by hand and waiting until `etcd status` says Healthy.
 * Sizes: HCP_DR_BENCH_ETCD_RESTORE_SIZES_MB (default 100,1024). This machine is shared: one round.
 */
import path from 'node:path';
import { fillEtcd } from '../test/sandbox/etcd/fill.ts';
import { demoBackupArgs, sandboxS3Flags } from '../test/support/sandbox-s3.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../test/sandbox/sandbox.ts';
import { connectKube } from '../src/kube/session.ts';
import { Etcd, Resources } from '../src/core/model.ts';
import type { BackupManifest } from '../src/core/bundle/manifest.ts';
import type { EtcdRestoreResult } from '../src/core/etcd-restore/restore.ts';
import { bareSequence } from './in-place-by-hand.ts';
import { emit, timedRun } from './lib.ts';

const sizes = (process.env['HCP_DR_BENCH_ETCD_RESTORE_SIZES_MB'] ?? '100,1024').split(',').map(Number);
const MiB = 1024 * 1024;
const CP = 'clusters-demo';
const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
let current: Sandbox | undefined;

for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void Promise.allSettled([current?.stop()]).finally(() => process.exit(1)));

for (const mb of sizes) {
  const sb = await startSandbox({ seedKeys: 100 });
  current = sb;
  const env = { ...process.env, ...sb.env };
  try {
    await fillEtcd(sb.etcd, mb, { inFlight: 8 });
    console.log(`${mb} MiB: filled`);
    const backup = await timedRun(entry, demoBackupArgs(sb, ['--online', '-o', 'json']), env);
    if (backup.code !== 0) throw new Error(`backup failed:\n${backup.stderr}`);
    const manifest = JSON.parse(backup.stdout) as BackupManifest;
    const url = `s3://${sb.s3.bucket}/hcp/clusters/demo/${manifest.id}/`;
    const file = path.join(sb.dir, 'snapshot.db');
    const saved = await sb.etcd.etcdctl(['snapshot', 'save', file], { endpoints: [0], timeoutMs: 600_000 });
    if (saved.code !== 0) throw new Error(`snapshot save failed: ${saved.stderr}`);
    const session = await connectKube({ kubeconfig: sb.kubeconfig, context: 'sandbox' }, quiet);
    const sts = await session.api.get(Resources.statefulSet, CP, Etcd.statefulSet);
    const image =
      (sts?.['spec'] as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers.find(
        (x) => x.name === 'etcd',
      )?.image ?? '';
    const bare = await bareSequence(session, file, image);
    console.log(`${mb} MiB: bare sequence ${bare.toFixed(1)} s of API downtime`);
    const ours = await timedRun(
      entry,
      [
        'etcd',
        'restore',
        'demo',
        '-n',
        'clusters',
        '--kubeconfig',
        sb.kubeconfig,
        '--from-backup',
        url,
        ...sandboxS3Flags(sb),
        '--yes',
        '-o',
        'json',
      ],
      env,
    );
    if (ours.code !== 0) throw new Error(`etcd restore failed:\n${ours.stderr}`);
    const result = JSON.parse(ours.stdout) as EtcdRestoreResult;
    console.log(`${mb} MiB: etcd restore ${result.apiDowntimeSeconds} s of API downtime (${(ours.ms / 1000).toFixed(1)} s in all)`);
    emit({
      bench: `etcd restore ${mb} MiB`,
      metric: 'API downtime (API servers at 0 until Ready again)',
      value: result.apiDowntimeSeconds,
      unit: 's',
      baseline: { label: 'the same steps by hand (scale, copy in ×3, etcdctl restore ×3, scale)', value: bare },
      ratio: result.apiDowntimeSeconds / bare,
      target: '≤ 1.2x',
      met: result.apiDowntimeSeconds / bare <= 1.2,
      note: `${(manifest.snapshot.size / MiB).toFixed(0)} MiB snapshot; one round (shared machine); ${(ours.ms / 1000).toFixed(1)} s wall incl. preflight verification`,
    });
    if (mb === sizes[0]) {
      await sb.etcd.wipe(1);
      const rec = await timedRun(entry, ['etcd', 'recover-member', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--yes'], env);
      if (rec.code !== 0) throw new Error(`recover-member failed:\n${rec.stderr}`);
      emit({
        bench: `etcd recover-member ${mb} MiB`,
        metric: 'time to Healthy (process wall time)',
        value: rec.ms / 1000,
        unit: 's',
        note: 'member etcd-1 wiped; one round',
      });
    }
  } finally {
    await sb.stop();
    current = undefined;
  }
}
