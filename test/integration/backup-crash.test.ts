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

describe('crash matrix: SIGKILL after each step, then resume', () => {
  for (const step of STEPS) {
    it(`when killed after "${step}", resume restores pausedUntil, replicas and annotations exactly`, async () => {
      const run = await backupUntil(step, 'SIGKILL');
      expect(run.reached, run.stderr).toBe(true);
      expect(run.signal).toBe('SIGKILL');
      const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/resumed clusters\/demo \(operation \d{8}T\d{6}Z-[0-9a-f]{6}\)/);
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
