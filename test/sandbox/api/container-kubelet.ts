/**
 * A kubelet whose containers run FROM the hcp-dr image with podman (plugin/podman.ts), for the Job
 * runner (job-runner.ts, option `podman`); same contract as the process kubelet of kubelet.ts:
 *  - `podman run --rm` of the pod's image tag as the IMAGE's user (65532), on the host network
 *    (the API simulator and the S3 test server listen on 127.0.0.1), the image's entrypoint with
 *    the container's command (its first element names the program, as kubelet.ts reads it) and args;
 *  - the service account where a kubelet mounts it: a per-pod directory with token, ca.crt and
 *    namespace, read-only at /var/run/secrets/kubernetes.io/serviceaccount (nothing mounted when
 *    automountServiceAccountToken is false), KUBERNETES_SERVICE_HOST/PORT the simulator's https listener;
 *  - the pod's env (pod-env.ts) passed by name (`--env NAME`, values from podman's environment, so
 *    no Secret value appears in an argv), HOSTNAME the pod name;
 *  - stdout and stderr appended to the pod's log; status Running, then Succeeded or Failed with the
 *    exit code podman returns (the container's; 128 + signal when killed);
 *  - terminate: `podman kill` SIGTERM, SIGKILL after the grace period.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { podman } from '../../../plugin/podman.ts';
import type { ContainerRun, KubeletOptions } from './kubelet.ts';
import { containerArgv, containerEnv, type ContainerSpec } from './pod-env.ts';
import type { RunningSimulator } from './server.ts';
import { kubeTimestamp } from './store.ts';
import type { SimObject } from './types.ts';

const PODS = { group: '', version: 'v1', plural: 'pods' };
const SERVICE_ACCOUNTS = { group: '', version: 'v1', plural: 'serviceaccounts' };
export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface PodmanKubeletOptions extends Pick<KubeletOptions, 'dir'> {
  /** The image every pod runs, whatever its spec names (the sandbox's registry is this machine). */
  image: string;
}

interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  containers?: ContainerSpec[];
}

export function runPodInImage(
  sim: RunningSimulator,
  options: PodmanKubeletOptions,
  pod: SimObject,
  onExit: (exitCode: number) => void,
): ContainerRun {
  const { store } = sim;
  const ns = pod.metadata.namespace ?? 'default';
  const spec = (pod['spec'] ?? {}) as PodSpec;
  const container = spec.containers?.[0] ?? { name: 'main' };
  const podDir = path.join(options.dir, ns, pod.metadata.name);
  const cname = `hcp-dr-sim-${ns}-${pod.metadata.name}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
  const engine = podman();
  const [cmd = 'podman', ...global] = engine.argv;
  const setStatus = (phase: string, state: Record<string, unknown>, ready: boolean) => {
    try {
      store.mutate(PODS, ns, pod.metadata.name, (p) => {
        const status = { name: container.name, ready, started: ready, restartCount: 0, image: container.image ?? '', state };
        p['status'] = { ...(p['status'] as object), phase, containerStatuses: [status] };
      });
    } catch {
      // the pod is gone
    }
  };
  let child: ChildProcess | undefined;
  let retry: NodeJS.Timeout | undefined;
  let cancelled = false;
  let done: Promise<void> = Promise.resolve();

  /** The per-pod service-account directory, or undefined when nothing is mounted. */
  const serviceAccountDir = (): string | undefined => {
    const sa = spec.serviceAccountName ?? 'default';
    const account = store.get(SERVICE_ACCOUNTS, ns, sa);
    if (!(spec.automountServiceAccountToken ?? (account?.['automountServiceAccountToken'] as boolean | undefined) ?? true))
      return undefined;
    const d = path.join(podDir, 'serviceaccount');
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o755);
    const token = sim.tokenFor(ns, sa, { pod: { name: pod.metadata.name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) } });
    // Readable by the image's user, as the kubelet's projected volume is (mode 0644 by default).
    writeFileSync(path.join(d, 'token'), token, { mode: 0o644 });
    writeFileSync(path.join(d, 'ca.crt'), sim.caCert, { mode: 0o644 });
    writeFileSync(path.join(d, 'namespace'), ns, { mode: 0o644 });
    return d;
  };

  const kill = (signal: string) =>
    spawnSync(cmd, [...global, 'kill', '--signal', signal, cname], { env: { ...process.env, ...engine.env }, stdio: 'ignore' });

  const start = () => {
    if (cancelled) return;
    const resolved = containerEnv(store, pod, container);
    if (resolved.missing) {
      setStatus('Pending', { waiting: { reason: 'CreateContainerConfigError', message: resolved.missing } }, false);
      retry = setTimeout(start, 500);
      return;
    }
    const port = new URL(sim.httpsUrl).port;
    const podEnv: Record<string, string> = {
      HOSTNAME: pod.metadata.name,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      KUBERNETES_SERVICE_PORT_HTTPS: port,
      ...resolved.env,
    };
    const sa = serviceAccountDir();
    const runArgs = ['run', '--rm', '--name', cname, '--network', 'host', '--pull', 'never'];
    if (sa) runArgs.push('--volume', `${sa}:${SERVICE_ACCOUNT_MOUNT}:ro`);
    for (const name of Object.keys(podEnv)) runArgs.push('--env', name);
    const args = containerArgv([], container, podEnv);
    const startedAt = kubeTimestamp();
    const log = (c: Buffer | string) => sim.logs.append(ns, pod.metadata.name, container.name, c.toString());
    const env = { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...engine.env, ...podEnv };
    const proc = spawn(cmd, [...global, ...runArgs, options.image, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', log);
    proc.stderr?.on('data', log);
    setStatus('Running', { running: { startedAt } }, true);
    proc.on('error', (err) => log(`exec ${cmd}: ${err.message}\n`));
    done = new Promise((resolve) =>
      proc.on('close', (code) => {
        child = undefined;
        const exitCode = code ?? 128;
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
      kill('TERM');
      const timer = setTimeout(() => kill('KILL'), graceMs);
      proc.once('close', () => clearTimeout(timer));
    },
    closed: () => done,
  };
}
