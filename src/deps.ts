/** The real dependencies: process streams, the system clock, and lazily loaded adapters. */
import type { CliDeps, KubeTarget, S3Target } from './cli/deps.ts';
import type { Host } from './cli/host.ts';
import { systemClock, type Reporter } from './core/ports.ts';

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
    stdin: process.stdin,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    clock: systemClock,
    env: process.env,
    // client-node costs ~300 ms to load: only commands that talk to a cluster pay for it.
    connectKube: async (target: KubeTarget) => (await import('./kube/session.ts')).connectKube(target, options.reporter),
    // The AWS SDK costs ~90 ms to load: only commands that reach S3 pay for it.
    openObjectStore: async (target: S3Target) => (await import('./s3/store.ts')).openObjectStore(target, options.reporter),
  };
}
