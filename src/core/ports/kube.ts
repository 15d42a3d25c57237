/**
 * The Kubernetes side of the ports: objects as JSON, pod exec, a connected management cluster,
 * name resolution, and everything a move reaches the world through. Implemented in src/kube.
 */
import type { Readable, Writable } from 'node:stream';
import type { KubeObject } from '../model.ts';
import type { OpenedStore, S3Target } from './object-store.ts';

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

export type JsonPatchOp = { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

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
  /** A container's log (pods/log), at most `limitBytes`; undefined when there is none (404/400). */
  readLog?(
    namespace: string,
    pod: string,
    container: string,
    options?: { previous?: boolean; limitBytes?: number },
  ): Promise<string | undefined>;
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
  /** What the command is, for messages, where its command line says little (a shell script). */
  description?: string;
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

/** One management cluster as a workflow sees it: objects and pod exec. A workflow may hold two (move, restore elsewhere). */
export interface Cluster {
  api: KubeApi;
  exec: PodExec;
}

/** Where to reach a management cluster: kubectl's own flags (--kubeconfig, --context, -n, --request-timeout). */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  requestTimeoutMs?: number;
}

/** A connected management cluster plus the namespace and context the target resolved to. */
export interface KubeSession extends Cluster {
  /** The namespace from -n, else the context's, else "default". */
  namespace: string;
  /** True when the namespace came from -n rather than the kubeconfig. */
  namespaceExplicit: boolean;
  contextName: string;
}

/** Name resolution as clients see it: the API hostname a move hands from one cluster to another. */
export interface NameResolver {
  /** IPv4 addresses of `host`; [] when it does not resolve (NXDOMAIN, no A record). Other failures throw RemoteError. */
  resolve4(host: string): Promise<string[]>;
  /** Who answers, for messages: "the system resolver" or "DNS server 127.0.0.1:5353". */
  describe(): string;
}

/** Both management clusters, the bucket, DNS and the hosted cluster's own API: how a move (and its `resume`, from the record alone) reaches the world. */
export interface MoveWorld {
  connectKube(target: KubeTarget): Promise<KubeSession>;
  openObjectStore(target: S3Target): Promise<OpenedStore>;
  resolver(server?: string): NameResolver;
  /** The hosted cluster's own API, from its admin kubeconfig (YAML); closed by the caller. */
  connectGuest(kubeconfig: string): Promise<{ api: KubeApi; close(): Promise<void> }>;
}
