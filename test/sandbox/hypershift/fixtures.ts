/**
 * What a user applies to create a hosted cluster (the `--render` shape, hypershift-domain.md §4): the
 * HostedCluster namespace, its pull-secret and AES-CBC key Secrets, the HostedCluster (optionally with
 * one restoreSnapshotURL), and a NodePool. Built from the sandbox seed's objects, without status and
 * without anything the operator creates. For tests of the operator stand-in and of restore.
 */
import { hostedClusterObjects, type SeedObject } from '../seed.ts';
import type { SimObject, SimStore } from '../api/types.ts';

export interface HostedClusterManifestOptions {
  namespace?: string;
  name?: string;
  policy?: 'HighlyAvailable' | 'SingleReplica';
  /** Sets spec.etcd.managed.storage.restoreSnapshotURL to [url]. */
  restoreUrl?: string;
  /** spec.pausedUntil. */
  pausedUntil?: string;
  annotations?: Record<string, string>;
}

const USER_KINDS = new Set(['Namespace', 'Secret', 'HostedCluster', 'NodePool']);

export function hostedClusterManifest(options: HostedClusterManifestOptions = {}): SeedObject[] {
  const ns = options.namespace ?? 'clusters';
  const name = options.name ?? 'demo';
  const objects = hostedClusterObjects({ namespace: ns, name, ...(options.policy ? { policy: options.policy } : {}) }).filter(
    ({ object }) =>
      USER_KINDS.has(object.kind) && (object.kind === 'Namespace' ? object.metadata.name === ns : object.metadata.namespace === ns),
  );
  for (const { object } of objects) {
    delete object['status'];
    if (object.kind !== 'HostedCluster') continue;
    delete object.metadata.finalizers;
    if (options.annotations) object.metadata.annotations = { ...options.annotations };
    const spec = object['spec'] as { pausedUntil?: string; etcd: { managed?: { storage: Record<string, unknown> } } };
    if (options.restoreUrl) spec.etcd.managed!.storage['restoreSnapshotURL'] = [options.restoreUrl];
    if (options.pausedUntil) spec.pausedUntil = options.pausedUntil;
  }
  return objects;
}

/** Creates the manifest's objects in a store (an existing Namespace is accepted); returns the HostedCluster. */
export function applyHostedCluster(store: SimStore, options: HostedClusterManifestOptions = {}): SimObject {
  let hc: SimObject | undefined;
  for (const { resource, object } of hostedClusterManifest(options)) {
    if (object.kind === 'Namespace' && store.get(resource, undefined, object.metadata.name)) continue;
    if (object.kind === 'Secret' && store.get(resource, object.metadata.namespace, object.metadata.name)) continue;
    const created = store.create(resource, object);
    if (created.kind === 'HostedCluster') hc = created;
  }
  return hc!;
}
