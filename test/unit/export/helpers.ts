/** Fixtures and inputs shared by the export tests. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { KubeObject } from '../../../src/core/model.ts';
import type { ExportInput, ExportOptions } from '../../../src/core/export/types.ts';
import { collectReferences } from '../../../src/core/controlplane/references.ts';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/export');

export function fixtureKinds(): string[] {
  return readdirSync(FIXTURES).sort();
}

export function loadFixture(kind: string, which: 'raw' | 'clean'): KubeObject {
  return yaml.load(readFileSync(join(FIXTURES, kind, `${which}.yaml`), 'utf8')) as KubeObject;
}

export const options = (over: Partial<ExportOptions> = {}): ExportOptions => ({
  secrets: 'omit',
  keepRestoreUrl: false,
  withControlPlane: false,
  toolVersion: '0.1.0-test',
  ...over,
});

function secret(name: string, data: Record<string, string>, type = 'Opaque'): KubeObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'clusters', uid: `uid-${name}`, resourceVersion: '5' },
    type,
    data: encoded,
  };
}

/** A raw input as a live source would yield it: the fixture objects plus the referenced Secrets. */
export function fixtureInput(withControlPlane = false): ExportInput {
  const hostedCluster = loadFixture('hostedcluster', 'raw');
  const nodePools = [loadFixture('nodepool', 'raw')];
  const refs = collectReferences(hostedCluster, nodePools);
  const references = [
    loadFixture('secret', 'raw'),
    secret('demo-ssh-key', { 'id_rsa.pub': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample demo' }),
    secret('demo-etcd-encryption-key', { key: '0123456789abcdef0123456789abcdef' }),
  ];
  const missing = refs.filter((r) => r.kind === 'ConfigMap').map((r) => ({ ...r, namespace: 'clusters' }));
  const controlPlane = withControlPlane
    ? [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters-demo', uid: 'x' } },
        { ...secret('root-ca', { 'ca.crt': 'CERT', 'ca.key': 'KEY' }), metadata: { name: 'root-ca', namespace: 'clusters-demo' } },
        ...[
          'hostedcontrolplane',
          'cluster',
          'awscluster',
          'awsmachinetemplate',
          'machinedeployment',
          'machineset',
          'machine',
          'awsmachine',
        ].map((k) => loadFixture(k, 'raw')),
      ]
    : [];
  return {
    origin: {
      source: 'live',
      location: 'context "test" (http://127.0.0.1)',
      backupId: null,
      backupCreatedAt: null,
      etcdRevision: null,
      snapshotSha256: null,
    },
    namespace: loadFixture('namespace', 'raw'),
    hostedCluster,
    nodePools,
    references,
    refs,
    missing,
    controlPlane,
    warnings: [],
  };
}
