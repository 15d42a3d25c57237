/**
 * Spawning etcd members so that none can outlive the test process.
 * Each member runs under a tiny `sh` watchdog whose stdin is a pipe from this process:
 * a line with a signal name ("TERM", "KILL") signals etcd; EOF — which the kernel delivers
 * even when this process is SIGKILLed — kills etcd with SIGKILL. The watchdog exits with
 * etcd's status (128+n when etcd died of signal n).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';

const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'pid=$!',
  '{ read -r sig <&3; kill -s "${sig:-KILL}" "$pid" 2>/dev/null; } &',
  'w=$!',
  'wait "$pid"; rc=$?',
  'kill "$w" 2>/dev/null',
  'exit "$rc"',
].join('\n');

export interface ExitInfo {
  code: number | null;
  /** The signal that ended etcd itself (decoded from the watchdog's 128+n status). */
  signal: NodeJS.Signals | null;
}

/** Environment without ETCD_* / ETCDCTL_* variables: etcd and etcdctl die when one duplicates a flag. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ETCD_') && !k.startsWith('ETCDCTL_')) env[k] = v;
  }
  return { ...env, ...extra };
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, num] of Object.entries(constants.signals)) {
    if (num === n) return name as NodeJS.Signals;
  }
  return null;
}

export interface WatchedProcess {
  child: ChildProcess;
  exited: Promise<ExitInfo>;
  /** Sends a signal to etcd (not to the watchdog). */
  signal(sig: NodeJS.Signals): void;
  /** SIGKILLs etcd and resolves when it is gone. */
  kill(): Promise<ExitInfo>;
}

const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Belt and braces: closing stdin already kills etcd; this also covers process.exit().
  process.on('exit', () => {
    for (const c of live) c.stdin?.destroy();
  });
}

/** Starts `binary args...` under the watchdog, appending stdout+stderr to logFile. */
export function spawnWatched(binary: string, args: string[], logFile: string): WatchedProcess {
  hookExit();
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('sh', ['-c', WATCHDOG, 'sh', binary, ...args], {
      stdio: ['pipe', fd, fd],
      env: cleanEnv(),
    });
  } finally {
    closeSync(fd);
  }
  live.add(child);
  child.stdin?.on('error', () => {}); // EPIPE after the watchdog exited
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, sig) => {
      live.delete(child);
      if (code !== null && code > 128) resolve({ code, signal: signalName(code - 128) });
      else resolve({ code, signal: sig });
    });
  });
  const signal = (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.stdin?.writable) child.stdin.write(`${sig.replace(/^SIG/, '')}\n`);
    else child.kill('SIGKILL');
  };
  return {
    child,
    exited,
    signal,
    kill: () => {
      child.stdin?.end(); // EOF => SIGKILL
      return exited;
    },
  };
}
