/**
 * A real Prometheus Pushgateway (Debian's prometheus-pushgateway) on 127.0.0.1 for a test: started
 * on a free port with its persistence in a temp dir, stopped (and the dir removed) by `stop`.
 * `PUSHGATEWAY` is undefined where the binary is absent: those tests skip, saying so.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePorts, releasePorts } from './ports.ts';

export const PUSHGATEWAY: string | undefined = ['/usr/bin/prometheus-pushgateway', '/usr/local/bin/pushgateway'].find((p) => existsSync(p));
export const PROMTOOL: string | undefined = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Pushgateway {
  url: string;
  /** Every series the Pushgateway exposes on /metrics (its own included). */
  scrape(): Promise<{ text: string; series: Series[] }>;
  stop(): Promise<void>;
}

/** Series lines of the text exposition format: name{label="value",...} value. */
export function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

export async function startPushgateway(): Promise<Pushgateway> {
  if (!PUSHGATEWAY) throw new Error('prometheus-pushgateway is not installed (bash test/setup.sh installs it)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-pushgateway-'));
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PUSHGATEWAY,
    [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${path.join(dir, 'pushgateway.data')}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    releasePorts([port as number]);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the Pushgateway did not start on ${url}: ${log.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const scrape = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return { text, series: parseExposition(text) };
  };
  return { url, scrape, stop };
}
