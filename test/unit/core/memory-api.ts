/** A stateful in-memory KubeApi for core tests: objects by type/namespace/name, RFC 7386 merge patches, conditional writes. */
import { ConflictError } from '../../../src/core/errors.ts';
import type { KubeObject } from '../../../src/core/model.ts';
import type { JsonPatchOp, KubeApi, ResourceType } from '../../../src/core/ports.ts';
import { mergePatch } from '../../support/sim/patch.ts';

/** A merge patch carrying metadata.resourceVersion is conditional, as on a real API server; `subresource` (scale) patches the object itself. */
export class MemoryApi implements KubeApi {
  readonly objects = new Map<string, KubeObject>();
  /** "verb plural ns/name", in order. */
  readonly writes: string[] = [];
  #rv = 1;
  readonly #key = (t: ResourceType, ns: string, name: string) => `${t.plural}/${ns}/${name}`;
  put(t: ResourceType, obj: KubeObject): void {
    this.objects.set(this.#key(t, obj.metadata.namespace ?? '', obj.metadata.name ?? ''), {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(this.#rv++) },
    });
  }
  async get(t: ResourceType, ns: string, name: string) {
    const o = this.objects.get(this.#key(t, ns, name));
    return o && structuredClone(o);
  }
  async list(t: ResourceType, ns: string | undefined) {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${t.plural}/${ns ?? ''}`)).map(([, o]) => structuredClone(o));
  }
  async create(t: ResourceType, ns: string, body: KubeObject) {
    this.put(t, { ...body, metadata: { ...body.metadata, namespace: ns } });
    return body;
  }
  async mergePatch(t: ResourceType, ns: string, name: string, patch: unknown) {
    const current = this.objects.get(this.#key(t, ns, name));
    if (!current) throw new Error(`no ${t.plural} ${ns}/${name}`);
    const wanted = (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion) throw new ConflictError('the object has been modified');
    const next = mergePatch(current, patch) as KubeObject;
    this.put(t, next);
    this.writes.push(`patch ${t.plural} ${ns}/${name}`);
    return structuredClone(next);
  }
  async jsonPatch(_t: ResourceType, _ns: string, _name: string, _ops: JsonPatchOp[]): Promise<KubeObject> {
    throw new Error('not used');
  }
  async delete(t: ResourceType, ns: string, name: string) {
    this.objects.delete(this.#key(t, ns, name));
  }
  describeTarget() {
    return 'memory';
  }
}
