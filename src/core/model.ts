/**
 * Names, paths and keys of the HyperShift domain, in one place. Values follow
 * ../shared/reference/hypershift-domain.md (which corrects the stale documentation).
 */

export const HYPERSHIFT_GROUP = 'hypershift.openshift.io';
export const HYPERSHIFT_VERSION = 'v1beta1';

/** API paths of the kinds hcp-dr reads or changes. */
export const Resources = {
  hostedCluster: { group: HYPERSHIFT_GROUP, version: HYPERSHIFT_VERSION, plural: 'hostedclusters', kind: 'HostedCluster' },
  nodePool: { group: HYPERSHIFT_GROUP, version: HYPERSHIFT_VERSION, plural: 'nodepools', kind: 'NodePool' },
  hostedControlPlane: {
    group: HYPERSHIFT_GROUP,
    version: HYPERSHIFT_VERSION,
    plural: 'hostedcontrolplanes',
    kind: 'HostedControlPlane',
  },
  pod: { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  secret: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' },
  configMap: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  namespace: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', clusterScoped: true },
  persistentVolumeClaim: { group: '', version: 'v1', plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim' },
  deployment: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  statefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet' },
  route: { group: 'route.openshift.io', version: 'v1', plural: 'routes', kind: 'Route' },
  node: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', clusterScoped: true },
  awsEndpointService: { group: HYPERSHIFT_GROUP, version: HYPERSHIFT_VERSION, plural: 'awsendpointservices', kind: 'AWSEndpointService' },
  crd: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    clusterScoped: true,
  },
} as const;

/** Control-plane namespace of a HostedCluster: `<namespace>-<name with dots as dashes>`. */
export function controlPlaneNamespace(namespace: string, name: string): string {
  return `${namespace}-${name.replaceAll('.', '-')}`;
}

/** The API servers that write to etcd; scaled to 0 for a quiesced snapshot. */
export const ETCD_WRITER_DEPLOYMENTS = ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver'] as const;

export const Etcd = {
  statefulSet: 'etcd',
  podSelector: 'app=etcd',
  container: 'etcd',
  dataDir: '/var/lib/data',
  /** Where a snapshot is written inside the pod: on the data volume, beside the data dir. */
  snapshotDir: '/var/lib',
  localEndpoint: 'https://localhost:2379',
  /** HyperShift sets ETCD_QUOTA_BACKEND_BYTES to 8 GiB. */
  defaultQuotaBytes: 8 * 1024 ** 3,
  clientCert: '/etc/etcd/tls/client/etcd-client.crt',
  clientKey: '/etc/etcd/tls/client/etcd-client.key',
  /** CA path of OpenShift 4.12 and later. */
  caPath: '/etc/etcd/tls/etcd-ca/ca.crt',
  /** CA path of 4.11 and older. */
  legacyCaPath: '/etc/etcd/tls/client/etcd-client-ca.crt',
  pvcName: (ordinal: number) => `data-etcd-${ordinal}`,
} as const;

/** Annotations hcp-dr writes on a HostedCluster while an operation runs: its crash-safe undo record. */
export const Annotations = {
  operation: 'hcp-dr.openshift.io/operation',
  previousPausedUntil: 'hcp-dr.openshift.io/previous-paused-until',
  previousReplicas: 'hcp-dr.openshift.io/previous-replicas',
  /** A move's record on its destination HostedCluster (JSON MoveOperation). */
  move: 'hcp-dr.openshift.io/move',
  /** Where a source kept with `move --keep-source` went (context name). */
  movedTo: 'hcp-dr.openshift.io/moved-to',
} as const;

/** Secrets of the control-plane namespace without which restored data is unusable. */
export const RESTORE_PKI_SECRETS = ['root-ca', 'etcd-signer', 'sa-signing-key'] as const;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  [key: string]: unknown;
}

/** A Kubernetes object as JSON, with no client-side typing beyond metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export function conditionsOf(obj: KubeObject | undefined): Condition[] {
  const status = obj?.['status'] as { conditions?: Condition[] } | undefined;
  return Array.isArray(status?.conditions) ? status.conditions : [];
}

/**
 * A manifest fit for re-creation: without status and the fields the server sets (uid,
 * resourceVersion, managedFields, generation, selfLink, creationTimestamp).
 */
export function stripServerFields(obj: KubeObject): KubeObject {
  const { status: _status, ...rest } = obj;
  const {
    uid: _uid,
    resourceVersion: _rv,
    managedFields: _mf,
    generation: _gen,
    selfLink: _sl,
    creationTimestamp: _ct,
    ...metadata
  } = obj.metadata;
  return { ...rest, metadata };
}
