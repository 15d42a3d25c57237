/**
 * `etcd restore` end to end on the sandbox: real etcd members behind the simulated StatefulSet
 * controller (scale 0/3 stops and starts them), the helper-pod kubelet (exec in
 * hcp-dr-etcd-restore-N reaches member N's volume), the real kube adapter and the S3 server.
 * Quorum is lost the hard way (two members killed, their data wiped); the restore must bring
 * the same data back into every member, with hashkv agreeing and the cluster as before.
 * Failures (a snapshot that does not verify, a helper pod that cannot start, a restore that fails
 * in the pod) must leave the old data, the cluster unpaused, and exit non-zero with the cause.
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { waitForKilledMembers } from '../support/etcd-pods.ts';
import type { EtcdStatusReport } from '../../src/core/etcd/status.ts';
import type { EtcdRestorePlan } from '../../src/core/etcd-restore/restore-plan.ts';
import type { EtcdRestoreResult } from '../../src/core/etcd-restore/restore.ts';
import { BUMP_REVISION } from '../../src/core/etcd/versions.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { Resources } from '../../src/core/model.ts';

let sb: Sandbox;
let backupUrl: string;
const savedEnv = { ...process.env };
const PODS = Resources.pod;
const HC = Resources.hostedCluster;
const STS = Resources.statefulSet;
const DEPLOY = Resources.deployment;
const OPERATION = 'hcp-dr.openshift.io/operation';
const KEY = '/hcp-dr-test/etcd-restore/marker';

const s3Flags = () => ['--endpoint', sb.s3.httpsEndpoint, '--ca-bundle', sb.s3.caFile, '--path-style'];
const cli = (...args: string[]) => runCliInProcess([...args, '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
const restore = (...extra: string[]) => cli('etcd', 'restore', 'demo', '--wait-timeout', '3m', ...extra);

async function status(): Promise<EtcdStatusReport> {
  return JSON.parse((await cli('etcd', 'status', 'demo', '-o', 'json')).stdout) as EtcdStatusReport;
}

async function waitForState(state: string, timeoutMs = 90_000): Promise<EtcdStatusReport> {
  const deadline = Date.now() + timeoutMs;
  let last: EtcdStatusReport | undefined;
  while (Date.now() < deadline) {
    last = await status();
    if (last.verdict.state === state) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`still ${last?.verdict.state} after ${timeoutMs} ms: ${last?.verdict.reason}`);
}

/** Two members killed and their data wiped: quorum lost. */
async function loseQuorum(): Promise<void> {
  await sb.etcd.wipe(1);
  await sb.etcd.wipe(2);
  await waitForKilledMembers(sb);
}

/** What every run must leave: no record, unpaused, replicas as before, no helper pods, no leftovers on the volumes. */
function expectClusterAsBefore(before: { replicas: Record<string, number> }): void {
  const hc = sb.sim.store.get(HC, 'clusters', 'demo');
  expect(hc?.metadata.annotations?.[OPERATION]).toBeUndefined();
  expect((hc?.['spec'] as { pausedUntil?: string }).pausedUntil).toBeUndefined();
  expect((sb.sim.store.get(STS, sb.controlPlaneNamespace, 'etcd')?.['spec'] as { replicas: number }).replicas).toBe(3);
  expect(replicas()).toEqual(before.replicas);
  expect(sb.sim.store.list(PODS, sb.controlPlaneNamespace).filter((p) => p.metadata.name.startsWith('hcp-dr-etcd-restore-'))).toEqual([]);
}

function replicas(): Record<string, number> {
  return Object.fromEntries(
    ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver'].map((d) => [
      d,
      (sb.sim.store.get(DEPLOY, sb.controlPlaneNamespace, d)?.['spec'] as { replicas: number }).replicas,
    ]),
  );
}

/** Files the restore left on member i's volume (beside data/). */
const leftovers = (i: number) => readdirSync(sb.etcd.podView(i).volumeDir).filter((f) => f.startsWith('hcp-dr-'));

