/**
 * The narrow interfaces through which core workflows talk to the world. Adapters in
 * src/kube and src/s3 implement them; tests use stateful fakes or the sandbox.
 *
 * Start reading here; the types live in files beside this one, by theme, and everything imports
 * them from this file:
 * - ports/kube.ts: Kubernetes objects and pod exec (KubeApi, PodExec, Cluster), how to reach a
 *   management cluster (KubeTarget, KubeSession), name resolution (NameResolver) and a move's
 *   whole world (MoveWorld).
 * - ports/object-store.ts: the S3 bucket (ObjectStore with its options and results, incomplete
 *   multipart uploads) and where it is (S3Target, OpenedStore).
 * - ports/runtime.ts: the clock (Clock, systemClock), human progress (Reporter) and the metrics
 *   push (MetricsSink, MetricSample).
 */
export type * from './ports/kube.ts';
export type * from './ports/object-store.ts';
export type * from './ports/runtime.ts';
export { systemClock } from './ports/runtime.ts';
