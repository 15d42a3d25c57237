/**
 * Runs the CLI in process the way src/main.ts does (same error formatting and exit codes),
 * with captured stdout/stderr and the real adapters. For the binary itself, tests spawn
 * plugin/kubectl-hcp_dr or go through the real kubectl.
 */
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/index.ts';
import type { CliDeps, KubeTarget, S3Target } from '../../src/cli/deps.ts';
import { formatError, exitCodeOf } from '../../src/cli/exit.ts';
import { createStderrReporter } from '../../src/cli/reporter.ts';
import { systemClock, type Clock } from '../../src/core/ports.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  stdin?: string;
  interactive?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
  host?: 'kubectl' | 'oc';
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCliInProcess(argv: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const out = capture();
  const err = capture();
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  const host = options.host ?? 'kubectl';
  const reporter = createStderrReporter(err.stream, { verbose });
  const deps: CliDeps = {
    host,
    reporter,
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from([options.stdin ?? '']),
    interactive: options.interactive ?? false,
    stderrIsTTY: false,
    signal: options.signal ?? new AbortController().signal,
    clock: options.clock ?? systemClock,
    verbose,
    env: process.env,
    // As src/deps.ts: the adapters watch the interrupt signal.
    connectKube: async (target: KubeTarget) => (await import('../../src/kube/session.ts')).connectKube(target, reporter, options.signal),
    openObjectStore: async (target: S3Target) =>
      (await import('../../src/s3/store.ts')).openObjectStore(target, reporter, options.signal ? { signal: options.signal } : {}),
  };
  let code: number;
  try {
    code = await runCli(argv, deps);
  } catch (e) {
    err.stream.write(formatError(e, { verbose, host }));
    code = exitCodeOf(e);
  }
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}
