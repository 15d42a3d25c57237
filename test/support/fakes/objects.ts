/**
 * Builders for the objects unit tests put into a FakeKube: HyperShift's defaults for clusters/demo,
 * each field overridable. `metadata` merges; every other key replaces.
 */
import { HYPERSHIFT_GROUP, HYPERSHIFT_VERSION, type KubeObject, type ObjectMeta } from '../../../src/core/model.ts';

const HS_API = `${HYPERSHIFT_GROUP}/${HYPERSHIFT_VERSION}`;

export interface Overrides {
  metadata?: Partial<ObjectMeta>;
  [key: string]: unknown;
}

function build(base: KubeObject, over: Overrides): KubeObject {
  const { metadata, ...rest } = over;
  return { ...base, ...rest, metadata: { ...base.metadata, ...metadata } };
}

/** A HostedCluster clusters/demo (or `name`), with an empty spec unless given. */
export function hostedCluster(name = 'demo', over: Overrides = {}): KubeObject {
  return build({ apiVersion: HS_API, kind: 'HostedCluster', metadata: { name, namespace: 'clusters' } }, over);
}

/** A NodePool of `clusterName` with `replicas`, in namespace clusters. */
export function nodePool(name: string, clusterName = 'demo', replicas?: number, over: Overrides = {}): KubeObject {
  const spec = { clusterName, ...(replicas === undefined ? {} : { replicas }) };
  return build({ apiVersion: HS_API, kind: 'NodePool', metadata: { name, namespace: 'clusters' }, spec }, over);
}

/** A Secret with base64 `data` (default `a: "a"`) and `type` (default Opaque). */
export function secret(namespace: string, name: string, data: Record<string, string> = { a: 'YQ==' }, type = 'Opaque'): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace }, data };
}

export function namespace(name: string, over: Overrides = {}): KubeObject {
  return build({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, over);
}

/** A Pod in `namespace`, Running and Ready unless `status` is given. */
export function pod(namespace: string, name: string, over: Overrides = {}): KubeObject {
  const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
  return build({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, status }, over);
}

export function deployment(namespace: string, name: string, replicas = 1, over: Overrides = {}): KubeObject {
  return build({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { replicas } }, over);
}
