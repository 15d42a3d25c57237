/**
 * The narrow interfaces through which core workflows talk to the world. Adapters in
 * src/kube and src/s3 implement them; tests use stateful fakes or the sandbox.
 */
import type { Readable, Writable } from 'node:stream';
import type { KubeObject } from './model.ts';

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly clusterScoped?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
}

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/**
 * Reads and writes Kubernetes objects as plain JSON. Errors arrive as HcpDrError subclasses:
 * NotFoundError (404), ForbiddenError (401/403), ConflictError (409), UsageError (422, with the
 * server's message), RemoteError otherwise. `namespace` is ignored for cluster-scoped types.
 */
export interface KubeApi {
  /** The object, or undefined when it does not exist. */
  get(type: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(type: ResourceType, namespace: string | undefined, options?: ListOptions): Promise<KubeObject[]>;
  create(type: ResourceType, namespace: string, body: KubeObject): Promise<KubeObject>;
  /** RFC 7386 merge patch; `null` removes a field. With `subresource`, e.g. 'scale'. */
  mergePatch(type: ResourceType, namespace: string, name: string, patch: unknown, subresource?: string): Promise<KubeObject>;
  /** RFC 6902 JSON patch; a failing `test` op answers ConflictError. */
  jsonPatch(type: ResourceType, namespace: string, name: string, ops: JsonPatchOp[]): Promise<KubeObject>;
  delete(type: ResourceType, namespace: string, name: string): Promise<void>;
  /** Describes where requests go, for messages: "context X (https://...)". */
  describeTarget(): string;
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Data for the command's stdin; stdin is closed after it. */
  stdin?: Readable | Buffer;
  /** Where stdout goes. Without it, stdout is collected and returned (small outputs only). */
  stdout?: Writable;
  /** Abort the command (closes the connection). */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** Collected stdout when no sink was given; empty otherwise. */
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a container. A non-zero exit is a result, not an error; errors are for
 * commands that could not be run at all (pod missing, exec forbidden, connection lost).
 */
export interface PodExec {
  exec(request: ExecRequest): Promise<ExecResult>;
}

/** Wall-clock time, injected so workflows and their outputs are deterministic in tests. */
export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Human progress and notices (stderr). Data never goes here. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** Verbose detail, shown with -v only. */
  debug(message: string): void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    }),
};
