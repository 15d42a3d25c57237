/**
 * The one stateful in-memory KubeApi for unit tests (src/core/ports.ts), failing the way the API server
 * and src/kube's adapter do: `get` answers undefined for a missing object, `create` of an existing one
 * ConflictError (409 AlreadyExists), a write to a missing one NotFoundError, a merge patch carrying
 * metadata.resourceVersion ConflictError when the object moved on, a failing JSON-patch `test` op
 * ConflictError, `delete` of a missing object nothing (the adapter swallows 404). An object with
 * finalizers is only marked (metadata.deletionTimestamp) by `delete` and goes when a write empties them.
 */
import { ConflictError, NotFoundError, UsageError } from '../../../src/core/errors.ts';
import type { KubeObject } from '../../../src/core/model.ts';
import type { JsonPatchOp, KubeApi, ListOptions, ResourceType } from '../../../src/core/ports.ts';
import type { PodLogs } from '../../../src/core/contracts/restore.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386: objects merge, `null` removes, anything else replaces. */
export function mergePatchJson(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatchJson(out[k], v);
  }
  return out;
}

const unescape = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

/** RFC 6902 add/replace/remove/test on a copy; a failing test throws ConflictError, a missing path UsageError (422). */
export function applyJsonPatch(doc: KubeObject, ops: JsonPatchOp[], what: string): KubeObject {
  const root = structuredClone(doc) as unknown as Json;
  for (const op of ops) {
    const parts = op.path.split('/').slice(1).map(unescape);
    const last = parts.pop() as string;
    let parent: unknown = root;
    for (const p of parts) parent = Array.isArray(parent) ? parent[Number(p)] : isObject(parent) ? parent[p] : undefined;
    const missing = () => new UsageError(`${what}: path ${op.path} does not exist`);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'test' && JSON.stringify(parent[i]) !== JSON.stringify(op.value)) throw modified(what, op.path);
      if ((op.op === 'remove' || op.op === 'replace') && i >= parent.length) throw missing();
      if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
      if (op.op === 'replace') parent[i] = structuredClone(op.value);
      if (op.op === 'remove') parent.splice(i, 1);
    } else if (isObject(parent)) {
      if (op.op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw modified(what, op.path);
      if ((op.op === 'remove' || op.op === 'replace') && !(last in parent)) throw missing();
      if (op.op === 'add' || op.op === 'replace') parent[last] = structuredClone(op.value);
      if (op.op === 'remove') delete parent[last];
    } else throw missing();
  }
  return root as unknown as KubeObject;
}

const modified = (what: string, path: string) => new ConflictError(`${what}: the object has been modified (test of ${path} failed)`);

/** `a=b,c!=d,e,!f` as the API server reads a label selector (no set-based `in`). */
export function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  for (const term of (selector ?? '').split(',').filter(Boolean)) {
    const ne = term.match(/^([^!=]+)!=(.*)$/);
    const eq = term.match(/^([^!=]+)==?(.*)$/);
    if (ne) {
      if (labels?.[ne[1]!] === ne[2]) return false;
    } else if (eq) {
      if (labels?.[eq[1]!] !== eq[2]) return false;
    } else if (term.startsWith('!')) {
      if (labels?.[term.slice(1)] !== undefined) return false;
    } else if (labels?.[term] === undefined) return false;
  }
  return true;
}

export class FakeKube implements KubeApi {
  /** Stored objects by "plural/namespace/name" (namespace empty for cluster-scoped types). */
  readonly objects = new Map<string, KubeObject>();
  /** Every write that changed something, in order: "create Secret clusters/x", "patch HostedCluster clusters/demo", "delete Namespace /x". */
  readonly journal: string[] = [];
  /** The same writes by resource: "patch deployments clusters-demo/kube-apiserver". */
  readonly writes: string[] = [];
  /** Container logs for readLog, by "namespace/pod/container" (plus "/previous"). */
  readonly logs = new Map<string, string>();
  /** Called after every write, like a controller watching. */
  onWrite: ((verb: string, type: ResourceType, obj: KubeObject) => void) | undefined;
  #rv = 1;
  #uid = 1;
  readonly #target: string;

  constructor(target = 'context "fake" (https://fake)') {
    this.#target = target;
  }

  static keyOf(type: ResourceType, namespace: string, name: string): string {
    return `${type.plural}/${type.clusterScoped ? '' : namespace}/${name}`;
  }

