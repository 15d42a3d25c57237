/** The subset of kube-apiserver object validation that clients notice. */
import type { ResourceInfo } from '../registry.ts';
import { badRequest, invalid, SimError } from '../status.ts';
import type { MemoryStore } from '../store.ts';
import type { SimObject } from '../types.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks metadata.name like kube (DNS-1123 subdomain; a label for namespaces). */
export function validateName(info: ResourceInfo, o: SimObject): void {
  const name = o.metadata.name;
  const isNs = info.group === '' && info.plural === 'namespaces';
  if (typeof name !== 'string' || name === '') {
    if (typeof o.metadata['generateName'] === 'string' && o.metadata['generateName'] !== '') return;
    throw invalid(info.kind, info.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
  }
  const ok = isNs ? LABEL.test(name) && name.length <= 63 : SUBDOMAIN.test(name) && name.length <= 253;
  if (!ok) {
    const what = isNs
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    throw invalid(info.kind, info.group, name, [{ field: 'metadata.name', message: `Invalid value: "${name}": ${what}` }]);
  }
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
