/**
 * AWSEndpointService objects of Private and PublicAndPrivate AWS hosted clusters (hypershift-domain.md
 * §5, §1.9; test support, never shipped): `private-router` in the control-plane namespace
 * (hypershift.openshift.io/v1beta1, kind AWSEndpointService), carrying the control-plane operator's
 * finalizer `hypershift.openshift.io/control-plane-operator-finalizer`. The control-plane operator
 * stand-in removes the finalizer from a deleted one only while Deployment `control-plane-operator` of
 * that namespace runs (spec.replicas > 0): with the CPO at 0 (a frozen source) they keep the namespace
 * Terminating until someone removes the finalizers (a move's teardown).
 *
 * API: ensureEndpointServices(store, hc) (idempotent; creates the CRD when missing),
 * attachEndpointServiceController(store) → detach, releaseEndpointServices(store, ns) (ordinary
 * deletion, the CPO running), ENDPOINT_SERVICES, CPO_FINALIZER.
 */
import { CRDS } from '../api/crds.ts';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';
import { controlPlaneNamespace } from './control-plane.ts';
import { crd } from './machine-api.ts';

export const ENDPOINT_SERVICES: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'awsendpointservices' };
export const CPO_FINALIZER = 'hypershift.openshift.io/control-plane-operator-finalizer';
const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };
const CRD_NAME = 'awsendpointservices.hypershift.openshift.io';

/** AWS endpointAccess of a HostedCluster (Public when unset); undefined for other platforms. */
export function endpointAccessOf(hc: SimObject): string | undefined {
  const platform = (hc['spec'] as { platform?: { type?: string; aws?: { endpointAccess?: string } } } | undefined)?.platform;
  return platform?.type === 'AWS' ? (platform.aws?.endpointAccess ?? 'Public') : undefined;
}

function installCrd(store: SimStore): void {
  if (!store.get(CRDS, undefined, CRD_NAME))
    store.create(CRDS, crd('hypershift.openshift.io', 'AWSEndpointService', 'awsendpointservices', 'v1beta1'));
}

/** Creates `private-router` for a Private/PublicAndPrivate AWS cluster; nothing for Public ones. */
export function ensureEndpointServices(store: SimStore, hc: SimObject): void {
  const access = endpointAccessOf(hc);
  if (access !== 'Private' && access !== 'PublicAndPrivate') return;
  installCrd(store);
  const ns = controlPlaneNamespace(hc);
  if (store.get(ENDPOINT_SERVICES, ns, 'private-router')) return;
  store.create(ENDPOINT_SERVICES, {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'AWSEndpointService',
    metadata: { name: 'private-router', namespace: ns, finalizers: [CPO_FINALIZER] },
    spec: { networkLoadBalancerName: `${hc.metadata.name}-private-router`, subnetIDs: ['subnet-0a1b2c'] },
    status: { endpointServiceName: `com.amazonaws.vpce.us-east-1.vpce-svc-0${hc.metadata.name.length}abc`, endpointID: 'vpce-0abc' },
  });
}

const cpoRunning = (store: SimStore, ns: string) => {
  const d = store.get(DEPLOYMENTS, ns, 'control-plane-operator');
  return !!d && !d.metadata.deletionTimestamp && ((d['spec'] as { replicas?: number } | undefined)?.replicas ?? 1) > 0;
};

function dropFinalizer(store: SimStore, o: SimObject): void {
  try {
    store.mutate(ENDPOINT_SERVICES, o.metadata.namespace, o.metadata.name, (x) => {
      x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((f) => f !== CPO_FINALIZER);
    });
  } catch {
    /* gone meanwhile */
  }
}

/** The CPO's part of an ordinary deletion (it runs): every endpoint service of `ns` lets go. */
export function releaseEndpointServices(store: SimStore, ns: string): void {
  for (const o of store.list(ENDPOINT_SERVICES, ns)) dropFinalizer(store, o);
}

/** The control-plane operator stand-in for endpoint services: finishes deletions while the CPO runs. */
export function attachEndpointServiceController(store: SimStore): () => void {
  const reconcile = (ns: string) => {
    if (!cpoRunning(store, ns)) return;
    for (const o of store.list(ENDPOINT_SERVICES, ns)) if (o.metadata.deletionTimestamp) dropFinalizer(store, o);
  };
  return store.subscribe((e) => {
    const ns = e.object.metadata.namespace ?? '';
    if (e.resource.plural === ENDPOINT_SERVICES.plural && e.resource.group === ENDPOINT_SERVICES.group) reconcile(ns);
    else if (e.resource.plural === 'deployments' && e.object.metadata.name === 'control-plane-operator' && e.type !== 'DELETED')
      reconcile(ns);
  });
}