/** Every member serves `value` for KEY and the seeded keys; the verdict is Healthy with one hashkv. */
async function expectRestored(value: string): Promise<void> {
  const after = await waitForState('Healthy');
  expect(new Set(after.members.map((m) => m.hash)).size).toBe(1);
  expect(after.members.map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
  for (const i of [0, 1, 2]) {
    expect(await sb.etcd.get(KEY, i)).toBe(value);
    expect(await sb.etcd.get('/hcp-dr-test/etcd-restore/00000029', i)).toBe('v'.repeat(64));
  }
}

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
    AWS_REGION: sb.s3.region,
  });
  await sb.etcd.seed(30, { prefix: '/hcp-dr-test/etcd-restore/' });
  await sb.etcd.put(KEY, 'backup');
  const run = await runCliInProcess([
    'backup',
    'demo',
    '-n',
    'clusters',
    '--kubeconfig',
    sb.kubeconfig,
    '--to',
    `s3://${sb.s3.bucket}/hcp`,
    ...s3Flags(),
    '--yes',
    '-o',
    'json',
  ]);
  expect(run.stderr).not.toMatch(/^error:/m);
  const manifest = JSON.parse(run.stdout) as BackupManifest;
  backupUrl = `s3://${sb.s3.bucket}/hcp/clusters/demo/${manifest.id}/`;
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  await sb?.stop();
});

