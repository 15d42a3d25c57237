/** Kubernetes objects of HyperShift's etcd StatefulSet, as the simulated controller writes them. */
import type { SimObject } from '../api/types.ts';

export const DEFAULT_ETCD_IMAGE = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:etcd';

/** The etcd-init container of one pod (present only when its template has one). */
export interface InitView {
  /** running: the script runs; done: exit 0; failed: non-zero exit, retried after a back-off (kubelet's Init:CrashLoopBackOff). */
  state: 'running' | 'done' | 'failed';
  restartCount: number;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
}

/** What the controller knows about one member, from which the pod status is derived. */
export interface MemberView {
  restartCount: number;
  phase: 'Pending' | 'Running';
  running: boolean;
  healthy: boolean;
  startedAt?: string;
  lastExit?: { code: number | null; signal: NodeJS.Signals | null; message: string };
  init?: InitView;
  /** Set while the pod waits for its volume (a helper pod holds it): the Multi-Attach message. */
  volumeWait?: string | undefined;
}

const CONTAINERS = ['etcd', 'etcd-metrics', 'healthz'];
export const ETCD_INIT = 'etcd-init';

export interface EtcdTemplateOptions {
  /** HyperShift adds the etcd-init container, with RESTORE_URL_ETCD, while a restore is pending. */
  restoreUrl?: string;
  /** Control-plane namespace, for the init container's HCP_NAMESPACE (used as the restore's cluster token). */
  initialCluster?: string;
}

/** ensure-dns, reset-member, then etcd-init when a restore URL is set (the order since the OCPBUGS-99534 fix puts etcd-init before reset-member; the effect is the same for an empty volume). */
export function etcdInitContainers(
  namespace: string,
  image: string,
  restoreUrl?: string,
  initialCluster?: string,
): Record<string, unknown>[] {
  const base = [
    { name: 'ensure-dns', image },
    { name: 'reset-member', image },
  ];
  if (!restoreUrl) return base;
  const env = [
    { name: 'RESTORE_URL_ETCD', value: restoreUrl },
    { name: 'HCP_NAMESPACE', value: namespace },
    ...(initialCluster ? [{ name: 'ETCD_INITIAL_CLUSTER', value: initialCluster }] : []),
  ];
  return [...base, { name: ETCD_INIT, image, command: ['/bin/sh', '-ce'], env, volumeMounts: [{ name: 'data', mountPath: '/var/lib' }] }];
}

export function statefulSetObject(
  namespace: string,
  replicas: number,
  image = DEFAULT_ETCD_IMAGE,
  opts: EtcdTemplateOptions = {},
): SimObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'etcd', namespace, labels: { app: 'etcd' } },
    spec: {
      replicas,
      serviceName: 'etcd-discovery',
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: 'etcd' } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: { labels: { app: 'etcd' } },
        spec: {
          initContainers: etcdInitContainers(namespace, image, opts.restoreUrl, opts.initialCluster),
          containers: CONTAINERS.map((name) => ({ name, image })),
        },
      },
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } } },
      ],
    },
  };
}

export function pvcObject(namespace: string, i: number): SimObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `data-etcd-${i}`, namespace, labels: { app: 'etcd' }, finalizers: ['kubernetes.io/pvc-protection'] },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } },
    status: { phase: 'Bound', capacity: { storage: '8Gi' } },
  };
}

