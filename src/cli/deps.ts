/**
 * What commands get from the composition root. Tests build their own CliDeps around the
 * sandbox or fakes and call runCli in process.
 */
import type { Readable, Writable } from 'node:stream';
import type { Clock, KubeApi, PodExec, Reporter } from '../core/ports.ts';
import type { Host } from './host.ts';

/** Where to reach the management cluster: kubectl's own flags, parsed by the plugin. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  requestTimeoutMs?: number;
}

export interface KubeSession {
  api: KubeApi;
  exec: PodExec;
  /** The namespace from -n, else the context's, else "default". */
  namespace: string;
  /** True when the namespace came from -n rather than the kubeconfig. */
  namespaceExplicit: boolean;
  contextName: string;
}

export interface CliDeps {
  host: Host;
  reporter: Reporter;
  stdout: Writable;
  stdin: Readable;
  /** Whether a person can answer a prompt (stdin and stderr are terminals). */
  interactive: boolean;
  /** Whether stderr is a terminal (progress lines are drawn only then). */
  stderrIsTTY: boolean;
  stderr: Writable;
  signal: AbortSignal;
  clock: Clock;
  verbose: boolean;
  env: Record<string, string | undefined>;
  connectKube(target: KubeTarget): Promise<KubeSession>;
}
