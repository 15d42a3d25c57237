/**
 * Crash safety of `restore`: the plugin, run as its own process, is killed with SIGKILL right
 * after each step in turn; running the same restore again, or `resume`, must then end with the
 * cluster restored and verified by its data, every time, and no operation record left behind.
 */
import { cliKilledAt, type KilledRun } from '../support/kill-at.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { etcdInitSplitBrainDefault } from '../sandbox/hypershift/operator.ts';
import { demoBackupArgs, demoBackupUrl, sandboxS3Flags, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { connectKube } from '../../src/kube/session.ts';
import { Resources } from '../../src/core/model.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import type { RestoreResult } from '../../src/core/contracts/restore.ts';

let sb: Sandbox;
let backupUrl: string;
let restoreEnv: (() => void) | undefined;
const s3Flags = () => sandboxS3Flags(sb, { https: true });
const restoreArgs = () => ['restore', backupUrl, '--kubeconfig', sb.kubeconfig, ...s3Flags(), '--replace', '--yes', '--wait-timeout', '2m'];

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, initBackoffMs: 1000 });
  restoreEnv = useSandboxCredentials(sb);
  await sb.etcd.put('/hcp-dr-test/crash', 'kept');
  const run = await runCliInProcess(demoBackupArgs(sb, ['--online', '-o', 'json'], { https: true }));
  expect(run.stderr).not.toMatch(/^error:/m);
  backupUrl = demoBackupUrl(sb, (JSON.parse(run.stdout) as BackupManifest).id);
}, 120_000);
afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

/** Runs the restore in a child process and SIGKILLs it when it reports `step`. */
function restoreKilledAt(step: string): Promise<KilledRun> {
  return cliKilledAt([...restoreArgs(), '-v'], `step: ${step}\n`, { env: sb.env });
}

/**
 * 'repairing' (the repair recorded, nothing done yet) and 'volumes-restored' (etcd and the API servers
 * at 0, every volume restored): inside the split-brain repair the released etcd-init (the default) needs.
 */
const STEPS = [
  'confirmed',
  'namespaces',
  'control-plane',
  'hosted-cluster',
  'node-pools',
  'restored',
  ...(etcdInitSplitBrainDefault() ? ['repairing', 'volumes-restored'] : []),
];
/** Steps after which the HostedCluster carries the restore record, so `resume` can finish. */
const RECORDED = new Set(['hosted-cluster', 'node-pools', 'restored', 'repairing', 'volumes-restored']);

describe('restore crash matrix: SIGKILL after each step, then a re-run or resume', () => {
  for (const [i, step] of STEPS.entries()) {
    const viaResume = RECORDED.has(step) && i % 2 === 1;
    it(`killed after "${step}", ${viaResume ? 'resume' : 'the same restore run again'} ends restored and verified`, async () => {
      const killed = await restoreKilledAt(step);
      expect(killed.reached, killed.stderr).toBe(true);
      expect(killed.signal).toBe('SIGKILL');
      if (viaResume) {
        const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
        expect(resumed.stderr, resumed.stderr).not.toMatch(/^error:/m);
        expect(resumed.code).toBe(0);
        expect(resumed.stdout).toMatch(/verified the restored data: Restored/);
      } else {
        const again = await runCliInProcess([...restoreArgs(), '-o', 'json']);
        expect(again.stderr, again.stderr).not.toMatch(/^error:/m);
        expect(again.code).toBe(0);
        expect((JSON.parse(again.stdout) as RestoreResult).verdict.state).toBe('Restored');
      }
      const api = (
        await connectKube({ kubeconfig: sb.kubeconfig }, { info: () => undefined, warn: () => undefined, debug: () => undefined })
      ).api;
      const hc = await api.get(Resources.hostedCluster, 'clusters', 'demo');
      expect(hc?.metadata.annotations?.['hcp-dr.openshift.io/operation']).toBeUndefined();
      const status = await runCliInProcess(['etcd', 'status', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '-o', 'json']);
      expect(JSON.parse(status.stdout).verdict.state).toBe('Healthy');
      const etcd = sb.clusters[0]?.operator?.etcd('clusters-demo');
      expect(await etcd?.get('/hcp-dr-test/crash', 0)).toBe('kept');
    }, 240_000);
  }
});
