/** A stateful in-memory management cluster for restore's core tests: objects, creation order, logs. */
import { ConflictError } from '../../../src/core/errors.ts';
import type { KubeObject } from '../../../src/core/model.ts';
import type { Clock, JsonPatchOp, KubeApi, ListOptions, Reporter, ResourceType } from '../../../src/core/ports.ts';
import type { PodLogs } from '../../../src/core/contracts/restore.ts';

const keyOf = (type: ResourceType, ns: string, name: string) => `${type.plural}/${type.clusterScoped ? '' : ns}/${name}`;

function merge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

export class FakeKube implements KubeApi {
  readonly objects = new Map<string, KubeObject>();
  /** "create Secret clusters/x", in order. */
  readonly journal: string[] = [];
  /** Called after every write, like a controller watching. */
  onWrite: ((verb: string, type: ResourceType, obj: KubeObject) => void) | undefined;
  #rv = 1;

  put(type: ResourceType, obj: KubeObject): void {
    this.objects.set(
      keyOf(type, obj.metadata.namespace ?? '', obj.metadata.name ?? ''),
      structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.#rv++), uid: `uid-${this.#rv}` } }),
    );
  }

  async get(type: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined> {
    const o = this.objects.get(keyOf(type, namespace, name));
    return o && structuredClone(o);
  }

  async list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): Promise<KubeObject[]> {
    const [k, v] = (options.labelSelector ?? '').split('=');
    return [...this.objects.entries()]
      .filter(
        ([key]) => key.startsWith(`${type.plural}/${namespace ?? ''}/`) || (namespace === undefined && key.startsWith(`${type.plural}/`)),
      )
      .map(([, o]) => structuredClone(o))
      .filter((o) => !k || o.metadata.labels?.[k] === v);
  }

  async create(type: ResourceType, namespace: string, body: KubeObject): Promise<KubeObject> {
    const key = keyOf(type, namespace, body.metadata.name ?? '');
    if (this.objects.has(key)) throw new ConflictError(`${key} already exists`);
    this.put(type, {
      ...body,
      metadata: { ...body.metadata, ...(type.clusterScoped ? {} : { namespace }), creationTimestamp: new Date().toISOString() },
    });
    this.journal.push(`create ${type.kind} ${type.clusterScoped ? '' : `${namespace}/`}${body.metadata.name}`);
    const created = this.objects.get(key) as KubeObject;
    this.onWrite?.('create', type, created);
    return structuredClone(created);
  }

  async mergePatch(type: ResourceType, namespace: string, name: string, patch: unknown): Promise<KubeObject> {
    const key = keyOf(type, namespace, name);
    const cur = this.objects.get(key);
    if (!cur) throw new Error(`${key} not found`);
    const next = merge(cur, patch) as KubeObject;
    this.objects.set(key, next);
    this.journal.push(`patch ${type.kind} ${namespace}/${name}`);
    this.onWrite?.('patch', type, next);
    return structuredClone(next);
  }

  async jsonPatch(_type: ResourceType, _namespace: string, _name: string, _ops: JsonPatchOp[]): Promise<KubeObject> {
    throw new Error('not used by restore');
  }

  async delete(type: ResourceType, namespace: string, name: string): Promise<void> {
    const key = keyOf(type, namespace, name);
    const cur = this.objects.get(key);
    if (!cur) return;
    this.objects.delete(key);
    this.journal.push(`delete ${type.kind} ${type.clusterScoped ? '' : `${namespace}/`}${name}`);
    this.onWrite?.('delete', type, cur);
  }

  describeTarget(): string {
    return 'context "fake" (https://fake)';
  }
}

export class FakeLogs implements PodLogs {
  readonly logs = new Map<string, string>();
  async read(namespace: string, pod: string, container: string, options: { previous?: boolean } = {}): Promise<string | undefined> {
    return this.logs.get(`${namespace}/${pod}/${container}${options.previous ? '/previous' : ''}`);
  }
}

/** Time moves only when someone sleeps: waits finish at once and deadlines are exact. */
export class FakeClock implements Clock {
  #now: number;
  onSleep: (() => void) | undefined;
  constructor(start = Date.parse('2026-11-29T12:00:00Z')) {
    this.#now = start;
  }
  now(): Date {
    return new Date(this.#now);
  }
  async sleep(ms: number): Promise<void> {
    this.#now += ms;
    this.onSleep?.();
  }
}

export function memoryReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`), debug: () => undefined };
}
