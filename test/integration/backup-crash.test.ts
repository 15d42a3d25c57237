/**
 * The crash matrix: the plugin, run as its own process, is killed with SIGKILL right after each
 * step of a quiesced backup in turn; `resume` must then return the cluster to exactly its state
 * before the backup. SIGINT and SIGTERM in the middle must roll back by themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { visibleState, type BackupVisibleState } from '../sandbox/cluster-state.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { cliKilledAt } from '../support/kill-at.ts';
import { backupWorkflow } from '../../src/core/backup/phases.ts';
import { changeIndex } from '../../src/core/operation/workflow.ts';
import type { ResumeResult } from '../../src/core/operation/resume.ts';

let sb: Sandbox;
let initial: BackupVisibleState;

beforeAll(async () => {
  sb = await startSandbox();
  initial = visibleState(sb);
});
afterAll(async () => {
  await sb?.stop();
});

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  reached: boolean;
}

/** Runs a quiesced backup in a child process and sends `signal` when it reports `step`. */
function backupUntil(step: string, signal: NodeJS.Signals): Promise<ChildRun> {
  const args = [
    'backup',
    'demo',
    '-n',
    'clusters',
    '--kubeconfig',
    sb.kubeconfig,
    '--to',
    `s3://${sb.s3.bucket}/crash`,
    '--endpoint',
    sb.s3.endpoint,
    '--path-style',
    '--yes',
    '-v',
  ];
  return cliKilledAt(args, `debug: step: ${step}\n`, { env: sb.env, signal });
}

const STEPS = ['locked', 'paused', 'quiesced', 'snapshotted', 'resumed', 'uploaded'];
const HC = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };

/** The phase the record on the HostedCluster names now. */
const recordedPhase = () =>
  (
    JSON.parse(sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.['hcp-dr.openshift.io/operation'] ?? '{}') as {
      phase: string;
    }
  ).phase;

/** What a resume from `phase` undoes, from it down: a backup has no point of no return, so resume rolls it back. */
const undosFrom = (phase: string) =>
  backupWorkflow.changes
    .filter((c, i) => c.undo && i <= changeIndex(backupWorkflow, phase))
    .map((c) => c.name)
    .reverse();

describe('crash matrix: SIGKILL after each step, then resume', () => {
  for (const step of STEPS) {
    it(`when killed after "${step}", resume restores pausedUntil, replicas and annotations exactly`, async () => {
      const run = await backupUntil(step, 'SIGKILL');
      expect(run.reached, run.stderr).toBe(true);
      expect(run.signal).toBe('SIGKILL');
      const recorded = recordedPhase();
      const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '-o', 'json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const result = JSON.parse(resumed.stdout) as ResumeResult;
      expect(result).toMatchObject({ namespace: 'clusters', name: 'demo' });
      expect(result.operation).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
      // The undos it ran, timed: from the recorded phase down.
      expect(result.phases?.map((p) => p.phase)).toEqual(undosFrom(recorded));
      expect(result.phases?.every((p) => p.undo === true && p.seconds >= 0)).toBe(true);
      expect(visibleState(sb)).toEqual(initial);
      // Idempotent: a second resume finds nothing to do.
      const again = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
      expect(again.stdout).toContain('nothing to resume');
    });
  }
});

describe('signals roll back by themselves', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`when ${signal} arrives while the API servers are down, the run rolls back and exits 130`, async () => {
      const run = await backupUntil('quiesced', signal);
      expect(run.reached, run.stderr).toBe(true);
      expect(run.code).toBe(130);
      expect(run.stderr).toMatch(/rollback: scale the API servers back/);
      expect(run.stderr).toMatch(/^error: backup of "clusters\/demo" interrupted; the cluster was restored/m);
      expect(visibleState(sb)).toEqual(initial);
    });
  }
});
