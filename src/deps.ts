/** The real dependencies: process streams, the system clock, and lazily loaded adapters. */
import type { CliDeps } from './cli/deps.ts';
import type { Host } from './cli/host.ts';
import { systemClock, type KubeTarget, type Reporter, type S3Target } from './core/ports.ts';

export interface RealDepsOptions {
  host: Host;
  reporter: Reporter;
  signal: AbortSignal;
  verbose: boolean;
}

export function realDeps(options: RealDepsOptions): CliDeps {
  return {
    ...options,
    stdout: process.stdout,
    stderr: process.stderr,
    // Getters: process.stdin creates the stream (~3.5 ms) and node:tty loads node:net; only
    // commands that prompt or read stdin pay for them, not `--help`.
    get stdin() {
      return process.stdin;
    },
    get interactive() {
      const { isatty } = process.getBuiltinModule('node:tty');
      return isatty(0) && isatty(2);
    },
    stderrIsTTY: Boolean(process.stderr.isTTY),
    clock: systemClock,
    env: process.env,
    // client-node costs ~300 ms to load: only commands that talk to a cluster pay for it.
    // Both adapters watch the interrupt: what is in flight when SIGINT/SIGTERM arrives is cut.
    connectKube: async (target: KubeTarget) => (await import('./kube/session.ts')).connectKube(target, options.reporter, options.signal),
    // The AWS SDK costs ~90 ms to load: only commands that reach S3 pay for it.
    openObjectStore: async (target: S3Target) =>
      (await import('./s3/store.ts')).openObjectStore(target, options.reporter, { signal: options.signal }),
  };
}
