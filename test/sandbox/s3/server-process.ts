/**
 * The test S3 server (server.ts) in a process of its own, for benchmarks: S3 is a service of
 * its own in production, and in the sandbox's process it would share one JavaScript thread with
 * the API simulator's exec relay, so an upload would slow the very stream it reads.
 * The child stops and removes its directory when our end of its stdin closes, which also happens
 * when this process dies, so it never outlives the run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3ServerOptions } from './server.ts';

export interface S3ServerProcess {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  pid: number;
  stop(): Promise<void>;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server-child.ts');

export async function startS3ServerProcess(options: Pick<S3ServerOptions, 'dir' | 'buckets' | 'behaviour'>): Promise<S3ServerProcess> {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let text = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`the S3 server process exited (${code}) before it was ready`)));
  });
  const started = JSON.parse(await ready) as Omit<S3ServerProcess, 'pid' | 'stop'>;
  return {
    ...started,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}
