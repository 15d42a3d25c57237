/**
 * `etcd restore` killed with SIGKILL right after each phase, then `resume`: the cluster must end
 * either restored and verified (from etcd-started on) or back on its old data (before), never in
 * between; unpaused, replicas as before, no helper pods, no record. A real child process, so the
 * kill leaves exactly what a dead run leaves (its exec'd scripts, its pause, its record).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { EtcdStatusReport } from '../../src/core/etcd/status.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { OperationPhases } from '../../src/core/operation/record.ts';
import type { ResumeResult } from '../../src/core/operation/resume.ts';
import { changeIndex } from '../../src/core/operation/workflow.ts';
import { etcdRestoreWorkflow } from '../../src/core/etcd-restore/restore-phases.ts';
import { cliKilledAt } from '../support/kill-at.ts';

let sb: Sandbox;
let backupUrl: string;
const savedEnv = { ...process.env };
const PODS = { group: '', version: 'v1', plural: 'pods' };
const HC = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const STS = { group: 'apps', version: 'v1', plural: 'statefulsets' };
const DEPLOY = { group: 'apps', version: 'v1', plural: 'deployments' };
const OPERATION = 'hcp-dr.openshift.io/operation';
const KEY = '/hcp-dr-test/etcd-restore-crash/marker';

const s3Flags = () => ['--endpoint', sb.s3.httpsEndpoint, '--ca-bundle', sb.s3.caFile, '--path-style'];
const cli = (...args: string[]) => runCliInProcess([...args, '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);

async function waitForState(state: string, timeoutMs = 90_000): Promise<EtcdStatusReport> {
  const deadline = Date.now() + timeoutMs;
  let last: EtcdStatusReport | undefined;
  while (Date.now() < deadline) {
    last = JSON.parse((await cli('etcd', 'status', 'demo', '-o', 'json')).stdout) as EtcdStatusReport;
    if (last.verdict.state === state) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`still ${last?.verdict.state} after ${timeoutMs} ms: ${last?.verdict.reason}`);
}

const replicas = () =>
  ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver'].map(
    (d) => (sb.sim.store.get(DEPLOY, sb.controlPlaneNamespace, d)?.['spec'] as { replicas: number }).replicas,
  );

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
    AWS_REGION: sb.s3.region,
  });
  await sb.etcd.seed(30, { prefix: '/hcp-dr-test/etcd-restore-crash/' });
  await sb.etcd.put(KEY, 'backup');
  const run = await cli('backup', 'demo', '--to', `s3://${sb.s3.bucket}/hcp`, ...s3Flags(), '--yes', '-o', 'json');
  expect(run.stderr).not.toMatch(/^error:/m);
  backupUrl = `s3://${sb.s3.bucket}/hcp/clusters/demo/${(JSON.parse(run.stdout) as BackupManifest).id}/`;
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  await sb?.stop();
});

// The phases after which the run reports a step; before etcd-started resume rolls back, from it on it finishes.
// The kill lands a moment after the step is reported, so the record may already say the next
// phase: the outcome follows the phase recorded when `resume` reads it.
const STEPS = ['locked', 'paused', 'scaled-down', 'helpers', 'copied', 'restoring', 'restored', 'etcd-started'];
const PHASES: readonly string[] = OperationPhases['etcd-restore'];
const phaseOfStep = (step: string) => (step === 'locked' ? 'started' : step);

describe('etcd restore killed after each phase, then resume', { timeout: 300_000 }, () => {
  for (const step of STEPS) {
    it(`SIGKILL after "${step}", then resume: back on the old data before etcd-started, restored and verified from it on`, async () => {
      const before = replicas();
      await waitForState('Healthy');
      await sb.etcd.put(KEY, `current-${step}`);
      const run = await untilStep(step);
      expect(run.reached, run.stderr).toBe(true);
      const recorded = JSON.parse(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION] ?? '{}') as {
        type?: string;
        phase: string;
      };
      expect(recorded.type).toBe('etcd-restore');
      expect(PHASES.indexOf(recorded.phase)).toBeGreaterThanOrEqual(PHASES.indexOf(phaseOfStep(step)));
      const outcome = PHASES.indexOf(recorded.phase) < PHASES.indexOf('etcd-started') ? 'old' : 'restored';
      const resumed = await cli('resume', 'demo', '-o', 'json');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(outcome === 'old' ? /rolled back etcd restore/ : /restored and verified/);
      // The phases it ran, timed: the undos from the recorded phase down, or the recorded phase and every one after it.
      const at = changeIndex(etcdRestoreWorkflow, recorded.phase);
      const { phases } = JSON.parse(resumed.stdout) as ResumeResult;
      const names = etcdRestoreWorkflow.changes.map((c) => c.name);
      const undone = etcdRestoreWorkflow.changes.filter((c, i) => c.undo && i <= at).map((c) => c.name);
      expect(phases?.map((p) => p.phase)).toEqual(outcome === 'old' ? undone.reverse() : names.slice(at));
      expect(phases?.every((p) => p.seconds >= 0 && p.undo === (outcome === 'old' ? true : undefined))).toBe(true);
      const after = await waitForState('Healthy');
      expect(new Set(after.members.map((m) => m.hash)).size).toBe(1);
      const want = outcome === 'old' ? `current-${step}` : 'backup';
      for (const i of [0, 1, 2]) expect(await sb.etcd.get(KEY, i)).toBe(want);
      const hc = sb.sim.store.get(HC, 'clusters', 'demo');
      expect(hc?.metadata.annotations?.[OPERATION]).toBeUndefined();
      expect((hc?.['spec'] as { pausedUntil?: string }).pausedUntil).toBeUndefined();
      expect((sb.sim.store.get(STS, sb.controlPlaneNamespace, 'etcd')?.['spec'] as { replicas: number }).replicas).toBe(3);
      expect(replicas()).toEqual(before);
      expect(sb.sim.store.list(PODS, sb.controlPlaneNamespace).filter((p) => p.metadata.name.startsWith('hcp-dr-etcd-restore-'))).toEqual(
        [],
      );
    });
  }
});

describe('etcd restore interrupted by SIGTERM', { timeout: 300_000 }, () => {
  it('after the snapshot was copied in, it rolls back by itself: exit 130, old data, unpaused, no record', async () => {
    const before = replicas();
    await waitForState('Healthy');
    await sb.etcd.put(KEY, 'before-sigterm');
    const run = await untilStep('copied', 'SIGTERM');
    expect(run.reached, run.stderr).toBe(true);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(/error: etcd restore interrupted; rolled back/);
    await waitForState('Healthy');
    for (const i of [0, 1, 2]) expect(await sb.etcd.get(KEY, i)).toBe('before-sigterm');
    const hc = sb.sim.store.get(HC, 'clusters', 'demo');
    expect(hc?.metadata.annotations?.[OPERATION]).toBeUndefined();
    expect((hc?.['spec'] as { pausedUntil?: string }).pausedUntil).toBeUndefined();
    expect(replicas()).toEqual(before);
  });
});

/** Runs `etcd restore` in a child process and sends it `signal` when it reports `step`. */
function untilStep(step: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ reached: boolean; stderr: string; code: number | null }> {
  const args = [
    'etcd',
    'restore',
    'demo',
    '-n',
    'clusters',
    '--kubeconfig',
    sb.kubeconfig,
    '--from-backup',
    backupUrl,
    ...s3Flags(),
    '--yes',
    '-v',
  ];
  return cliKilledAt(args, `debug: step: ${step}\n`, { env: sb.env, signal });
}
