/**
 * The crash matrices' driver: the CLI from source in a child process (as kubectl runs the plugin),
 * killed with `signal` once its stderr shows `marker` (a `-v` step line). Resolves when it has exited.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../sandbox/sandbox.ts';

export interface KilledRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether the marker was seen (and the signal sent). */
  reached: boolean;
  stderr: string;
}

export function cliKilledAt(
  args: readonly string[],
  marker: string,
  options: { env?: NodeJS.ProcessEnv; signal?: NodeJS.Signals } = {},
): Promise<KilledRun> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'src/main.ts'), ...args], {
    env: { ...process.env, ...options.env, HCP_DR_INVOKED_AS: 'kubectl-hcp_dr' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let reached = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!reached && stderr.includes(marker)) {
      reached = true;
      child.kill(options.signal ?? 'SIGKILL');
    }
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, reached, stderr })));
}
