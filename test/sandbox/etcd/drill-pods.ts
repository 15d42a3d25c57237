/**
 * A kubelet for `hcp-dr drill`'s scratch pods on a simulated management cluster: any Pod labelled
 * hcp-dr.openshift.io/drill, in any namespace, runs its first container's command as a REAL
 * process with the etcd image's tools (this sandbox's etcd version, etcd/versions.ts) on its PATH:
 *  - its emptyDir at /var/lib is a per-pod host directory, /tmp its own; paths in the command and
 *    in every exec'd command are rewritten as the exec bridge does (exec-bridge.ts);
 *  - the pod has its own network namespace: 127.0.0.1:2379 and :2380 inside it are two free host
 *    ports of its own, so pods of concurrent drills never meet, and nothing outside reaches them;
 *  - an image containing `does-not-exist` never starts (Pending, ImagePullBackOff), as faults.ts;
 *  - status Running and Ready while the process runs, Failed/Succeeded with its exit code after;
 *  - deleting the pod (or its namespace) kills the process and its exec'd commands (SIGKILL) and
 *    removes its directory.
 * The container's output goes to the pod's log (pods/log) when the simulator keeps logs.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { freePorts, releasePorts } from '../../support/ports.ts';
import type { ExecHandler, GroupResource, SimObject, SimStore } from '../api/types.ts';
import { runInPod, type PodView } from './exec-bridge.ts';
import { UNPULLABLE_IMAGE_MARK } from './faults.ts';
import { writeImageDir, type EtcdVersion } from './versions.ts';

const PODS: GroupResource = { group: '', version: 'v1', plural: 'pods' };
export const DRILL_LABEL = 'hcp-dr.openshift.io/drill';

interface Running {
  view: PodView;
  abort: AbortController;
  sessions: Set<AbortController>;
}

export interface DrillKubelet {
  /** Routes exec into a running drill pod; every other call to `fallback`. */
  execHandler(fallback?: ExecHandler): ExecHandler;
  /** Drill pods whose process runs now (for tests). */
  running(): string[];
  stop(): Promise<void>;
}

const isDrillPod = (o: SimObject) => o.metadata.labels?.[DRILL_LABEL] !== undefined;
const keyOf = (o: { namespace?: string | undefined; name: string }) => `${o.namespace ?? ''}/${o.name}`;

export function attachDrillKubelet(store: SimStore, options: { dir: string; version: EtcdVersion }): DrillKubelet {
  const pods = new Map<string, Running>();
  const imageBin = path.join(options.dir, 'image');
  const image = writeImageDir(options.version, imageBin);
  let stopped = false;

  const setStatus = (pod: SimObject, status: Record<string, unknown>) => {
    try {
      store.mutate(PODS, pod.metadata.namespace ?? '', pod.metadata.name, (o) => {
        o['status'] = status;
      });
    } catch {
      /* gone meanwhile */
    }
  };

  const start = async (pod: SimObject) => {
    const key = keyOf({ namespace: pod.metadata.namespace, name: pod.metadata.name });
    if (pods.has(key)) return;
    const container = (pod['spec'] as { containers?: { name: string; image?: string; command?: string[] }[] }).containers?.[0];
    if (!container) return;
    if ((container.image ?? '').includes(UNPULLABLE_IMAGE_MARK)) {
      setStatus(pod, waiting(container.name, container.image ?? '', 'ImagePullBackOff'));
      return;
    }
    const dir = path.join(options.dir, 'pods', pod.metadata.namespace ?? '', pod.metadata.name);
    const [client, peer] = await freePorts(2);
    const view: PodView = {
      tlsRoot: path.join(dir, 'tls'),
      volumeDir: path.join(dir, 'var-lib'),
      tmpDir: path.join(dir, 'tmp'),
      hostname: pod.metadata.name,
      index: 0,
      clientPorts: [client!],
      peerPorts: [peer!],
      imageBin,
    };
    const running: Running = { view, abort: new AbortController(), sessions: new Set() };
    pods.set(key, running);
    await Promise.all([view.tlsRoot, view.volumeDir, view.tmpDir].map((d) => mkdir(d, { recursive: true })));
    await image;
    if (running.abort.signal.aborted || stopped) return;
    setStatus(pod, runningStatus(container.name, container.image ?? ''));
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    void runInPod(ownPorts(container.command ?? [], view), view, {
      stdout: sink,
      stderr: sink,
      signal: running.abort.signal,
    }).then((code) => {
      if (!running.abort.signal.aborted) setStatus(pod, terminated(container.name, container.image ?? '', code));
    });
  };

  const gone = (key: string) => {
    const running = pods.get(key);
    if (!running) return;
    pods.delete(key);
    running.abort.abort();
    for (const s of running.sessions) s.abort();
    releasePorts([...running.view.clientPorts, ...running.view.peerPorts]);
    void rm(path.dirname(running.view.volumeDir), { recursive: true, force: true }).catch(() => undefined);
  };

  const unsubscribe = store.subscribe((e) => {
    if (e.resource.plural !== 'pods' || !isDrillPod(e.object)) return;
    const key = keyOf({ namespace: e.object.metadata.namespace, name: e.object.metadata.name });
    if (e.type === 'DELETED' || e.object.metadata.deletionTimestamp) gone(key);
    else if (e.type === 'ADDED') void start(e.object);
  });

  return {
    execHandler: (fallback) => (call) => {
      const running = pods.get(keyOf({ namespace: call.namespace, name: call.pod }));
      if (!running) {
        if (fallback) return fallback(call);
        return Promise.reject(new Error(`no exec target for ${call.namespace}/${call.pod}/${call.container}`));
      }
      const abort = new AbortController();
      const onAbort = () => abort.abort();
      call.signal.addEventListener('abort', onAbort, { once: true });
      running.sessions.add(abort);
      return runInPod(ownPorts(call.command, running.view), running.view, {
        ...(call.stdin ? { stdin: call.stdin } : {}),
        stdout: call.stdout,
        stderr: call.stderr,
        signal: abort.signal,
      }).finally(() => {
        running.sessions.delete(abort);
        call.signal.removeEventListener('abort', onAbort);
      });
    },
    running: () => [...pods.keys()],
    async stop() {
      stopped = true;
      unsubscribe();
      for (const key of [...pods.keys()]) gone(key);
    },
  };
}

/** The pod's own loopback ports: 127.0.0.1:2380 is its peer port (2379 is mapped by the exec bridge). */
function ownPorts(argv: readonly string[], view: PodView): string[] {
  return argv.map((a) => a.replace(/\b(127\.0\.0\.1|localhost):2380\b/g, `127.0.0.1:${view.peerPorts[0]}`));
}

function runningStatus(name: string, image: string): Record<string, unknown> {
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    phase: 'Running',
    podIP: '10.128.2.20',
    startTime: at,
    conditions: [
      { type: 'Ready', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [{ name, image, ready: true, started: true, restartCount: 0, state: { running: { startedAt: at } } }],
  };
}

function waiting(name: string, image: string, reason: string): Record<string, unknown> {
  return {
    phase: 'Pending',
    conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
    containerStatuses: [
      { name, image, ready: false, restartCount: 0, state: { waiting: { reason, message: `Back-off pulling image "${image}"` } } },
    ],
  };
}

function terminated(name: string, image: string, exitCode: number): Record<string, unknown> {
  return {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted' }],
    containerStatuses: [
      { name, image, ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } } },
    ],
  };
}