export function podObject(namespace: string, i: number, sts: SimObject, image = DEFAULT_ETCD_IMAGE): SimObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `etcd-${i}`,
      namespace,
      labels: { app: 'etcd', 'statefulset.kubernetes.io/pod-name': `etcd-${i}` },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'etcd', uid: sts.metadata.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      hostname: `etcd-${i}`,
      subdomain: 'etcd-discovery',
      initContainers:
        (sts['spec'] as { template?: { spec?: { initContainers?: unknown[] } } } | undefined)?.template?.spec?.initContainers ??
        etcdInitContainers(namespace, image),
      containers: CONTAINERS.map((name) => ({ name, image })),
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-etcd-${i}` } }],
    },
    status: { phase: 'Pending', podIP: `10.128.0.${10 + i}` },
  };
}

/** The pod status for `v`, or undefined when the pod already shows it. */
export function reconcileStatus(pod: SimObject, v: MemberView): Record<string, unknown> | undefined {
  const i = Number(pod.metadata.name.slice(5));
  const etcdState =
    v.phase === 'Pending'
      ? v.volumeWait
        ? { waiting: { reason: 'ContainerCreating', message: v.volumeWait } }
        : { waiting: { reason: 'PodInitializing' } }
      : v.running
        ? { running: { startedAt: v.startedAt } }
        : { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=etcd pod=${pod.metadata.name}` } };
  const lastState = v.lastExit
    ? { terminated: { exitCode: v.lastExit.code ?? 137, reason: 'Error', message: v.lastExit.message || undefined, signal: undefined } }
    : {};
  const statuses = CONTAINERS.map((name) => {
    const isEtcd = name === 'etcd';
    const ready = v.phase === 'Running' && (isEtcd || name === 'healthz' ? v.healthy : true);
    return {
      name,
      image: DEFAULT_ETCD_IMAGE,
      ready,
      started: v.phase === 'Running' && (!isEtcd || v.running),
      restartCount: isEtcd ? v.restartCount : 0,
      state: isEtcd
        ? etcdState
        : v.phase === 'Pending'
          ? { waiting: { reason: 'PodInitializing' } }
          : { running: { startedAt: v.startedAt } },
      lastState: isEtcd ? lastState : {},
    };
  });
  const allReady = statuses.every((s) => s.ready);
  const inits = ((pod['spec'] as { initContainers?: { name: string }[] } | undefined)?.initContainers ?? []).map((c) => c.name);
  const initStatuses = inits.map((name) => initStatus(name, v));
  const status = {
    phase: v.phase,
    podIP: `10.128.0.${10 + i}`,
    hostIP: '10.0.0.1',
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    conditions: [
      { type: 'Initialized', status: v.phase === 'Running' ? 'True' : 'False' },
      { type: 'Ready', status: allReady ? 'True' : 'False' },
      { type: 'ContainersReady', status: allReady ? 'True' : 'False' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: statuses,
  };
  const clean = JSON.parse(JSON.stringify(status)) as Record<string, unknown>;
  return JSON.stringify(pod['status'] ?? {}) === JSON.stringify(clean) ? undefined : clean;
}

/** Status of one init container: the ones before etcd-init complete at once; etcd-init follows v.init. */
function initStatus(name: string, v: MemberView): Record<string, unknown> {
  const base = { name, image: DEFAULT_ETCD_IMAGE, started: false };
  const completed = (exitCode: number, at?: string) => ({
    terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: at, finishedAt: at },
  });
  if (name !== ETCD_INIT) {
    const done = v.phase === 'Running' || v.init !== undefined;
    return {
      ...base,
      ready: done,
      restartCount: 0,
      state: done ? completed(0, v.startedAt ?? v.init?.startedAt) : { waiting: { reason: 'PodInitializing' } },
      lastState: {},
    };
  }
  const init = v.init;
  if (!init) {
    const done = v.phase === 'Running';
    return {
      ...base,
      ready: done,
      restartCount: 0,
      state: done ? completed(0, v.startedAt) : { waiting: { reason: 'PodInitializing' } },
      lastState: {},
    };
  }
  if (init.state === 'running') {
    return {
      ...base,
      started: true,
      ready: false,
      restartCount: init.restartCount,
      state: { running: { startedAt: init.startedAt } },
      lastState: {},
    };
  }
  if (init.state === 'done') {
    return { ...base, ready: true, restartCount: init.restartCount, state: completed(0, init.finishedAt), lastState: {} };
  }
  return {
    ...base,
    ready: false,
    restartCount: init.restartCount,
    state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container=${ETCD_INIT}` } },
    lastState: { terminated: { exitCode: init.exitCode ?? 1, reason: 'Error', startedAt: init.startedAt, finishedAt: init.finishedAt } },
  };
}
