/** URL paths of the Kubernetes REST API. */
import type { ResourceType } from '../core/ports.ts';

export function collectionPath(type: ResourceType, namespace: string | undefined): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.clusterScoped || namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${base}${ns}/${type.plural}`;
}

export function objectPath(type: ResourceType, namespace: string | undefined, name: string, subresource?: string): string {
  const sub = subresource ? `/${subresource}` : '';
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}${sub}`;
}

/** `hostedclusters.hypershift.openshift.io "demo" in namespace "clusters"`, as kubectl names objects. */
export function describeObject(type: ResourceType, namespace: string | undefined, name?: string): string {
  const resource = type.group === '' ? type.plural : `${type.plural}.${type.group}`;
  const ns = type.clusterScoped || namespace === undefined ? '' : ` in namespace "${namespace}"`;
  return name === undefined ? `${resource}${ns}` : `${resource} "${name}"${ns}`;
}
