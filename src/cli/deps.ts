/**
 * What commands get from the composition root. Tests build their own CliDeps around the
 * sandbox or fakes and call runCli in process.
 */
import type { Readable, Writable } from 'node:stream';
import type { Clock, KubeApi, ObjectStore, PodExec, Reporter } from '../core/ports.ts';
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

/** Where backups live: an s3:// URL plus how to reach the store (S3 or S3-compatible). */
export interface S3Target {
  /** s3://bucket[/prefix] */
  url: string;
  region?: string;
  /** For S3-compatible stores (MinIO, Ceph, ODF): https://host:port */
  endpoint?: string;
  pathStyle?: boolean;
  /** PEM file of CAs to trust for the endpoint. */
  caBundle?: string;
  /** Server-side encryption requested on every object written through this target. */
  sse?: 'AES256' | 'aws:kms';
  /** KMS key (ID or ARN) for sse 'aws:kms'; the bucket's default key when absent. */
  kmsKeyId?: string;
}

export interface OpenedStore {
  store: ObjectStore;
  /** The key prefix from the URL, without leading or trailing slashes ('' for the bucket root). */
  prefix: string;
}

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
