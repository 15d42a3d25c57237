/**
 * The objects the HyperShift operator stand-in creates for a HostedCluster, as plain builders:
 * the control-plane namespace `<ns>-<name with dots as dashes>`, the HostedControlPlane (spec copied
 * from the HostedCluster, `etcd.managed.storage.restoreSnapshotURL` and `pausedUntil` included), the
 * API server and control-plane-operator Deployments, Services (etcd-client, etcd-discovery headless,
 * kube-apiserver, openshift-apiserver, oauth-openshift) and Routes for services published as Route.
 * Names follow hypershift-domain.md §1.2 and §1.6.
 */
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';

export const NAMESPACES: GroupResource = { group: '', version: 'v1', plural: 'namespaces' };
export const SERVICES: GroupResource = { group: '', version: 'v1', plural: 'services' };
export const ROUTES: GroupResource = { group: 'route.openshift.io', version: 'v1', plural: 'routes' };
export const NODEPOOLS: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'nodepools' };
export const FINALIZER = 'hypershift.openshift.io/finalizer';
export const RESTORED_FROM_BACKUP = 'hypershift.openshift.io/restored-from-backup';
export const SKIP_DELETE_CP_NAMESPACE = 'hypershift.openshift.io/skip-delete-hosted-controlplane-namespace';

type Spec = Record<string, unknown>;
const specOf = (o: SimObject) => (o['spec'] ?? {}) as Spec;

export function controlPlaneNamespace(hc: SimObject): string {
  return `${hc.metadata.namespace}-${hc.metadata.name.replaceAll('.', '-')}`;
}

export function replicasFor(hc: SimObject): number {
  return specOf(hc)['controllerAvailabilityPolicy'] === 'SingleReplica' ? 1 : 3;
}

export function isManagedEtcd(hc: SimObject): boolean {
  return ((specOf(hc)['etcd'] as { managementType?: string } | undefined)?.managementType ?? 'Managed') === 'Managed';
}

/** restoreSnapshotURL[0], the only entry HyperShift uses (§1.7). */
export function restoreUrl(o: SimObject): string | undefined {
  const urls = (specOf(o)['etcd'] as { managed?: { storage?: { restoreSnapshotURL?: string[] } } } | undefined)?.managed?.storage
    ?.restoreSnapshotURL;
  return Array.isArray(urls) && typeof urls[0] === 'string' ? urls[0] : undefined;
}

export function namespaceObject(hc: SimObject): SimObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: controlPlaneNamespace(hc),
      labels: { 'hypershift.openshift.io/hosted-control-plane': 'true' },
      annotations: { 'hypershift.openshift.io/cluster': `${hc.metadata.namespace}/${hc.metadata.name}` },
    },
  };
}

const COPIED = [
  'infraID',
  'issuerURL',
  'networking',
  'platform',
  'dns',
  'services',
  'etcd',
  'secretEncryption',
  'controllerAvailabilityPolicy',
  'infrastructureAvailabilityPolicy',
  'pullSecret',
  'sshKey',
  'pausedUntil',
  'olmCatalogPlacement',
  'fips',
  'configuration',
  'clusterID',
  'autoscaling',
];

/** The HostedControlPlane's spec as the operator derives it from the HostedCluster. */
export function hostedControlPlaneSpec(hc: SimObject): Spec {
  const spec = specOf(hc);
  const out: Spec = { releaseImage: (spec['release'] as { image?: string } | undefined)?.image };
  for (const k of COPIED) if (spec[k] !== undefined) out[k] = JSON.parse(JSON.stringify(spec[k])) as unknown;
  return out;
}

export function hostedControlPlaneObject(hc: SimObject): SimObject {
  const annotations: Record<string, string> = { 'hypershift.openshift.io/cluster': `${hc.metadata.namespace}/${hc.metadata.name}` };
  const restored = hc.metadata.annotations?.[RESTORED_FROM_BACKUP];
  if (restored !== undefined) annotations[RESTORED_FROM_BACKUP] = restored;
  return {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedControlPlane',
    metadata: { name: hc.metadata.name, namespace: controlPlaneNamespace(hc), annotations, finalizers: [FINALIZER] },
    spec: hostedControlPlaneSpec(hc),
  };
}

