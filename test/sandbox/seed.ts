/**
 * The objects of the sandbox's hosted cluster `clusters/demo`: a HighlyAvailable AWS-style
 * HostedCluster with managed etcd and an AES-CBC key, its NodePool, HostedControlPlane, the
 * API server deployments, the Routes of its published services and the PKI secrets a restore
 * needs. Written by hand after the shapes `hypershift create cluster aws --render` and the
 * operators produce.
 */
import { randomBytes } from 'node:crypto';
import type { GroupResource, SimObject } from './api/types.ts';
import { routeObjects, ROUTES } from './hypershift/control-plane.ts';

export interface SeedObject {
  resource: GroupResource;
  object: SimObject;
}

const core = (plural: string): GroupResource => ({ group: '', version: 'v1', plural });
const apps = (plural: string): GroupResource => ({ group: 'apps', version: 'v1', plural });
const hs = (plural: string): GroupResource => ({ group: 'hypershift.openshift.io', version: 'v1beta1', plural });

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

export interface SeedOptions {
  namespace?: string;
  name?: string;
  policy?: 'HighlyAvailable' | 'SingleReplica';
  managementType?: 'Managed' | 'Unmanaged';
  /** spec.release.image (default 4.19.3, whose etcd is 3.5; the sandbox gives a 4.21 release to etcd 3.6). */
  release?: string;
  /**
   * spec.platform.aws.endpointAccess (default Public). PublicAndPrivate and Private clusters get the
   * control-plane operator's AWSEndpointService `private-router` (hypershift-domain.md §5, endpoint-service.ts).
   */
  endpointAccess?: 'Public' | 'PublicAndPrivate' | 'Private';
}

