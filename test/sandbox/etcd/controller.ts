/**
 * Simulated etcd StatefulSet controller (+ kubelet + reset-member) over a SimStore, backed by a
 * real EtcdCluster. Keeps StatefulSet `etcd`, pods etcd-N and PVCs data-etcd-N in line with the
 * member processes:
 *  - a member that exits on its own -> container not ready, restartCount+1, waiting
 *    CrashLoopBackOff, lastState.terminated Error. It is NOT restarted (it models a member that
 *    keeps crashing); deleting the pod restarts it.
 *  - pod deleted -> member killed; a new pod is created (ordinal < spec.replicas) and the member
 *    started: on its data if /var/lib/data/member/snap/db exists (whatever it holds: a restored
 *    snapshot, garbage that makes it exit -> CrashLoopBackOff); else as HyperShift's reset-member
 *    does (etcd/reset-member.ts): when a line of a live member's `member list -w simple` mentions
 *    etcd-N (its name, or the peer URL of an entry added but never started, learner or not, as the
 *    script's `grep "$HOSTNAME"` finds it) -> that entry removed, etcd-N added as a voting member,
 *    state existing; when no line does (removed before) or no member is healthy -> state new with
 *    the full initial cluster and token etcd-cluster. A removed member
 *    started that way is refused by its peers and exits (CrashLoopBackOff) until someone runs
 *    `member add` and deletes the pod again; reset-member never adds a missing member itself.
 *  - volumes are ReadWriteOnce (etcd/volumes.ts): pod etcd-N holds data-etcd-N from its start until
 *    it is deleted; while a helper pod (etcd/helper-pods.ts) holds it, a new etcd-N stays Pending
 *    (ContainerCreating, Multi-Attach) and starts once the helper is gone. A PVC being deleted
 *    lingers while any pod holds it.
 *  - PVC deleted -> it lingers (kubernetes.io/pvc-protection) until the pod is gone; then the
 *    member's data is wiped and a new PVC created.
 *  - spec.replicas scales pods (Parallel policy); status.replicas/readyReplicas follow.
 *  - a pod whose spec has the `etcd-init` init container (HyperShift adds it while a
 *    restoreSnapshotURL restore is pending) runs options.runInit before its member starts; a
 *    non-zero exit leaves the pod Pending in Init:CrashLoopBackOff and is retried after
 *    initBackoffMs, as a kubelet does. The member then starts on whatever the volume holds.
 *  - with the StatefulSet gone (namespace deletion), pods are killed with their members and each
 *    released PVC takes its data with it (the volume is emptied).
 * Event-driven (store.subscribe) plus a health poll (pollMs).
 */
import { ETCD_INIT, reconcileStatus, podObject, pvcObject, statefulSetObject, type MemberView } from './k8s-objects.ts';
import { attachHelperKubelet, helperExec } from './helper-pods.ts';
import { memberPod, volumeHolders } from './volumes.ts';
import { podUrlNames, resetMemberDecision } from './reset-member.ts';
import type { EtcdCluster, ExitInfo } from './cluster.ts';
import type { ExecHandler, GroupResource, SimObject, SimStore } from '../api/types.ts';

export const PODS: GroupResource = { group: '', version: 'v1', plural: 'pods' };
export const PVCS: GroupResource = { group: '', version: 'v1', plural: 'persistentvolumeclaims' };
export const STATEFULSETS: GroupResource = { group: 'apps', version: 'v1', plural: 'statefulsets' };

export interface EtcdControllerOptions {
  pollMs?: number;
  image?: string;
  /** Runs pod etcd-i's etcd-init container; resolves to its exit code. Without it, etcd-init counts as done. */
  runInit?: (i: number, pod: SimObject) => Promise<number>;
  /** Delay before a failed etcd-init first runs again; doubled per failure up to 5 min (kubelet back-off; default 10 s). */
  initBackoffMs?: number;
}