describe('etcd restore on the sandbox', { timeout: 300_000 }, () => {
  it('with --dry-run, it verifies the backup, prints the plan and changes nothing', async () => {
    const before = JSON.stringify(sb.sim.store.get(HC, 'clusters', 'demo'));
    const run = await restore('--from-backup', backupUrl, ...s3Flags(), '--dry-run', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as EtcdRestorePlan;
    expect(plan.members).toBe(3);
    expect(plan.snapshot?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.steps.join('\n')).toMatch(/every helper/);
    expect(JSON.stringify(sb.sim.store.get(HC, 'clusters', 'demo'))).toBe(before);
  });

  it('without --yes and without a terminal, it refuses before any change', async () => {
    const run = await restore('--from-backup', backupUrl, ...s3Flags());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/API is DOWN/);
    expect(run.stderr).toMatch(/hint: pass --yes/);
  });

  it('after quorum loss, it restores a backup into every member: same data, hashkv agrees, unpaused, replicas as before', async () => {
    const before = { replicas: replicas() };
    await sb.etcd.put(KEY, 'after-backup');
    await loseQuorum();
    const run = await restore('--from-backup', backupUrl, ...s3Flags(), '--yes', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as EtcdRestoreResult;
    expect(result.members).toBe(3);
    expect(result.verification.checks.every((c) => c.ok)).toBe(true);
    // -o json carries the runner's timings: every phase, in the order of the workflow, never negative.
    expect(result.phases.map((p) => p.phase)).toEqual([
      'plan',
      'paused',
      'scaled-down',
      'helpers',
      'copied',
      'restoring',
      'restored',
      'etcd-started',
      'verified',
    ]);
    expect(result.phases.every((p) => p.seconds >= 0)).toBe(true);
    // The image's tool: etcdutl on 3.6 (its etcdctl cannot restore), etcdctl on 3.4 and 3.5.
    expect(result.tool.name).toBe(sb.etcd.version === '3.6' ? 'etcdutl' : 'etcdctl');
    const revisions = (await sb.etcd.etcdctl(['endpoint', 'status', '-w', 'json'])).stdout.match(/"revision":(\d+)/g) ?? [];
    const revision = Math.min(...revisions.map((r) => Number(r.split(':')[1])));
    if (sb.etcd.version === '3.4') {
      // Debian's etcdctl 3.4 has no --bump-revision: the output says the bump was not possible.
      expect(result.revisionBump).toBeNull();
      expect(result.notes.join('\n')).toMatch(
        /the revision bump was not possible: etcdctl 3\.4\.\d+ has no --bump-revision\/--mark-compacted/,
      );
      expect(revision).toBeLessThan(result.snapshot.revision + BUMP_REVISION);
    } else {
      expect(result.tool.bumpRevision).toBe(true);
      expect(result.revisionBump).toBe(BUMP_REVISION);
      expect(revision).toBeGreaterThanOrEqual(result.snapshot.revision + BUMP_REVISION);
      expect(result.verification.checks.find((c) => c.name === 'revision')?.detail).toMatch(/\(bumped, marked compacted\)/);
    }
    await expectRestored('backup');
    expectClusterAsBefore(before);
    expect(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.['hypershift.openshift.io/restart-date']).toBeDefined();
    for (const i of [0, 1, 2]) expect(leftovers(i)).toEqual([]);
  });

  it('after quorum loss, it restores a snapshot file into every member', async () => {
    const before = { replicas: replicas() };
    await sb.etcd.put(KEY, 'file');
    const file = path.join(sb.dir, 'saved.db');
    const saved = await sb.etcd.etcdctl(['snapshot', 'save', file], { endpoints: [0] });
    expect(saved.code, saved.stderr).toBe(0);
    await sb.etcd.put(KEY, 'after-file');
    await loseQuorum();
    const run = await restore('--from-file', file, '--yes', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    await expectRestored('file');
    expectClusterAsBefore(before);
  });

  it('a snapshot file that fails verification is refused before any change (exit 3, the cause named)', async () => {
    const before = { replicas: replicas() };
    const good = readFileSync(path.join(sb.dir, 'saved.db'));
    const bad = Buffer.from(good);
    bad[bad.length - 100] = (bad[bad.length - 100] as number) ^ 0xff;
    const file = path.join(sb.dir, 'damaged.db');
    writeFileSync(file, bad);
    await sb.etcd.put(KEY, 'current');
    const run = await restore('--from-file', file, '--yes');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error: failed to verify .*damaged\.db: .*SHA-256 trailer/);
    expectClusterAsBefore(before);
    expect(await sb.etcd.get(KEY, 0)).toBe('current');
  });

  it('a helper pod that cannot start: rolled back to the old data, unpaused, exit non-zero with the cause', async () => {
    const before = { replicas: replicas() };
    await sb.etcd.put(KEY, 'old-data');
    sb.faults.failHelperPods();
    let run;
    try {
      run = await restore('--from-backup', backupUrl, ...s3Flags(), '--yes');
    } finally {
      sb.faults.clear();
    }
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/error: helper pod hcp-dr-etcd-restore-\d cannot start: ImagePullBackOff.*rolled back/);
    await expectRestored('old-data');
    expectClusterAsBefore(before);
  });

  it('an etcdctl restore that fails in the pod: the old data back in every volume, unpaused, exit non-zero with the cause', async () => {
    const before = { replicas: replicas() };
    await sb.etcd.put(KEY, 'old-data-2');
    sb.faults.failSnapshotRestore();
    let run;
    try {
      run = await restore('--from-backup', backupUrl, ...s3Flags(), '--yes');
    } finally {
      sb.faults.clear();
    }
    expect(run.code).not.toBe(0);
    const tool = sb.etcd.version === '3.6' ? 'etcdutl' : 'etcdctl';
    expect(run.stderr).toMatch(
      new RegExp(`error: ${tool} snapshot restore failed in helper pod \\d: .*no space left on device.*rolled back`),
    );
    await expectRestored('old-data-2');
    expectClusterAsBefore(before);
    for (const i of [0, 1, 2]) expect(leftovers(i)).toEqual([]);
    expect(existsSync(path.join(sb.etcd.podView(0).volumeDir, 'data', 'member', 'snap', 'db'))).toBe(true);
  });
  it('after quorum loss, it restores the surviving member into every member (--keep-old-data keeps the old data)', async () => {
    const before = { replicas: replicas() };
    await sb.etcd.put(KEY, 'survivor');
    await loseQuorum();
    const run = await restore('--from-member', 'etcd-0', '--keep-old-data', '--yes', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as EtcdRestoreResult;
    expect(result.source).toMatch(/member etcd-0/);
    await expectRestored('survivor');
    expectClusterAsBefore(before);
    // Only etcd-0 had data to keep (the others were wiped); the command printed removes it.
    expect(result.removeOldData).toEqual([expect.stringMatching(/ etcd-0 -c etcd -- rm -rf \/var\/lib\/hcp-dr-old-/)]);
    expect([0, 1, 2].map(leftovers)).toEqual([[`hcp-dr-old-${result.operation}`], [], []]);
    const [, , , ns, , , , , ...command] = (result.removeOldData[0] as string).split(' ');
    const sink = new PassThrough().resume();
    expect(await sb.etcd.execInMember(0, command, { stdout: sink, stderr: sink, ...(ns ? { namespace: ns } : {}) })).toBe(0);
    expect(leftovers(0)).toEqual([]);
  });
});
