/** A backup bundle of clusters/demo as restore reads it, built in memory. */
import type { KubeObject } from '../../../src/core/model.ts';
import type { RestoreBundle } from '../../../src/core/contracts/restore.ts';
import { Resources } from '../../../src/core/model.ts';
import type { FakeKube } from '../../support/fakes/kube.ts';
import { secret } from '../../support/fakes/objects.ts';

export const KEY = Buffer.alloc(32, 7).toString('base64');

export function demoBundle(overrides: { pki?: string[]; services?: unknown[]; withPullSecret?: boolean } = {}): RestoreBundle {
  const hostedCluster: KubeObject = {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: {
      name: 'demo',
      namespace: 'clusters',
      annotations: { 'hcp-dr.openshift.io/operation': '{"type":"backup"}', keep: 'me' },
      finalizers: ['hypershift.openshift.io/finalizer'],
    },
    spec: {
      pausedUntil: '2026-11-29T12:30:00Z',
      pullSecret: { name: 'demo-pull-secret' },
      platform: { type: 'AWS' },
      controllerAvailabilityPolicy: 'HighlyAvailable',
      etcd: { managementType: 'Managed', managed: { storage: { type: 'PersistentVolume', persistentVolume: { size: '8Gi' } } } },
      secretEncryption: { type: 'aescbc', aescbc: { activeKey: { name: 'demo-etcd-encryption-key' } } },
      services: overrides.services ?? [
        { service: 'APIServer', servicePublishingStrategy: { type: 'Route', route: { hostname: 'api-demo.example.com' } } },
      ],
    },
    status: { conditions: [] },
  };
  const nodePool: KubeObject = {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'NodePool',
    metadata: { name: 'demo-a', namespace: 'clusters' },
    spec: { clusterName: 'demo', replicas: 2, pausedUntil: 'true' },
  };
  const objects = [
    { role: 'encryption-key', object: secret('clusters', 'demo-etcd-encryption-key', { key: KEY }) },
    ...(overrides.withPullSecret === false
      ? []
      : [{ role: 'reference', object: secret('clusters', 'demo-pull-secret', { '.dockerconfigjson': 'e30=' }) }]),
    ...(overrides.pki ?? ['root-ca', 'etcd-signer', 'sa-signing-key']).map((n) => ({
      role: 'pki',
      object: secret('clusters-demo', n, { 'tls.key': Buffer.from(n).toString('base64') }),
    })),
  ];
  return {
    url: 's3://backups/hcp/clusters/demo/20261129T110000Z-abcdef/',
    manifest: {
      apiVersion: 'hcp-dr.openshift.io/v1alpha1',
      kind: 'EtcdBackup',
      id: '20261129T110000Z-abcdef',
      toolVersion: 'test',
      createdAt: '2026-11-29T11:00:00.000Z',
      hostedCluster: {
        namespace: 'clusters',
        name: 'demo',
        uid: 'u',
        infraID: 'demo-x',
        releaseImage: 'r',
        platform: 'AWS',
        controlPlaneNamespace: 'clusters-demo',
        apiServerHostname: 'api-demo.example.com',
      },
      etcd: { version: '3.5', member: 'etcd-0', memberId: '1', storage: null },
      snapshot: { file: 'snapshot.db', sha256: 'x', size: 10, revision: 500, totalKeys: 210, hash: 1 },
      mode: 'quiesce',
      apiDowntimeSeconds: 1,
      encryption: { type: 'aescbc', activeKeySecret: 'demo-etcd-encryption-key', keyUrl: 's3://backups/k', keySha256: 'y' },
      secrets: objects.map((o) => ({
        namespace: o.object.metadata.namespace ?? '',
        name: o.object.metadata.name ?? '',
        role: o.role as 'pki',
        url: `s3://backups/hcp/clusters/demo/20261129T110000Z-abcdef/secrets/${o.object.metadata.name}.yaml`,
      })),
      manifests: { hostedCluster: 'manifests/hostedcluster.yaml', nodePools: [] },
      serverSideEncryption: null,
    },
    hostedCluster,
    nodePools: [nodePool],
    objects,
  };
}

/** The HyperShift operator deployment, ready. */
export function installOperator(kube: FakeKube): void {
  kube.put(Resources.deployment, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'operator', namespace: 'hypershift' },
    status: { readyReplicas: 1 },
  });
}

export const URL = 'https://s3.example.com/backups/hcp/clusters/demo/20261129T110000Z-abcdef/snapshot.db?X-Amz-Signature=abc';
