/**
 * A minimal kubelet for helper pods of one control-plane namespace: any Pod that is not a
 * StatefulSet pod etcd-N and mounts a PVC data-etcd-N (spec.volumes[].persistentVolumeClaim) —
 * e.g. `etcd restore`'s bare pods hcp-dr-etcd-restore-N, or the pod of the docs' `etcd-data`
 * Deployment (created by deployment-pods.ts: the simulator's Deployment controller makes none).
 *  - PVC missing or being deleted -> Pending, PodScheduled False (Unschedulable, as the scheduler says).
 *  - the volume in use (pod etcd-N holds it, its member still runs, or another helper has it) ->
 *    Pending, container waiting ContainerCreating with the Multi-Attach message (ReadWriteOnce), and
 *    a Warning Event FailedAttachVolume; it starts once the volume is free.
 *  - image containing `does-not-exist`, or etcdFaults(cluster).failHelperPods() -> Pending, waiting
 *    ImagePullBackOff (faults.ts).
 *  - else Running and Ready; the container "runs" whatever its command is until the pod is deleted.
 * Exec into a running helper (helperExec) runs the command as the exec bridge does for etcd pods:
 * /var/lib = member N's volume dir, its own /tmp, an empty /etc/etcd/tls (nothing mounted),
 * HOSTNAME = the pod name, etcd-N.etcd-discovery.<ns>.svc:2379/2380 -> the members' 127.0.0.1 ports;
 * its stdout and stderr show the pod's paths and names again (`sha256sum /var/lib/x` prints /var/lib/x).
 * Deleting the pod kills its exec'd commands (SIGKILL) and frees the volume.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EtcdCluster } from './cluster.ts';
import type { ExecCall, GroupResource, SimObject, SimStore } from '../api/types.ts';
import { podPath, runInPod } from './exec-bridge.ts';
import { etcdFaults, UNPULLABLE_IMAGE_MARK } from './faults.ts';
import { attachDeploymentPods } from './deployment-pods.ts';
import { helperVolume, memberPod, volumeHolders } from './volumes.ts';

const PODS: GroupResource = { group: '', version: 'v1', plural: 'pods' };
const PVCS: GroupResource = { group: '', version: 'v1', plural: 'persistentvolumeclaims' };
const EVENTS: GroupResource = { group: '', version: 'v1', plural: 'events' };

interface PodSpec {
  containers?: { name: string; image?: string }[];
}

const dirOf = (cluster: EtcdCluster, pod: string) => path.join(cluster.dir, 'pods', pod);
/** Running exec'd commands per helper pod, killed when the pod goes. */
const sessions = new WeakMap<EtcdCluster, Map<string, Set<AbortController>>>();

/** Runs a call into a running helper pod; undefined when `call.pod` is not one (not holding a volume). */
export function helperExec(cluster: EtcdCluster, call: ExecCall): Promise<number> | undefined {
  const i = volumeHolders(cluster).volumeOf(call.pod);
  if (i === undefined || call.pod === memberPod(i)) return undefined;
  return (async () => {
    const dir = dirOf(cluster, call.pod);
    await Promise.all([mkdir(path.join(dir, 'tmp'), { recursive: true }), mkdir(path.join(dir, 'tls'), { recursive: true })]);
    const bin = await etcdFaults(cluster).binDir();
    const member = cluster.podView(i);
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    call.signal.addEventListener('abort', onAbort, { once: true });
    let own = sessions.get(cluster);
    if (!own) sessions.set(cluster, (own = new Map()));
    const set = own.get(call.pod) ?? new Set();
    own.set(call.pod, set.add(abort));
    try {
      return await runInPod(
        call.command,
        { ...member, tlsRoot: path.join(dir, 'tls'), tmpDir: path.join(dir, 'tmp'), hostname: call.pod },
        {
          ...(call.stdin ? { stdin: call.stdin } : {}),
          stdout: call.stdout,
          stderr: call.stderr,
          signal: abort.signal,
          namespace: call.namespace,
          mapOutput: true,
          ...(bin ? { env: { PATH: podPath(member, bin) } } : {}),
        },
      );
    } finally {
      set.delete(abort);
      call.signal.removeEventListener('abort', onAbort);
    }
  })();
}