export const CP_DEPLOYMENTS = ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver', 'control-plane-operator'];

export function deploymentObject(namespace: string, name: string, replicas: number): SimObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name, 'hypershift.openshift.io/control-plane-component': name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'quay.io/openshift/hypershift:latest' }] } },
    },
  };
}

function service(namespace: string, name: string, ports: { name: string; port: number }[], extra: Spec = {}): SimObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      type: 'ClusterIP',
      selector: { app: name.startsWith('etcd') ? 'etcd' : name },
      ports: ports.map((p) => ({ ...p, protocol: 'TCP', targetPort: p.port })),
      ...extra,
    },
  };
}

export function serviceObjects(namespace: string, managedEtcd: boolean): SimObject[] {
  return [
    ...(managedEtcd
      ? [
          service(namespace, 'etcd-client', [
            { name: 'etcd-client', port: 2379 },
            { name: 'metrics', port: 2381 },
          ]),
          service(
            namespace,
            'etcd-discovery',
            [
              { name: 'peer', port: 2380 },
              { name: 'etcd-client', port: 2379 },
            ],
            { clusterIP: 'None', publishNotReadyAddresses: true },
          ),
        ]
      : []),
    service(namespace, 'kube-apiserver', [{ name: 'client', port: 6443 }]),
    service(namespace, 'openshift-apiserver', [{ name: 'https', port: 443 }]),
    service(namespace, 'oauth-openshift', [{ name: 'https', port: 6443 }]),
  ];
}

const ROUTE_FOR: Record<string, { name: string; service: string }> = {
  APIServer: { name: 'kube-apiserver', service: 'kube-apiserver' },
  OAuthServer: { name: 'oauth', service: 'oauth-openshift' },
  Konnectivity: { name: 'konnectivity-server', service: 'konnectivity-server' },
  Ignition: { name: 'ignition-server', service: 'ignition-server' },
};

/** One Route per service the HostedCluster publishes as Route, with its fixed hostname when given. */
export function routeObjects(hc: SimObject): SimObject[] {
  const namespace = controlPlaneNamespace(hc);
  const services = (specOf(hc)['services'] ?? []) as {
    service?: string;
    servicePublishingStrategy?: { type?: string; route?: { hostname?: string } };
  }[];
  const out: SimObject[] = [];
  for (const s of services) {
    const r = s.service ? ROUTE_FOR[s.service] : undefined;
    if (!r || s.servicePublishingStrategy?.type !== 'Route') continue;
    const host = s.servicePublishingStrategy.route?.hostname;
    out.push({
      apiVersion: 'route.openshift.io/v1',
      kind: 'Route',
      metadata: { name: r.name, namespace, labels: { 'hypershift.openshift.io/hosted-control-plane': namespace } },
      spec: { ...(host ? { host } : {}), to: { kind: 'Service', name: r.service }, tls: { termination: 'passthrough' } },
    });
  }
  return out;
}

/** What `hypershift install` leaves: namespace `hypershift` and the `operator` Deployment (pods app=operator). */
export function installOperator(store: SimStore): void {
  if (!store.get(NAMESPACES, undefined, 'hypershift'))
    store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hypershift' } });
  if (!store.get({ group: 'apps', version: 'v1', plural: 'deployments' }, 'hypershift', 'operator')) {
    const d = deploymentObject('hypershift', 'operator', 2);
    d.metadata.labels = { app: 'operator', 'hypershift.openshift.io/operator-component': 'operator' };
    (d['spec'] as { selector: unknown }).selector = { matchLabels: { app: 'operator' } };
    store.create({ group: 'apps', version: 'v1', plural: 'deployments' }, d);
  }
}