export function attachEtcdController(
  store: SimStore,
  cluster: EtcdCluster,
  namespace: string,
  options: EtcdControllerOptions = {},
): () => void {
  const n = cluster.size;
  const view: MemberView[] = Array.from({ length: n }, () => ({ restartCount: 0, phase: 'Pending', healthy: false, running: false }));
  const busy = new Set<number>(); // members being started by us
  const expectedExit = new Set<number>(); // kills we caused (pod deletion): not a crash
  const failures: number[] = new Array<number>(n).fill(0);
  let stopped = false;
  const volumes = volumeHolders(cluster);

  const get = (r: GroupResource, name: string) => store.get(r, namespace, name);
  const safe = (fn: () => void) => {
    try {
      fn();
    } catch {
      /* object changed or vanished meanwhile: next pass fixes it */
    }
  };

  if (!get(STATEFULSETS, 'etcd')) store.create(STATEFULSETS, statefulSetObject(namespace, n, options.image));

  const writePod = (i: number) => {
    const pod = get(PODS, `etcd-${i}`);
    if (!pod || pod.metadata.deletionTimestamp) return;
    const want = reconcileStatus(pod, view[i]!);
    if (want)
      safe(() =>
        store.mutate(PODS, namespace, pod.metadata.name, (o) => {
          o['status'] = want;
        }),
      );
  };

  const writeSts = () => {
    const sts = get(STATEFULSETS, 'etcd');
    if (!sts) return;
    const pods = store.list(PODS, namespace, 'app=etcd').filter((p) => !p.metadata.deletionTimestamp);
    const ready = pods.filter((p) =>
      (p['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ),
    ).length;
    const status = {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: pods.length,
      updatedReplicas: pods.length,
    };
    if (JSON.stringify(sts['status'] ?? {}) !== JSON.stringify(status)) {
      safe(() =>
        store.mutate(STATEFULSETS, namespace, 'etcd', (o) => {
          o['status'] = status;
        }),
      );
    }
  };

  const retries = new Set<NodeJS.Timeout>();
  const hasInit = (pod: SimObject | undefined) =>
    ((pod?.['spec'] as { initContainers?: { name: string }[] } | undefined)?.initContainers ?? []).some((c) => c.name === ETCD_INIT);

  /** Runs etcd-init for pod etcd-i; true when the member may start. A failure schedules a retry. */
  const runInit = async (i: number): Promise<boolean> => {
    const pod = get(PODS, `etcd-${i}`);
    if (!pod || !hasInit(pod)) return true;
    const prev = view[i]!.init;
    view[i]!.init = { state: 'running', restartCount: prev ? prev.restartCount : 0, startedAt: new Date().toISOString() };
    writePod(i);
    const code = options.runInit ? await options.runInit(i, pod).catch(() => 1) : 0;
    const init = view[i]!.init;
    init.finishedAt = new Date().toISOString();
    init.exitCode = code;
    if (code === 0) {
      init.state = 'done';
      return true;
    }
    init.state = 'failed';
    init.restartCount++;
    const uid = pod.metadata.uid;
    const timer = setTimeout(
      () => {
        retries.delete(timer);
        if (!stopped && get(PODS, `etcd-${i}`)?.metadata.uid === uid) void startMember(i);
      },
      Math.min((options.initBackoffMs ?? 10_000) * 2 ** (init.restartCount - 1), 300_000),
    );
    retries.add(timer);
    return false;
  };

  /**
   * HyperShift's reset-member for an empty volume, once a live member answers (etcd/reset-member.ts):
   * the line of `member list -w simple` that mentions etcd-i (its name, or the peer URL of an entry
   * added but not started) is removed and etcd-i added back as a voter, state existing; no line: state
   * new. A failing `member list` means state new too; two lines make the script fail (shown as the member crashing).
   */
  const urlName = podUrlNames(
    Array.from({ length: n }, (_, j) => cluster.member(j)),
    namespace,
  );
  const resetMember = async (i: number) => {
    const list = await cluster.memberList().catch(() => undefined);
    const decision = list ? resetMemberDecision(list, `etcd-${i}`, urlName) : { action: 'none' as const };
    if (decision.action === 'fail') throw new Error(`reset-member: ${decision.reason}`);
    if (decision.action === 'replace') await cluster.rejoin(i, { wait: false, memberId: decision.memberId });
    else await cluster.startNew(i, { wait: false });
  };

  /** Starts member i for a fresh pod, as the init containers + etcd container would. */
  const startMember = async (i: number) => {
    busy.add(i);
    try {
      if (cluster.isRunning(i)) return;
      // ReadWriteOnce: the volume must be free (a helper pod may still hold it).
      if (!volumes.claim(i, memberPod(i))) {
        view[i]!.volumeWait = `Multi-Attach error for volume "data-etcd-${i}": Volume is already used by pod(s) ${volumes.holder(i)}`;
        return;
      }
      view[i]!.volumeWait = undefined;
      if (!(await runInit(i))) return;
      if (cluster.hasData(i)) await cluster.start(i, { wait: false });
      else {
        // reset-member asks `member list` through the etcd-client Service, which only routes
        // to Ready pods: the last polled readiness decides, not a fresh probe (an election in
        // progress makes every /health fail for a moment, while pods stay Ready).
        if (view.some((v, j) => j !== i && v.healthy)) await resetMember(i);
        else await cluster.startNew(i, { wait: false });
      }
      view[i]!.phase = 'Running';
      view[i]!.running = true;
      view[i]!.startedAt = new Date().toISOString();
    } catch (err) {
      view[i]!.phase = 'Running';
      view[i]!.running = false;
      view[i]!.restartCount++;
      view[i]!.lastExit = { code: 1, signal: null, message: (err as Error).message.slice(0, 300) };
    } finally {
      busy.delete(i);
      if (!stopped) {
        writePod(i);
        writeSts();
      }
    }
  };

  /** The volume is emptied first, so nothing sees the claim (or its namespace) gone with data left. */
  const releaseClaim = (name: string) =>
    safe(() =>
      store.mutate(PVCS, namespace, name, (o) => {
        o.metadata.finalizers = [];
      }),
    );

  const reconcile = async () => {
    const sts = get(STATEFULSETS, 'etcd');
    if (!sts) {
      for (let i = 0; i < n; i++) {
        if (busy.has(i)) continue;
        const pvc = get(PVCS, `data-etcd-${i}`);
        if (!get(PODS, `etcd-${i}`) && cluster.isRunning(i)) {
          expectedExit.add(i);
          await cluster.kill(i);
        }
        if (!get(PODS, `etcd-${i}`)) volumes.release(i, memberPod(i));
        if (pvc?.metadata.deletionTimestamp && !get(PODS, `etcd-${i}`) && volumes.holder(i) === undefined) {
          await cluster.clearVolume(i);
          releaseClaim(pvc.metadata.name);
        }
      }
      return;
    }
    const replicas = (sts['spec'] as { replicas?: number } | undefined)?.replicas ?? n;
    for (let i = 0; i < n; i++) {
      if (busy.has(i)) continue;
      const pod = get(PODS, `etcd-${i}`);
      const pvc = get(PVCS, `data-etcd-${i}`);
      if (pod && i >= replicas) {
        safe(() => store.delete(PODS, namespace, pod.metadata.name));
        continue;
      }
      if (!pod && cluster.isRunning(i)) {
        expectedExit.add(i);
        await cluster.kill(i);
      }
      if (!pod) volumes.release(i, memberPod(i));
      if (pod && view[i]!.volumeWait && !pod.metadata.deletionTimestamp && volumes.holder(i) === undefined) {
        void startMember(i);
        continue;
      }
      if (!pod && pvc?.metadata.deletionTimestamp && volumes.holder(i) === undefined) {
        // The pod is gone, so pvc-protection lets go: the volume and its data disappear.
        await cluster.clearVolume(i);
        releaseClaim(pvc.metadata.name);
      }
      if (pod || i >= replicas) continue;
      busy.add(i);
      const current = get(PVCS, `data-etcd-${i}`);
      if (!current) {
        await cluster.wipe(i);
        safe(() => store.create(PVCS, pvcObject(namespace, i)));
      }
      view[i] = { restartCount: 0, phase: 'Pending', healthy: false, running: false };
      safe(() => store.create(PODS, podObject(namespace, i, sts, options.image)));
      void startMember(i);
    }
    writeSts();
  };

  // Serialise reconciles; coalesce bursts of events into one more pass.
  let running: Promise<void> | undefined;
  let again = false;
  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await reconcile().catch(() => {});
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  };

  const unsubscribe = store.subscribe((e) => {
    if (e.object.metadata.namespace !== namespace) return;
    const r = e.resource;
    if (r.plural === 'pods' && e.type === 'DELETED' && !/^etcd-\d+$/.test(e.object.metadata.name)) setImmediate(kick); // a helper freed a volume
    const ours =
      (r.plural === 'pods' && /^etcd-\d+$/.test(e.object.metadata.name)) ||
      (r.plural === 'persistentvolumeclaims' && /^data-etcd-\d+$/.test(e.object.metadata.name)) ||
      (r.plural === 'statefulsets' && e.object.metadata.name === 'etcd');
    if (!ours) return;
    if (r.plural === 'pods' && e.type === 'DELETED') {
      const i = Number(e.object.metadata.name.slice(5));
      if (cluster.isRunning(i)) expectedExit.add(i);
      void cluster.kill(i).then(() => {
        if (!get(PODS, `etcd-${i}`)) volumes.release(i, memberPod(i));
        kick();
      });
      return;
    }
    if (e.type !== 'MODIFIED' || r.plural !== 'pods') setImmediate(kick);
  });

  const offExit = cluster.onMemberExit((i: number, info: ExitInfo) => {
    if (expectedExit.delete(i) || stopped) return;
    view[i]!.running = false;
    view[i]!.healthy = false;
    view[i]!.restartCount++;
    view[i]!.lastExit = { ...info, message: '' };
    writePod(i);
    writeSts();
  });

  const poll = setInterval(() => {
    void Promise.all(
      Array.from({ length: n }, async (_, i) => {
        if (busy.has(i)) return;
        const running = cluster.isRunning(i);
        if (running && !view[i]!.running) {
          view[i]!.running = true;
          view[i]!.phase = 'Running';
          view[i]!.startedAt = new Date().toISOString();
        }
        // Like a readiness probe with failureThreshold 3: a short election does not unready a pod.
        const ok = running && (await cluster.healthy(i, 500));
        failures[i] = ok ? 0 : failures[i]! + 1;
        view[i]!.healthy = running && (ok || (view[i]!.healthy && failures[i] < 3));
      }),
    ).then(() => {
      if (stopped) return;
      for (let i = 0; i < n; i++) writePod(i);
      writeSts();
    });
  }, options.pollMs ?? 300);

  // Initial state: PVCs and pods for the members that already run.
  for (let i = 0; i < n; i++) {
    if (!get(PVCS, `data-etcd-${i}`)) store.create(PVCS, pvcObject(namespace, i));
    if (cluster.isRunning(i)) volumes.claim(i, memberPod(i));
    if (!get(PODS, `etcd-${i}`) && cluster.isRunning(i)) {
      view[i] = { restartCount: 0, phase: 'Running', healthy: false, running: true, startedAt: new Date().toISOString() };
      store.create(PODS, podObject(namespace, i, get(STATEFULSETS, 'etcd')!, options.image));
      writePod(i);
    }
  }
  const offRelease = volumes.onRelease(() => setImmediate(kick));
  const detachKubelet = attachHelperKubelet(store, cluster, namespace);
  kick();

  return () => {
    stopped = true;
    for (const t of retries) clearTimeout(t);
    clearInterval(poll);
    unsubscribe();
    offExit();
    offRelease();
    detachKubelet();
  };
}

/**
 * An ExecHandler for the simulator: pods etcd-N, container etcd -> cluster.execInMember(N); a
 * running helper pod that holds member N's volume -> the command on that volume (helper-pods.ts).
 */
export function etcdExecHandler(cluster: EtcdCluster, namespace: string, fallback?: ExecHandler): ExecHandler {
  return async (call) => {
    const helper = call.namespace === namespace ? helperExec(cluster, call) : undefined;
    if (helper) return helper;
    const m = /^etcd-(\d+)$/.exec(call.pod);
    if (call.namespace !== namespace || !m || (call.container && call.container !== 'etcd')) {
      if (fallback) return fallback(call);
      throw new Error(`no exec target for ${call.namespace}/${call.pod}/${call.container}`);
    }
    return cluster.execInMember(Number(m[1]), call.command, {
      stdin: call.stdin,
      stdout: call.stdout,
      stderr: call.stderr,
      signal: call.signal,
      namespace,
    });
  };
}

export type { SimObject };
