/**
 * Contract of the Kubernetes API simulator (test support; never shipped).
 * The HTTP/WebSocket server in this folder implements it; the sandbox's simulated
 * controllers (etcd StatefulSet, deployments, HyperShift operator stand-in) drive it
 * through SimStore, exactly as a controller would drive a real API server.
 */
import type { Readable, Writable } from 'node:stream';

export interface SimObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: unknown[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Identifies a resource type the way the URL does: group '' is the core group. */
export interface GroupResource {
  group: string;
  version: string;
  plural: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: GroupResource;
  object: SimObject;
  /** The object before the change (MODIFIED, DELETED). */
  old?: SimObject;
}

/**
 * The simulator's object store. Every write bumps one global resourceVersion counter, keeps
 * metadata.uid/creationTimestamp/generation as kube-apiserver does, and emits a StoreEvent.
 * Deleting an object with finalizers only sets deletionTimestamp; it goes once they are removed.
 */
export interface SimStore {
  get(resource: GroupResource, namespace: string | undefined, name: string): SimObject | undefined;
  list(resource: GroupResource, namespace?: string, labelSelector?: string): SimObject[];
  /** Reads an object uncopied (for controllers that poll often): `read` must neither keep nor change it. */
  peek<T>(resource: GroupResource, namespace: string | undefined, name: string, read: (o: Readonly<SimObject>) => T): T | undefined;
  /** Every object of a resource, uncopied, under the contract of peek. */
  peekAll(resource: GroupResource, read: (o: Readonly<SimObject>) => void): void;
  /** Throws SimError 409 AlreadyExists. Fills metadata the server owns. */
  create(resource: GroupResource, object: SimObject): SimObject;
  /** Full replace; throws 409 Conflict when metadata.resourceVersion is set and stale. */
  update(resource: GroupResource, object: SimObject): SimObject;
  /** Read-modify-write helper for controllers: mutate a copy and store it. */
  mutate(resource: GroupResource, namespace: string | undefined, name: string, fn: (o: SimObject) => void): SimObject;
  delete(resource: GroupResource, namespace: string | undefined, name: string): void;
  /** Subscribe to every change; returns an unsubscribe function. Listeners run synchronously after the write. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

export interface ExecCall {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Present when the client asked for stdin=true. Ends when the client closes stdin. */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
}

/** Runs an exec'd command; resolves to its exit code. Rejecting answers a Failure Status. */
export type ExecHandler = (call: ExecCall) => Promise<number>;

export interface KubeconfigOptions {
  token: string;
  /** Default namespace of the context. */
  namespace?: string;
  contextName?: string;
  /**
   * Point the kubeconfig at the simulator's https listener (self-signed; insecure-skip-tls-verify).
   * Needed for kubectl: client-go never sends a kubeconfig's token over plain http, so with the
   * default http URL kubectl requests are anonymous and denyToken() cannot apply to them.
   */
  tls?: boolean;
}

export interface ApiSimulator {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly store: SimStore;
  setExecHandler(handler: ExecHandler): void;
  /** Requests with this bearer token get 403 Forbidden (kube-apiserver-shaped Status). */
  denyToken(token: string): void;
  /** Writes a kubeconfig (insecure-skip-tls-verify, bearer token) for this server; returns its path. */
  writeKubeconfig(path: string, options: KubeconfigOptions): Promise<string>;
  stop(): Promise<void>;
}

export interface SimulatorOptions {
  /** Directory of CRD YAML files to register at start (e.g. ../shared/hypershift/crds). */
  crdDir?: string;
  /** Server version reported by /version; kubectl's dispatcher picks its binary by the minor. */
  kubernetesMinor?: number;
}
