/**
 * Container logs for `GET pods/<name>/log`, kept beside the object store the way a kubelet keeps them
 * beside the API server: simulated kubelets (the etcd controller, the etcd-init stand-in) write them,
 * the REST layer reads them. One current and one previous log per container (`?previous=true`), as a
 * kubelet keeps after a restart; a pod's logs go when the pod is deleted.
 *
 * Read rules follow kube-apiserver: `?container=` must name a container or init container of the pod
 * (400 otherwise); without it, a pod with exactly one container answers that container's log and any
 * other pod answers 400 "a container name must be specified"; `tailLines` and `limitBytes` trim.
 * A container without a stored log is read from its namespace's LogSource if one is set (an etcd
 * member's log file), else from the pod's `sim.hcp-dr/log` annotation (older tests use it).
 */
import { badRequest } from './status.ts';
import type { SimObject } from './types.ts';

interface ContainerLogs {
  current: string;
  previous?: string;
}

const key = (namespace: string, pod: string) => `${namespace}/${pod}`;

/** Reads a container's log from elsewhere (a process's log file); undefined when it has none. */
export type LogSource = (pod: string, container: string) => string | undefined;

export class PodLogs {
  private readonly byPod = new Map<string, Map<string, ContainerLogs>>();
  private readonly sources = new Map<string, LogSource>();

  /** Serves the current log of containers with no stored one in `namespace` from `source`; returns its removal. */
  setSource(namespace: string, source: LogSource): () => void {
    this.sources.set(namespace, source);
    return () => {
      if (this.sources.get(namespace) === source) this.sources.delete(namespace);
    };
  }

  /** Appends to the current log of a container. */
  append(namespace: string, pod: string, container: string, text: string): void {
    const c = this.entry(namespace, pod, container);
    c.current += text;
  }

  /** Starts a new run of a container: the current log becomes the previous one. */
  restart(namespace: string, pod: string, container: string): void {
    const c = this.entry(namespace, pod, container);
    c.previous = c.current;
    c.current = '';
  }

  /** The stored log, or undefined when nothing was ever written for that container. */
  get(namespace: string, pod: string, container: string, previous = false): string | undefined {
    const c = this.byPod.get(key(namespace, pod))?.get(container);
    return previous ? c?.previous : c?.current;
  }

  /** Forgets every log of a pod (called when the pod is deleted). */
  forget(namespace: string, pod: string): void {
    this.byPod.delete(key(namespace, pod));
  }

  /** The text `GET pods/<name>/log?<query>` answers for `pod`. Throws 400 as kube-apiserver does. */
  read(pod: SimObject, query: URLSearchParams): string {
    const spec = (pod['spec'] ?? {}) as { containers?: { name: string }[]; initContainers?: { name: string }[] };
    const containers = (spec.containers ?? []).map((c) => c.name);
    const inits = (spec.initContainers ?? []).map((c) => c.name);
    const name = pod.metadata.name;
    let container = query.get('container') ?? '';
    if (container === '') {
      if (containers.length + inits.length > 1 && containers.length !== 1) {
        throw badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`,
        );
      }
      container = containers[0] ?? inits[0] ?? '';
    } else if (containers.length + inits.length > 0 && !containers.includes(container) && !inits.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }
    const previous = query.get('previous') === 'true';
    const stored = this.get(pod.metadata.namespace ?? '', name, container, previous);
    if (stored === undefined && previous) {
      throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    }
    let text =
      stored ??
      (previous ? undefined : this.sources.get(pod.metadata.namespace ?? '')?.(name, container)) ??
      pod.metadata.annotations?.['sim.hcp-dr/log'] ??
      '';
    const tail = Number(query.get('tailLines') ?? NaN);
    if (Number.isInteger(tail) && tail >= 0) {
      const lines = text.split('\n');
      const last = lines[lines.length - 1] === '' ? lines.pop() : undefined;
      text = lines.slice(Math.max(0, lines.length - tail)).join('\n') + (last === '' && tail > 0 ? '\n' : '');
    }
    const limit = Number(query.get('limitBytes') ?? NaN);
    if (Number.isInteger(limit) && limit > 0) text = Buffer.from(text).subarray(0, limit).toString('utf8');
    return text;
  }

  private entry(namespace: string, pod: string, container: string): ContainerLogs {
    const k = key(namespace, pod);
    let m = this.byPod.get(k);
    if (!m) this.byPod.set(k, (m = new Map()));
    let c = m.get(container);
    if (!c) m.set(container, (c = { current: '' }));
    return c;
  }
}
