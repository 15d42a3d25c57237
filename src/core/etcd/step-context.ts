import type { Clock, KubeApi, PodExec, Reporter } from '../ports.ts';

/** What a step of an in-place etcd workflow (recover-member, etcd restore) works with on one control plane. */
export interface EtcdStepContext {
  api: KubeApi;
  exec: PodExec;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  controlPlaneNamespace: string;
  /** How long one wait (pods gone, pods ready, member joined) may last. */
  waitTimeoutMs: number;
}
