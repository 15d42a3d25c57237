/**
 * What kube-apiserver's apiextensions-apiserver does to a custom resource on create and update, for
 * every type a stored CRD defines (e.g. the HyperShift CRDs from ../shared/hypershift/crds): prune
 * unknown fields, apply defaults, check the OpenAPI schema, then the CEL `x-kubernetes-validations`
 * (transition rules with oldSelf on updates, e.g. restoreSnapshotURL's `self == oldSelf`), with
 * ratcheting of unchanged values on updates. The engine is the project's own offline validator
 * (src/core/validate), the one `render` checks its output with.
 *
 * A violation is kube's 422 Invalid: `HostedCluster.hypershift.openshift.io "x" is invalid: <path>:
 * <type>: ...`, one cause per field error with kube's reason (FieldValueTooMany, ...) and field path.
 * Defaults also apply to objects written straight into the store (see the constructor).
 * Rules the validator cannot evaluate pass (the real server is the judge of those: see
 * test/integration/apiserver-judge.test.ts). Types without a CRD in the store are not checked.
 */
import { compileCrds, lookupCrd, qualifiedKind, validateObject } from '../../../src/core/validate/index.ts';
import type { CrdRegistry, FieldError, FieldErrorType } from '../../../src/core/validate/index.ts';
import { applyDefaults } from '../../../src/core/validate/defaulting.ts';
import { errorBody, formatErrors } from '../../../src/core/validate/format-errors.ts';
import { CRDS } from './crds.ts';
import { SimError } from './status.ts';
import type { MemoryStore } from './store.ts';
import type { SimObject } from './types.ts';

const REASONS: Record<FieldErrorType, string> = {
  'Required value': 'FieldValueRequired',
  'Invalid value': 'FieldValueInvalid',
  'Unsupported value': 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  'Duplicate value': 'FieldValueDuplicate',
  'Too many': 'FieldValueTooMany',
  'Too long': 'FieldValueTooLong',
  'Internal error': 'InternalError',
  'Unknown field': 'FieldValueInvalid',
};

/** kube's 422 for a custom resource that failed validation. */
export function crdInvalid(entry: { kind: string; group: string }, name: string, errors: readonly FieldError[]): SimError {
  return new SimError(422, 'Invalid', formatErrors(qualifiedKind(entry), name, errors), {
    name,
    group: entry.group,
    kind: entry.kind,
    causes: errors.map((e) => ({ reason: REASONS[e.type], message: errorBody(e), field: e.path === '' ? '<nil>' : e.path })),
  });
}

export class CrdAdmission {
  private readonly store: MemoryStore;
  private compiled: CrdRegistry | undefined;

  constructor(store: MemoryStore) {
    this.store = store;
    store.subscribe((e) => {
      if (e.resource.group === CRDS.group && e.resource.plural === CRDS.plural) this.compiled = undefined;
    });
    // Defaults apply to every write, the sandbox's controllers and seeds included (kube defaults what
    // any client writes, and what it reads back from etcd): a custom resource is never stored without them.
    store.onWrite((gr, o) => {
      if (gr.group === '' || gr.group === CRDS.group || typeof o.kind !== 'string') return;
      const entry = lookupCrd(this.registry(), `${gr.group}/${gr.version}`, o.kind);
      if (entry) applyDefaults(o, entry.schema);
    });
  }

  private registry(): CrdRegistry {
    this.compiled ??= compileCrds(this.store.list(CRDS));
    return this.compiled;
  }

  /** True when a stored CRD serves `apiVersion`/`kind` with a schema. */
  governs(apiVersion: string, kind: string): boolean {
    return lookupCrd(this.registry(), apiVersion, kind) !== undefined;
  }

  /**
   * The object as the server would store it (pruned and defaulted), or a 422 SimError. `old` is the
   * stored object on updates. `apiVersion` and `kind` are the request's (the URL's version). `badName`:
   * why the name is refused (routes/validate.ts badNameReason), reported with the schema's errors.
   */
  admit(object: SimObject, apiVersion: string, kind: string, old?: SimObject, badName?: string): SimObject {
    const registry = this.registry();
    const entry = lookupCrd(registry, apiVersion, kind);
    if (!entry) return object;
    const subject = { ...object, apiVersion, kind };
    const oldSubject = old ? { ...old, apiVersion, kind } : undefined;
    const result = validateObject(registry, subject, oldSubject ? { old: oldSubject } : {});
    const errors: FieldError[] = [...result.errors];
    // kube checks ObjectMeta with the schema and reports both (create only: the name is immutable).
    if (badName) errors.unshift({ path: 'metadata.name', type: 'Invalid value', value: object.metadata.name, message: badName });
    if (errors.length > 0) throw crdInvalid(entry, object.metadata.name, errors);
    return result.defaulted as SimObject;
  }
}
