/**
 * A simulated kubelet for the Job runner (job-runner.ts): runs a pod's first container as a LOCAL
 * process and keeps the pod's status and log as a kubelet would.
 *  - argv and env from pod-env.ts (the image's entrypoint is `imageCommand(image)`); until the env
 *    resolves (a missing Secret or ConfigMap) the container waits in CreateContainerConfigError and
 *    is retried every 500 ms;
 *  - HOME an empty per-pod directory, PATH this process's (or `baseEnv`), HOSTNAME the pod name;
 *  - the pod's service-account environment pointing at the simulator: KUBERNETES_SERVICE_HOST/PORT
 *    (its https listener) and HCP_DR_SERVICEACCOUNT_DIR, a per-pod directory with a token for the pod's
 *    serviceAccountName (`sim.tokenFor`), ca.crt (`sim.caCert`) and namespace; left empty when
 *    automountServiceAccountToken is false (pod spec first, then the ServiceAccount);
 *  - stdout and stderr appended to the pod's log (pods/log, `kubectl logs`);
 *  - status: Running with a running container, then Succeeded or Failed with the terminated state
 *    (exit code, or 128 + the signal's number).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { containerArgv, containerEnv, type ContainerSpec } from './pod-env.ts';
import type { RunningSimulator } from './server.ts';
import { kubeTimestamp } from './store.ts';
import type { SimObject } from './types.ts';

const PODS = { group: '', version: 'v1', plural: 'pods' };
const SERVICE_ACCOUNTS = { group: '', version: 'v1', plural: 'serviceaccounts' };

export interface KubeletOptions {
  /** Root of the per-pod directories (service account, HOME). */
  dir: string;
  /** The argv that stands in for an image's entrypoint: the built plugin or single binary. */
  imageCommand: (image: string, container: ContainerSpec) => string[];
  /** Variables every process gets before the container's own (default: PATH of this process). */
  baseEnv?: Record<string, string>;
}

export interface ContainerRun {
  /** SIGTERM, then SIGKILL after `graceMs`; also stops a container still waiting to start. */
  terminate(graceMs: number): void;
  /** Resolves once no process runs any more. */
  closed(): Promise<void>;
}

interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  containers?: ContainerSpec[];
}

const containerStatus = (c: ContainerSpec, state: Record<string, unknown>, ready: boolean) => ({
  name: c.name,
  ready,
  started: ready,
  restartCount: 0,
  image: c.image ?? '',
  state,
});

/** Runs `pod`'s first container; `onExit` gets its exit code (not called when terminated before it started). */
export function runPodContainer(
  sim: RunningSimulator,
  options: KubeletOptions,
  pod: SimObject,
  onExit: (exitCode: number) => void,
): ContainerRun {
  const { store } = sim;
  const ns = pod.metadata.namespace ?? 'default';
  const spec = (pod['spec'] ?? {}) as PodSpec;
  const container = spec.containers?.[0] ?? { name: 'main' };
  const podDir = path.join(options.dir, ns, pod.metadata.name);
  const setStatus = (phase: string, state: Record<string, unknown>, ready: boolean) => {
    try {
      store.mutate(PODS, ns, pod.metadata.name, (p) => {
        p['status'] = { ...(p['status'] as object), phase, containerStatuses: [containerStatus(container, state, ready)] };
      });
    } catch {
      // the pod is gone
    }
  };
  let child: ChildProcess | undefined;
  let retry: NodeJS.Timeout | undefined;
  let cancelled = false;
  let done: Promise<void> = Promise.resolve();

  const serviceAccountDir = (): string => {
    const d = path.join(podDir, 'serviceaccount');
    mkdirSync(d, { recursive: true });
    const sa = spec.serviceAccountName ?? 'default';
    const account = store.get(SERVICE_ACCOUNTS, ns, sa);
    if (spec.automountServiceAccountToken ?? (account?.['automountServiceAccountToken'] as boolean | undefined) ?? true) {
      const token = sim.tokenFor(ns, sa, { pod: { name: pod.metadata.name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) } });
      writeFileSync(path.join(d, 'token'), token, { mode: 0o600 });
      writeFileSync(path.join(d, 'ca.crt'), sim.caCert);
      writeFileSync(path.join(d, 'namespace'), ns);
    }
    return d;
  };

  const start = () => {
    if (cancelled) return;
    const resolved = containerEnv(store, pod, container);
    if (resolved.missing) {
      setStatus('Pending', { waiting: { reason: 'CreateContainerConfigError', message: resolved.missing } }, false);
      retry = setTimeout(start, 500);
      return;
    }
    const home = path.join(podDir, 'home');
    mkdirSync(home, { recursive: true });
    const port = new URL(sim.httpsUrl).port;
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ...options.baseEnv,
      HOSTNAME: pod.metadata.name,
      HOME: home,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      KUBERNETES_SERVICE_PORT_HTTPS: port,
      HCP_DR_SERVICEACCOUNT_DIR: serviceAccountDir(),
      ...resolved.env,
    };
    const [program = 'false', ...args] = containerArgv(options.imageCommand(container.image ?? '', container), container, env);
    const startedAt = kubeTimestamp();
    const log = (c: Buffer | string) => sim.logs.append(ns, pod.metadata.name, container.name, c.toString());
    const proc = spawn(program, args, { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', log);
    proc.stderr?.on('data', log);
    setStatus('Running', { running: { startedAt } }, true);
    let spawnError = false;
    proc.on('error', (err) => {
      spawnError = true;
      log(`exec ${program}: ${err.message}\n`);
    });
    done = new Promise((resolve) =>
      proc.on('close', (code, signal) => {
        child = undefined;
        const exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : spawnError ? 128 : 1);
        const terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: kubeTimestamp() };
        setStatus(exitCode === 0 ? 'Succeeded' : 'Failed', { terminated }, false);
        resolve();
        onExit(exitCode);
      }),
    );
  };
  start();

  return {
    terminate(graceMs) {
      cancelled = true;
      if (retry) clearTimeout(retry);
      const proc = child;
      if (!proc) return;
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      proc.once('close', () => clearTimeout(kill));
    },
    closed: () => done,
  };
}