export function hostedClusterObjects(options: SeedOptions = {}): SeedObject[] {
  const ns = options.namespace ?? 'clusters';
  const name = options.name ?? 'demo';
  const cp = `${ns}-${name.replaceAll('.', '-')}`;
  const policy = options.policy ?? 'HighlyAvailable';
  const replicas = policy === 'HighlyAvailable' ? 3 : 1;
  const release = options.release ?? 'quay.io/openshift-release-dev/ocp-release:4.19.3-x86_64';
  const managed = (options.managementType ?? 'Managed') === 'Managed';
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const condition = (type: string, status: string, reason: string, message = '') => ({
    type,
    status,
    reason,
    message,
    lastTransitionTime: now,
  });

  const hostedCluster: SimObject = {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: {
      name,
      namespace: ns,
      finalizers: ['hypershift.openshift.io/finalizer'],
      labels: { 'cluster.open-cluster-management.io/clusterset': 'default' },
    },
    spec: {
      release: { image: release },
      pullSecret: { name: `${name}-pull-secret` },
      sshKey: { name: `${name}-ssh-key` },
      infraID: `${name}-x7k2p`,
      issuerURL: `https://oidc-bucket.s3.us-east-1.amazonaws.com/${name}-x7k2p`,
      controllerAvailabilityPolicy: policy,
      infrastructureAvailabilityPolicy: 'SingleReplica',
      dns: { baseDomain: 'hcp.example.com', publicZoneID: 'Z0PUBLIC', privateZoneID: 'Z0PRIVATE' },
      networking: {
        networkType: 'OVNKubernetes',
        clusterNetwork: [{ cidr: '10.132.0.0/14' }],
        serviceNetwork: [{ cidr: '172.31.0.0/16' }],
        machineNetwork: [{ cidr: '10.0.0.0/16' }],
      },
      platform: {
        type: 'AWS',
        aws: {
          region: 'us-east-1',
          endpointAccess: options.endpointAccess ?? 'Public',
          cloudProviderConfig: { vpc: 'vpc-0abc', zone: 'us-east-1a', subnet: { id: 'subnet-0abc' } },
          rolesRef: {
            ingressARN: 'arn:aws:iam::123456789012:role/demo-ingress',
            imageRegistryARN: 'arn:aws:iam::123456789012:role/demo-registry',
            storageARN: 'arn:aws:iam::123456789012:role/demo-storage',
            networkARN: 'arn:aws:iam::123456789012:role/demo-network',
            kubeCloudControllerARN: 'arn:aws:iam::123456789012:role/demo-ccm',
            nodePoolManagementARN: 'arn:aws:iam::123456789012:role/demo-nodepool',
            controlPlaneOperatorARN: 'arn:aws:iam::123456789012:role/demo-cpo',
          },
        },
      },
      etcd: managed
        ? {
            managementType: 'Managed',
            managed: { storage: { type: 'PersistentVolume', persistentVolume: { size: '8Gi', storageClassName: 'gp3-csi' } } },
          }
        : {
            managementType: 'Unmanaged',
            unmanaged: { endpoint: 'https://etcd.example.com:2379', tls: { clientSecret: { name: `${name}-etcd-client` } } },
          },
      secretEncryption: { type: 'aescbc', aescbc: { activeKey: { name: `${name}-etcd-encryption-key` } } },
      services: [
        { service: 'APIServer', servicePublishingStrategy: { type: 'Route', route: { hostname: `api-${name}.hcp.example.com` } } },
        { service: 'Ignition', servicePublishingStrategy: { type: 'Route' } },
        { service: 'Konnectivity', servicePublishingStrategy: { type: 'Route' } },
        { service: 'OAuthServer', servicePublishingStrategy: { type: 'Route', route: { hostname: `oauth-${name}.hcp.example.com` } } },
      ],
      olmCatalogPlacement: 'management',
    },
    status: {
      conditions: [
        condition('Available', 'True', 'AsExpected', 'The hosted control plane is available'),
        condition('EtcdAvailable', 'True', 'QuorumAvailable', 'Etcd cluster has quorum'),
        condition('ReconciliationActive', 'True', 'AsExpected', 'Reconciliation active on resource'),
      ],
      version: { desired: { image: release } },
    },
  };

  const secret = (
    namespace: string,
    secretName: string,
    data: Record<string, string>,
    type = 'Opaque',
    labels?: Record<string, string>,
  ): SeedObject => ({
    resource: core('secrets'),
    object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace, ...(labels ? { labels } : {}) }, type, data },
  });
  const deployment = (dName: string, count: number): SeedObject => ({
    resource: apps('deployments'),
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: dName, namespace: cp, labels: { app: dName } },
      spec: {
        replicas: count,
        selector: { matchLabels: { app: dName } },
        template: {
          metadata: { labels: { app: dName } },
          spec: { containers: [{ name: dName, image: 'quay.io/openshift/hypershift:latest' }] },
        },
      },
    },
  });
  // The operator copies the active key into the control-plane namespace: one key, two Secrets.
  const encryptionKey = randomBytes(32).toString('base64');
  const pem = (label: string) => `-----BEGIN ${label}-----\n${randomBytes(48).toString('base64')}\n-----END ${label}-----\n`;

  return [
    { resource: core('namespaces'), object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } },
    {
      resource: core('namespaces'),
      object: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: cp, labels: { 'hypershift.openshift.io/hosted-control-plane': 'true' } },
      },
    },
    secret(
      ns,
      `${name}-pull-secret`,
      { '.dockerconfigjson': b64('{"auths":{"quay.io":{"auth":"ZmFrZTpmYWtl"}}}') },
      'kubernetes.io/dockerconfigjson',
    ),
    secret(ns, `${name}-ssh-key`, { 'id_rsa.pub': b64('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemo demo@example.com') }),
    secret(ns, `${name}-etcd-encryption-key`, { key: encryptionKey }, 'Opaque', {
      'hypershift.openshift.io/safe-to-delete-with-cluster': 'true',
    }),
    { resource: hs('hostedclusters'), object: hostedCluster },
    {
      resource: hs('nodepools'),
      object: {
        apiVersion: 'hypershift.openshift.io/v1beta1',
        kind: 'NodePool',
        metadata: { name: `${name}-us-east-1a`, namespace: ns, finalizers: ['hypershift.openshift.io/finalizer'] },
        spec: {
          clusterName: name,
          replicas: 2,
          release: { image: release },
          management: { upgradeType: 'Replace', autoRepair: false },
          platform: {
            type: 'AWS',
            aws: {
              instanceType: 'm5.large',
              instanceProfile: `${name}-x7k2p-worker`,
              subnet: { id: 'subnet-0abc' },
              rootVolume: { size: 120, type: 'gp3' },
            },
          },
          arch: 'amd64',
        },
        status: { replicas: 2, conditions: [condition('Ready', 'True', 'AsExpected')] },
      },
    },
    {
      resource: hs('hostedcontrolplanes'),
      object: {
        apiVersion: 'hypershift.openshift.io/v1beta1',
        kind: 'HostedControlPlane',
        metadata: { name, namespace: cp, annotations: { 'hypershift.openshift.io/cluster': `${ns}/${name}` } },
        spec: {
          releaseImage: release,
          infraID: `${name}-x7k2p`,
          controllerAvailabilityPolicy: policy,
          etcd: (hostedCluster['spec'] as { etcd: unknown }).etcd,
        },
        status: { conditions: [condition('EtcdAvailable', 'True', 'QuorumAvailable'), condition('Available', 'True', 'AsExpected')] },
      },
    },
    deployment('kube-apiserver', replicas),
    deployment('openshift-apiserver', replicas),
    deployment('openshift-oauth-apiserver', replicas),
    deployment('control-plane-operator', 1),
    secret(cp, 'root-ca', { 'ca.crt': b64(pem('CERTIFICATE')), 'ca.key': b64(pem('RSA PRIVATE KEY')) }),
    // CA Secrets hold ca.crt and ca.key (hypershift-domain.md §5).
    secret(cp, 'etcd-signer', { 'ca.crt': b64(pem('CERTIFICATE')), 'ca.key': b64(pem('RSA PRIVATE KEY')) }),
    secret(cp, 'sa-signing-key', { 'service-account.key': b64(pem('RSA PRIVATE KEY')), 'service-account.pub': b64(pem('PUBLIC KEY')) }),
    secret(cp, `${name}-etcd-encryption-key`, { key: encryptionKey }),
    // The Routes of the services published as Route (the API and OAuth hostnames external DNS publishes).
    ...routeObjects(hostedCluster).map((object) => ({ resource: ROUTES, object })),
  ];
}