  /** Stores an object as a controller or an earlier test step would: no checks, no journal, a fresh resourceVersion. */
  put(type: ResourceType, obj: KubeObject): void {
    const key = FakeKube.keyOf(type, obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    const uid = obj.metadata.uid ?? this.objects.get(key)?.metadata.uid ?? `uid-${this.#uid++}`;
    this.objects.set(key, structuredClone({ ...obj, metadata: { ...obj.metadata, uid, resourceVersion: String(this.#rv++) } }));
  }

  async get(type: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined> {
    const o = this.objects.get(FakeKube.keyOf(type, namespace, name));
    return o && structuredClone(o);
  }

  async list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): Promise<KubeObject[]> {
    const prefix = namespace === undefined || type.clusterScoped ? `${type.plural}/` : `${type.plural}/${namespace}/`;
    return [...this.objects.entries()]
      .filter(([key, o]) => key.startsWith(prefix) && matchesSelector(o.metadata.labels, options.labelSelector))
      .map(([, o]) => structuredClone(o));
  }

  async create(type: ResourceType, namespace: string, body: KubeObject): Promise<KubeObject> {
    const name = body.metadata.name ?? '';
    const key = FakeKube.keyOf(type, namespace, name);
    if (this.objects.has(key)) throw new ConflictError(`${type.plural} "${name}" already exists`);
    const metadata = { ...body.metadata, ...(type.clusterScoped ? {} : { namespace }), creationTimestamp: new Date().toISOString() };
    delete metadata.resourceVersion;
    delete metadata.uid;
    this.put(type, { ...body, metadata });
    return this.#wrote('create', type, namespace, name);
  }

  async mergePatch(type: ResourceType, namespace: string, name: string, patch: unknown): Promise<KubeObject> {
    const current = this.#existing(type, namespace, name);
    const wanted = (patch as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion)
      throw new ConflictError(`Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified`);
    return this.#replace(type, namespace, name, mergePatchJson(current, patch) as KubeObject);
  }

  async jsonPatch(type: ResourceType, namespace: string, name: string, ops: JsonPatchOp[]): Promise<KubeObject> {
    const current = this.#existing(type, namespace, name);
    return this.#replace(type, namespace, name, applyJsonPatch(current, ops, `patch ${type.plural} "${name}"`));
  }

  async delete(type: ResourceType, namespace: string, name: string): Promise<void> {
    const key = FakeKube.keyOf(type, namespace, name);
    const current = this.objects.get(key);
    if (!current) return;
    if (current.metadata.finalizers?.length) {
      if (current.metadata.deletionTimestamp) return;
      this.put(type, { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date().toISOString() } });
      this.#wrote('delete', type, namespace, name);
      return;
    }
    this.objects.delete(key);
    this.#record('delete', type, namespace, name, current);
  }

  async readLog(namespace: string, pod: string, container: string, options: { previous?: boolean } = {}): Promise<string | undefined> {
    return this.logs.get(`${namespace}/${pod}/${container}${options.previous ? '/previous' : ''}`);
  }

  describeTarget(): string {
    return this.#target;
  }

  #existing(type: ResourceType, namespace: string, name: string): KubeObject {
    const current = this.objects.get(FakeKube.keyOf(type, namespace, name));
    if (!current) throw new NotFoundError(`${type.plural} "${name}" not found`);
    return current;
  }

  /** Writes `next` in place of the stored object; a deleting object whose finalizers are gone goes. */
  #replace(type: ResourceType, namespace: string, name: string, next: KubeObject): KubeObject {
    const key = FakeKube.keyOf(type, namespace, name);
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.objects.delete(key);
      this.#record('patch', type, namespace, name, next);
      return structuredClone(next);
    }
    this.put(type, next);
    return this.#wrote('patch', type, namespace, name);
  }

  #wrote(verb: string, type: ResourceType, namespace: string, name: string): KubeObject {
    const stored = this.objects.get(FakeKube.keyOf(type, namespace, name)) as KubeObject;
    this.#record(verb, type, namespace, name, stored);
    return structuredClone(stored);
  }

  #record(verb: string, type: ResourceType, namespace: string, name: string, obj: KubeObject): void {
    const where = `${type.clusterScoped ? '' : `${namespace}/`}${name}`;
    this.journal.push(`${verb} ${type.kind} ${where}`);
    this.writes.push(`${verb} ${type.plural} ${namespace}/${name}`);
    this.onWrite?.(verb, type, obj);
  }
}

/** Pod logs as restore reads them (PodLogs), by "namespace/pod/container" (plus "/previous"). */
export class FakeLogs implements PodLogs {
  readonly logs = new Map<string, string>();
  async read(namespace: string, pod: string, container: string, options: { previous?: boolean } = {}): Promise<string | undefined> {
    return this.logs.get(`${namespace}/${pod}/${container}${options.previous ? '/previous' : ''}`);
  }
}
