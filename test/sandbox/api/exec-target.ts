/**
 * Checks an exec request the way kube-apiserver (and the kubelet behind it) would before any stream
 * opens: the pod exists, the container is one of its containers, the pod is not completed, and the
 * container is running. Failures carry the messages kubectl users see from a real cluster.
 */
import type { ResourceRequest } from './routes/paths.ts';
import { badRequest, notFound, SimError } from './status.ts';
import type { MemoryStore } from './store.ts';

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

interface PodShape {
  spec?: { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }>; ephemeralContainers?: Array<{ name: string }> };
  status?: { phase?: string; containerStatuses?: Array<{ name: string; state?: { running?: unknown } }> };
}

/** Plain-text failure (not a Status), as the kubelet answers through the apiserver proxy. */
export class PlainHttpError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

const flag = (q: URLSearchParams, k: string) => q.get(k) === 'true' || q.get(k) === '1';

export function resolveExecTarget(store: MemoryStore, rr: ResourceRequest, query: URLSearchParams): ExecTarget {
  const namespace = rr.namespace ?? '';
  const podName = rr.name ?? '';
  const pod = store.get(rr.gr, namespace, podName) as (PodShape & { metadata: { name: string } }) | undefined;
  if (!pod) throw notFound(rr.gr, podName);
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const all = [
    ...names,
    ...(pod.spec?.initContainers ?? []).map((c) => c.name),
    ...(pod.spec?.ephemeralContainers ?? []).map((c) => c.name),
  ];
  let container = query.get('container') ?? '';
  if (container === '') {
    if (names.length !== 1) throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
    container = names[0] ?? '';
  }
  if (!all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${podName}`);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  }
  const cs = pod.status?.containerStatuses?.find((c) => c.name === container);
  const running = phase === 'Running' && (cs === undefined || (cs.state?.running !== undefined && cs.state.running !== null));
  if (!running) throw new PlainHttpError(404, `container not found ("${container}")`);
  const command = query.getAll('command');
  if (command.length === 0) throw badRequest('you must specify at least one command for the container');
  const stdout = flag(query, 'stdout');
  const stderr = flag(query, 'stderr');
  const stdin = flag(query, 'stdin');
  if (!stdout && !stderr && !stdin) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return { namespace, pod: podName, container, command, stdin, stdout, stderr, tty: flag(query, 'tty') };
}

export function isSimError(e: unknown): e is SimError {
  return e instanceof SimError;
}
