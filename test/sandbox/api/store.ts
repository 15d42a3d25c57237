/**
 * In-memory object store with kube-apiserver write semantics (see SimStore in types.ts).
 * Beyond the contract it keeps a bounded event history so watches can resume from a resourceVersion,
 * and it models namespace deletion: the namespace turns Terminating, its objects are deleted (those
 * with finalizers linger), and the namespace goes once it is empty and has no finalizers itself.
 * Namespace existence is NOT enforced here (controllers may write freely); the REST layer checks it.
 */
import { randomUUID } from 'node:crypto';
import type { Registry, ResourceInfo } from './registry.ts';
import { parseLabelSelector } from './selectors.ts';
import { alreadyExists, badRequest, conflict, notFound } from './status.ts';
import type { GroupResource, SimObject, SimStore, StoreEvent } from './types.ts';

const NAMESPACES: GroupResource = { group: '', version: 'v1', plural: 'namespaces' };
const HISTORY_LIMIT = 10_000;

export function kubeTimestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function clone<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Everything but metadata and status: what kube-apiserver compares to decide on a generation bump. */
function specPart(o: SimObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function randomSuffix(): string {
  const chars = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

export interface HistoryEntry {
  rv: number;
  event: StoreEvent;
}

export class MemoryStore implements SimStore {
  private readonly registry: Registry;
  private readonly objects = new Map<string, Map<string, SimObject>>();
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly history: HistoryEntry[] = [];
  private readonly pending: StoreEvent[] = [];
  private dispatching = false;
  private rv = 0;
  private writeHook: ((resource: GroupResource, o: SimObject) => void) | undefined;
  /** Events with rv <= this have been dropped from history. */
  private compactedRv = 0;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  /** Events after `rv` (exclusive), or undefined when history no longer reaches back that far. */
  eventsSince(rv: number): HistoryEntry[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.history.filter((h) => h.rv > rv);
  }

  private info(resource: GroupResource): ResourceInfo | undefined {
    return this.registry.info(resource);
  }

  private bucket(resource: GroupResource): Map<string, SimObject> {
    const k = `${resource.group}/${resource.plural}`;
    let b = this.objects.get(k);
    if (!b) this.objects.set(k, (b = new Map()));
    return b;
  }

  private normalize(resource: GroupResource): GroupResource {
    const info = this.info(resource);
    return { group: resource.group, version: info?.versions[0] ?? resource.version, plural: resource.plural };
  }

  private namespaced(resource: GroupResource, o?: SimObject): boolean {
    const info = this.info(resource);
    return info ? info.namespaced : o?.metadata.namespace !== undefined;
  }

  private objKey(resource: GroupResource, namespace: string | undefined, name: string): string {
    return this.namespaced(resource) ? `${namespace ?? ''}/${name}` : name;
  }

  private nextRv(): string {
    return String(++this.rv);
  }

  private emit(event: StoreEvent): void {
    this.history.push({ rv: Number(event.object.metadata.resourceVersion), event });
    if (this.history.length > HISTORY_LIMIT) this.compactedRv = this.history.shift()?.rv ?? this.compactedRv;
    // Queue so that writes made by listeners are delivered after the current event, in RV order.
    this.pending.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let e = this.pending.shift(); e; e = this.pending.shift()) {
        for (const l of [...this.listeners]) {
          try {
            l(clone(e));
          } catch (err) {
            console.error('sim store listener failed:', err);
          }
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  /**
   * `hook` may complete every object written (create, update) before it is stored, whoever writes it:
   * the API server's defaulting of custom resources (crd-admission.ts), which kube also applies to what
   * controllers write.
   */
  onWrite(hook: (resource: GroupResource, o: SimObject) => void): void {
    this.writeHook = hook;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(resource: GroupResource, namespace: string | undefined, name: string): SimObject | undefined {
    const o = this.bucket(resource).get(this.objKey(resource, namespace, name));
    return o ? this.present(resource, o) : undefined;
  }

  peek<T>(resource: GroupResource, namespace: string | undefined, name: string, read: (o: Readonly<SimObject>) => T): T | undefined {
    const o = this.bucket(resource).get(this.objKey(resource, namespace, name));
    return o ? read(o) : undefined;
  }

  peekAll(resource: GroupResource, read: (o: Readonly<SimObject>) => void): void {
    for (const o of this.bucket(resource).values()) read(o);
  }

  /** A copy whose apiVersion matches the version asked for (no schema conversion). */
  private present(resource: GroupResource, o: SimObject): SimObject {
    const c = clone(o);
    const info = this.info(resource);
    if (info && info.versions.includes(resource.version)) {
      c.apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
    }
    return c;
  }

  list(resource: GroupResource, namespace?: string, labelSelector?: string): SimObject[] {
    const match = parseLabelSelector(labelSelector);
    const out: SimObject[] = [];
    for (const o of this.bucket(resource).values()) {
      if (namespace !== undefined && namespace !== '' && o.metadata.namespace !== namespace) continue;
      if (match(o.metadata.labels)) out.push(this.present(resource, o));
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`),
    );
  }

  create(resource: GroupResource, object: SimObject): SimObject {
    const gr = this.normalize(resource);
    const info = this.info(gr);
    const o = clone(object);
    o.metadata ??= { name: '' };
    if (!o.metadata.name && typeof o.metadata['generateName'] === 'string') {
      o.metadata.name = `${o.metadata['generateName']}${randomSuffix()}`;
    }
    if (!o.metadata.name) throw badRequest('name or generateName is required');
    if (this.namespaced(gr, o)) {
      if (!o.metadata.namespace) throw badRequest('the server could not find the requested resource: namespace is required');
    } else delete o.metadata.namespace;
    const b = this.bucket(gr);
    const k = this.objKey(gr, o.metadata.namespace, o.metadata.name);
    if (b.has(k)) throw alreadyExists(gr, o.metadata.name);
    if (info) {
      o.apiVersion ||= gr.group ? `${gr.group}/${gr.version}` : gr.version;
      o.kind ||= info.kind;
    }
    this.writeHook?.(gr, o);
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = kubeTimestamp();
    delete o.metadata.deletionTimestamp;
    if ('spec' in o || (gr.group !== '' && gr.group !== 'apps')) o.metadata.generation = 1;
    else delete o.metadata.generation;
    if (gr.group === '' && gr.plural === 'namespaces') {
      o['status'] = { phase: 'Active', ...(o['status'] ?? {}) };
    }
    o.metadata.resourceVersion = this.nextRv();
    b.set(k, o);
    this.emit({ type: 'ADDED', resource: gr, object: clone(o) });
    return this.present(resource, o);
  }

  update(resource: GroupResource, object: SimObject): SimObject {
    const gr = this.normalize(resource);
    const b = this.bucket(gr);
    const name = object.metadata?.name;
    if (!name) throw badRequest('name is required');
    const k = this.objKey(gr, object.metadata.namespace, name);
    const old = b.get(k);
    if (!old) throw notFound(gr, name);
    const rvIn = object.metadata.resourceVersion;
    if (rvIn !== undefined && rvIn !== '' && rvIn !== old.metadata.resourceVersion) throw conflict(gr, name);
    const o = clone(object);
    o.apiVersion = old.apiVersion;
    o.kind = old.kind;
    this.writeHook?.(gr, o);
    o.metadata.uid = old.metadata.uid;
    o.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.namespace !== undefined) o.metadata.namespace = old.metadata.namespace;
    if (old.metadata.deletionTimestamp) o.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete o.metadata.deletionTimestamp;
    if (old.metadata.generation !== undefined) {
      o.metadata.generation = old.metadata.generation + (deepEqual(specPart(old), specPart(o)) ? 0 : 1);
    } else delete o.metadata.generation;
    o.metadata.resourceVersion = old.metadata.resourceVersion;
    // A write that changes nothing is not a write: no new RV, no event (as kube-apiserver).
    if (deepEqual(old, o)) return this.present(resource, old);
    o.metadata.resourceVersion = this.nextRv();
    const isNs = gr.group === '' && gr.plural === 'namespaces';
    if (!isNs && o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).length === 0) {
      b.delete(k);
      this.emit({ type: 'DELETED', resource: gr, object: clone(o), old: clone(old) });
      this.afterRemoval(gr, o);
      return this.present(resource, o);
    }
    b.set(k, o);
    this.emit({ type: 'MODIFIED', resource: gr, object: clone(o), old: clone(old) });
    if (isNs) this.maybeFinishNamespace(name);
    return (isNs ? this.get(resource, undefined, name) : undefined) ?? this.present(resource, o);
  }

  mutate(resource: GroupResource, namespace: string | undefined, name: string, fn: (o: SimObject) => void): SimObject {
    const cur = this.get(resource, namespace, name);
    if (!cur) throw notFound(resource, name);
    fn(cur);
    return this.update(resource, cur);
  }

  /** Deletes (or, with finalizers, marks deleted); returns the object's last state. */
  delete(resource: GroupResource, namespace: string | undefined, name: string): SimObject {
    const gr = this.normalize(resource);
    const b = this.bucket(gr);
    const k = this.objKey(gr, namespace, name);
    const old = b.get(k);
    if (!old) throw notFound(gr, name);
    const isNs = gr.group === '' && gr.plural === 'namespaces';
    if (isNs) return this.deleteNamespace(old);
    if ((old.metadata.finalizers ?? []).length > 0) {
      if (old.metadata.deletionTimestamp) return this.present(resource, old);
      const o = clone(old);
      o.metadata.deletionTimestamp = kubeTimestamp();
      // kube's BeforeDelete: a graceful deletion of an object that has a generation bumps it.
      if (o.metadata.generation !== undefined && o.metadata.generation > 0) o.metadata.generation += 1;
      o.metadata.resourceVersion = this.nextRv();
      b.set(k, o);
      this.emit({ type: 'MODIFIED', resource: gr, object: clone(o), old: clone(old) });
      return this.present(resource, o);
    }
    b.delete(k);
    const o = clone(old);
    o.metadata.resourceVersion = this.nextRv();
    this.emit({ type: 'DELETED', resource: gr, object: clone(o), old: clone(old) });
    this.afterRemoval(gr, o);
    return this.present(resource, o);
  }

  private deleteNamespace(ns: SimObject): SimObject {
    const name = ns.metadata.name;
    if (!ns.metadata.deletionTimestamp) {
      this.mutateRaw(NAMESPACES, name, (o) => {
        o.metadata.deletionTimestamp = kubeTimestamp();
        o['status'] = { ...(o['status'] ?? {}), phase: 'Terminating' };
      });
    }
    for (const [key, bucket] of this.objects) {
      const [group = '', plural = ''] = key.split('/');
      for (const o of [...bucket.values()]) {
        if (o.metadata.namespace !== name || o.metadata.deletionTimestamp) continue;
        this.delete({ group, version: '', plural }, name, o.metadata.name);
      }
    }
    this.maybeFinishNamespace(name);
    return this.get(NAMESPACES, undefined, name) ?? { ...clone(ns), status: { phase: 'Terminating' } };
  }

  /** Writes bypassing the deletionTimestamp guard in update(). */
  private mutateRaw(resource: GroupResource, name: string, fn: (o: SimObject) => void): void {
    const b = this.bucket(resource);
    const old = b.get(name);
    if (!old) return;
    const o = clone(old);
    fn(o);
    o.metadata.resourceVersion = this.nextRv();
    b.set(name, o);
    this.emit({ type: 'MODIFIED', resource: this.normalize(resource), object: clone(o), old: clone(old) });
  }

  private afterRemoval(gr: GroupResource, o: SimObject): void {
    if (o.metadata.namespace && this.namespaced(gr)) this.maybeFinishNamespace(o.metadata.namespace);
  }

  private maybeFinishNamespace(name: string): void {
    const ns = this.bucket(NAMESPACES).get(name);
    if (!ns?.metadata.deletionTimestamp || (ns.metadata.finalizers ?? []).length > 0) return;
    for (const bucket of this.objects.values()) {
      for (const o of bucket.values()) if (o.metadata.namespace === name && o !== ns) return;
    }
    this.bucket(NAMESPACES).delete(name);
    const gone = clone(ns);
    gone.metadata.resourceVersion = this.nextRv();
    this.emit({ type: 'DELETED', resource: this.normalize(NAMESPACES), object: gone, old: clone(ns) });
  }
}