/** Starts the kubelet for helper pods in `namespace`; returns its stop function. */
export function attachHelperKubelet(store: SimStore, cluster: EtcdCluster, namespace: string): () => void {
  const volumes = volumeHolders(cluster);
  const faults = etcdFaults(cluster);
  const warned = new Set<string>();
  let stopped = false;
  let queued = false;

  const event = (pod: SimObject, reason: string, message: string) => {
    const key = `${pod.metadata.uid}/${reason}`;
    if (warned.has(key)) return;
    warned.add(key);
    try {
      store.create(EVENTS, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${pod.metadata.name}.${Date.now().toString(16)}${warned.size}`, namespace },
        involvedObject: { kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid },
        type: 'Warning',
        reason,
        message,
        source: { component: 'kubelet' },
        count: 1,
      });
    } catch {
      /* events are best effort, as in Kubernetes */
    }
  };

  const reconcilePod = (pod: SimObject, i: number) => {
    const name = pod.metadata.name;
    const container = (pod['spec'] as PodSpec | undefined)?.containers?.[0] ?? { name: 'main' };
    const image = container.image ?? '';
    const claim = `data-etcd-${i}`;
    let status: Record<string, unknown>;
    const pvc = store.get(PVCS, namespace, claim);
    const holder = volumes.holder(i);
    if (holder === name) {
      return; // running: its status was written when it started
    } else if (!pvc || pvc.metadata.deletionTimestamp) {
      const why = pvc ? `persistentvolumeclaim "${claim}" is being deleted` : `persistentvolumeclaim "${claim}" not found`;
      status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: `0/1 nodes are available: ${why}.` }],
      };
    } else if (holder !== undefined || cluster.isRunning(i)) {
      const message = `Multi-Attach error for volume "${claim}": Volume is already used by pod(s) ${holder ?? memberPod(i)}`;
      event(pod, 'FailedAttachVolume', message);
      status = waiting(container.name, image, 'ContainerCreating', message);
    } else if (image.includes(UNPULLABLE_IMAGE_MARK) || faults.helperPodFailure) {
      const reason = faults.helperPodFailure ?? 'ImagePullBackOff';
      const message = `Back-off pulling image "${image}"`;
      event(pod, 'Failed', `Error: ${reason}`);
      status = waiting(container.name, image, reason, message);
    } else if (volumes.claim(i, name)) {
      status = running(container.name, image);
    } else return;
    const now = JSON.stringify(pod['status'] ?? {});
    if (now === JSON.stringify(status)) return;
    try {
      store.mutate(PODS, namespace, name, (o) => {
        o['status'] = status;
      });
    } catch {
      /* gone meanwhile */
    }
  };

  const reconcile = () => {
    queued = false;
    if (stopped) return;
    for (const pod of store.list(PODS, namespace)) {
      const i = helperVolume(pod, cluster.size);
      if (i !== undefined && !pod.metadata.deletionTimestamp) reconcilePod(pod, i);
    }
  };
  const kick = () => {
    if (queued || stopped) return;
    queued = true;
    setImmediate(reconcile);
  };
  const detachDeployments = attachDeploymentPods(store, namespace, cluster.size);

  const gone = (pod: SimObject) => {
    const i = volumes.volumeOf(pod.metadata.name);
    for (const a of sessions.get(cluster)?.get(pod.metadata.name) ?? []) a.abort();
    sessions.get(cluster)?.delete(pod.metadata.name);
    void rm(dirOf(cluster, pod.metadata.name), { recursive: true, force: true }).catch(() => undefined); // a command still writing there: its pod is gone anyway
    if (i !== undefined) volumes.release(i, pod.metadata.name);
  };

  // Event-driven only (no polling: a fleet sandbox runs many of these): helper pods, etcd pods
  // coming and going, PVCs, volumes released, members exiting, fault switches.
  const unsubscribe = store.subscribe((e) => {
    if (e.object.metadata.namespace !== namespace) return;
    const p = e.resource.plural;
    if (p === 'persistentvolumeclaims') kick();
    if (p !== 'pods') return;
    const isHelper = helperVolume(e.object, cluster.size) !== undefined;
    if (isHelper && e.type === 'DELETED') gone(e.object);
    if (isHelper || e.type !== 'MODIFIED') kick();
  });
  const offRelease = volumes.onRelease(kick);
  const offExit = cluster.onMemberExit(kick);
  const offFaults = faults.onChange(kick);
  kick();
  return () => {
    stopped = true;
    detachDeployments();
    offFaults();
    unsubscribe();
    offRelease();
    offExit();
  };
}

function waiting(container: string, image: string, reason: string, message: string): Record<string, unknown> {
  return {
    phase: 'Pending',
    hostIP: '10.0.0.1',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${container}]` },
      { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [{ name: container, image, ready: false, started: false, restartCount: 0, state: { waiting: { reason, message } } }],
  };
}

function running(container: string, image: string): Record<string, unknown> {
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    phase: 'Running',
    hostIP: '10.0.0.1',
    podIP: '10.128.1.10',
    startTime: at,
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'ContainersReady', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [
      { name: container, image, ready: true, started: true, restartCount: 0, state: { running: { startedAt: at } }, lastState: {} },
    ],
  };
}
