/** The subset of kube-apiserver object validation that clients notice. */
import type { ResourceInfo } from '../registry.ts';
import { badRequest, invalid, SimError, type StatusDetails } from '../status.ts';
import type { MemoryStore } from '../store.ts';
import type { SimObject } from '../types.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why kube refuses `name` as metadata.name (a DNS-1123 subdomain; a label for namespaces), or undefined. */
export function badNameReason(info: ResourceInfo, name: string): string | undefined {
  const isNs = info.group === '' && info.plural === 'namespaces';
  const ok = isNs ? LABEL.test(name) && name.length <= 63 : SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return undefined;
  return isNs
    ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
}

/** Checks metadata.name like kube (DNS-1123 subdomain; a label for namespaces). */
export function validateName(info: ResourceInfo, o: SimObject): void {
  const name = o.metadata.name;
  if (typeof name !== 'string' || name === '') {
    if (typeof o.metadata['generateName'] === 'string' && o.metadata['generateName'] !== '') return;
    throw invalid(info.kind, info.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
  }
  const what = badNameReason(info, name);
  if (what) throw invalid(info.kind, info.group, name, [{ field: 'metadata.name', message: `Invalid value: "${name}": ${what}` }]);
}

/** Makes the body agree with the URL; kube answers 400 when they disagree. */
export function reconcileWithUrl(info: ResourceInfo, o: SimObject, namespace: string | undefined, name: string | undefined): void {
  if (typeof o.metadata !== 'object' || o.metadata === null) o.metadata = { name: '' };
  if (name !== undefined && o.metadata.name !== undefined && o.metadata.name !== '' && o.metadata.name !== name) {
    throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
  }
  if (name !== undefined) o.metadata.name = name;
  if (info.namespaced) {
    if (o.metadata.namespace && namespace && o.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (namespace) o.metadata.namespace = namespace;
  } else delete o.metadata.namespace;
  const kind = o['kind'];
  if (kind !== undefined && kind !== '' && kind !== info.kind) {
    throw badRequest(
      `the API version in the data (${String(o['apiVersion'])}) and kind (${String(kind)}) do not match the URL's resource (${info.kind})`,
    );
  }
}

/** Creating in a missing namespace is NotFound; in a terminating one Forbidden (as kube's admission). */
export function checkNamespaceWritable(store: MemoryStore, info: ResourceInfo, namespace: string | undefined, name: string): void {
  if (!info.namespaced || namespace === undefined) return;
  const ns = store.get({ group: '', version: 'v1', plural: 'namespaces' }, undefined, namespace);
  if (!ns) throw new SimError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
  if (ns.metadata.deletionTimestamp) {
    throw new SimError(
      403,
      'Forbidden',
      `${info.group ? `${info.plural}.${info.group}` : info.plural} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      { name, group: info.group, kind: info.plural },
    );
  }
}

/**
 * kube refuses an update that adds a finalizer to an object being deleted (ValidateObjectMetaUpdate):
 * 422 Invalid, FieldValueForbidden at metadata.finalizers.
 */
export function checkNoNewFinalizers(info: ResourceInfo, current: SimObject, next: SimObject): void {
  if (!current.metadata.deletionTimestamp) return;
  const had = new Set(current.metadata.finalizers ?? []);
  const added = (next.metadata.finalizers ?? []).filter((f) => !had.has(f));
  if (added.length === 0) return;
  const message = `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`;
  const details: StatusDetails = {
    name: current.metadata.name,
    kind: info.kind,
    causes: [{ reason: 'FieldValueForbidden', message, field: 'metadata.finalizers' }],
  };
  if (info.group) details.group = info.group;
  throw new SimError(
    422,
    'Invalid',
    `${info.kind}${info.group ? `.${info.group}` : ''} "${current.metadata.name}" is invalid: metadata.finalizers: ${message}`,
    details,
  );
}

/**
 * Custom resources allow no unconditional update (apiextensions' AllowUnconditionalUpdate is false):
 * a PUT without metadata.resourceVersion is 422 Invalid, as kube words it (plural resource in details.kind).
 */
export function requireResourceVersion(info: ResourceInfo, customResource: boolean, body: SimObject): void {
  const rv = body.metadata?.resourceVersion;
  if (!customResource || (rv !== undefined && rv !== '')) return;
  const name = body.metadata?.name ?? '';
  const message = 'Invalid value: 0x0: must be specified for an update';
  throw new SimError(422, 'Invalid', `${info.plural}.${info.group} "${name}" is invalid: metadata.resourceVersion: ${message}`, {
    name,
    group: info.group,
    kind: info.plural,
    causes: [{ reason: 'FieldValueInvalid', message, field: 'metadata.resourceVersion' }],
  });
}
