/**
 * Runs a command without blocking the event loop (the sandbox serves from the test process, so
 * spawnSync would deadlock against it) and collects its output.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The real kubectl on this machine, or undefined where there is none (its tests skip, saying so). */
export const KUBECTL: string | undefined = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  out: string;
}

export function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', reject); // not started (not found): no 'close' follows
    let stdout = '';
    let stderr = '';
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      out += c.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr, out }));
  });
}

/** Whether a process with this pid still exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
