/**
 * What commands get from the composition root. Tests build their own CliDeps around the
 * sandbox or fakes and call runCli in process.
 */
import type { Readable, Writable } from 'node:stream';
import type { Clock, KubeSession, KubeTarget, OpenedStore, Reporter, S3Target } from '../core/ports.ts';
import type { Host } from './host.ts';

/** The connection types live in core/ports.ts (adapters implement them); re-exported for the CLI and its tests. */
export type { Cluster, KubeSession, KubeTarget, OpenedStore, S3Target } from '../core/ports.ts';

export interface CliDeps {
  host: Host;
  reporter: Reporter;
  stdout: Writable;
  /** Read only by commands that take input on stdin; real deps create the stream on first access. */
  readonly stdin: Readable;
  /** Whether a person can answer a prompt (stdin and stderr are terminals). */
  readonly interactive: boolean;
  /** Whether stderr is a terminal (progress lines are drawn only then). */
  stderrIsTTY: boolean;
  stderr: Writable;
  signal: AbortSignal;
  clock: Clock;
  verbose: boolean;
  env: Record<string, string | undefined>;
  connectKube(target: KubeTarget): Promise<KubeSession>;
  /** Credentials come from the standard AWS chain (env, profile, web identity). */
  openObjectStore(target: S3Target): Promise<OpenedStore>;
}
