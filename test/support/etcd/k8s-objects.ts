/** Kubernetes objects of HyperShift's etcd StatefulSet, as the simulated controller writes them. */
import type { SimObject } from '../sim/types.ts';

export const DEFAULT_ETCD_IMAGE = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:etcd';

/** What the controller knows about one member, from which the pod status is derived. */
export interface MemberView {
  restartCount: number;
  phase: 'Pending' | 'Running';
  running: boolean;
  healthy: boolean;
  startedAt?: string;
  lastExit?: { code: number | null; signal: NodeJS.Signals | null; message: string };
}

const CONTAINERS = ['etcd', 'etcd-metrics', 'healthz'];

export function statefulSetObject(namespace: string, replicas: number, image = DEFAULT_ETCD_IMAGE): SimObject {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: 'etcd', namespace, labels: { app: 'etcd' } },
    spec: {
      replicas, serviceName: 'etcd-discovery', podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: 'etcd' } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: { labels: { app: 'etcd' } },
        spec: {
          initContainers: [{ name: 'ensure-dns', image }, { name: 'reset-member', image }],
          containers: CONTAINERS.map((name) => ({ name, image })),
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } } }],
    },
  };
}

export function pvcObject(namespace: string, i: number): SimObject {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name: `data-etcd-${i}`, namespace, labels: { app: 'etcd' }, finalizers: ['kubernetes.io/pvc-protection'] },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } },
    status: { phase: 'Bound', capacity: { storage: '8Gi' } },
  };
}

export function podObject(namespace: string, i: number, sts: SimObject, image = DEFAULT_ETCD_IMAGE): SimObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `etcd-${i}`, namespace,
      labels: { app: 'etcd', 'statefulset.kubernetes.io/pod-name': `etcd-${i}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'etcd', uid: sts.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      hostname: `etcd-${i}`, subdomain: 'etcd-discovery',
      initContainers: [{ name: 'ensure-dns', image }, { name: 'reset-member', image }],
      containers: CONTAINERS.map((name) => ({ name, image })),
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-etcd-${i}` } }],
    },
    status: { phase: 'Pending', podIP: `10.128.0.${10 + i}` },
  };
}

/** The pod status for `v`, or undefined when the pod already shows it. */
export function reconcileStatus(pod: SimObject, v: MemberView): Record<string, unknown> | undefined {
  const i = Number(pod.metadata.name.slice(5));
  const etcdState = v.phase === 'Pending'
    ? { waiting: { reason: 'PodInitializing' } }
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
      name, image: DEFAULT_ETCD_IMAGE, ready, started: v.phase === 'Running' && (!isEtcd || v.running),
      restartCount: isEtcd ? v.restartCount : 0,
      state: isEtcd ? etcdState : v.phase === 'Pending' ? { waiting: { reason: 'PodInitializing' } } : { running: { startedAt: v.startedAt } },
      lastState: isEtcd ? lastState : {},
    };
  });
  const allReady = statuses.every((s) => s.ready);
  const status = {
    phase: v.phase, podIP: `10.128.0.${10 + i}`, hostIP: '10.0.0.1',
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
