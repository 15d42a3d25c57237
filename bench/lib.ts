/**
 * Shared pieces of the benchmarks: each benchmark is a script that prints one JSON line per
 * figure (`emit`); bench/run.ts runs them all in one session and writes bench/RESULTS.md.
 * Figures are ratios against a baseline measured in the same run, never absolute pass/fail.
 */
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Figure {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** value / baseline.value */
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

export function emit(figure: Figure): void {
  process.stdout.write(`BENCH ${JSON.stringify(figure)}\n`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface TimedRun {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the process, from /proc/<pid>/status VmHWM (Linux). */
  peakRssBytes: number;
}

/**
 * Runs a command, timing it and sampling its peak RSS every 20 ms until it exits. `onStderr`
 * sees the stderr text so far as it arrives (e.g. to time step lines), and the command's pid.
 */
export function timedRun(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  onStderr?: (text: string, pid: number) => void,
): Promise<TimedRun> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      onStderr?.(stderr, child.pid ?? 0);
    });
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        // exited between samples
      }
    };
    const timer = setInterval(sample, 20);
    child.on('exit', () => sample());
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, stdout, stderr, peakRssBytes: peak });
    });
  });
}

export function machine(): string {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const cores = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('processor')).length;
  const mem = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024 / 1024;
  const os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  const etcd = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
  return `${cpu}, ${cores} cores, ${mem.toFixed(0)} GiB RAM, ${os}, Node ${process.versions.node}, ${etcd}`;
}

/** Other work on the machine while a benchmark ran (load average at its start): its ratios are paired, its absolute times are not. */
export function loadNote(load: number): string {
  const cores = os.cpus().length;
  return load > cores ? `; loaded machine (load average ${load.toFixed(0)} on ${cores} cores at the start)` : '';
}

/** `pid` and every process below it (Linux /proc). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while listed
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

/** Confines `pid`, every process below it and all their threads to `cpus` (taskset's list form: "0", "0-1"). */
export function pinTree(pid: number, cpus: string): void {
  for (const p of processTree(pid)) spawnSync('taskset', ['-a', '-p', '-c', cpus, String(p)], { stdio: 'ignore' });
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux x86 and arm64). */
const USER_HZ = 100;

/** CPU seconds (user + system) of a /proc stat file: a process's (every thread) or one task's. */
export function statCpuSeconds(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}

/** CPU seconds a running process has used, every thread (Linux /proc). */
export const processCpuSeconds = (pid: number): number => statCpuSeconds(`/proc/${pid}/stat`);

/** CPU seconds every core of the machine has spent busy (neither idle nor waiting for I/O) since boot. */
export function machineBusySeconds(): number {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const t = ticks.map(Number);
  // user nice system idle iowait irq softirq: steal (the hypervisor's other guests) is not this
  // machine's work, and guest times are already in user and nice
  return t.slice(0, 7).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0) / USER_HZ;
}
