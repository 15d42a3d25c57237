import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../src/core/model.ts';
import {
  CONTROL_PLANE_CA_SECRETS,
  continuityGap,
  IDENTITY_SECRETS,
  selectControlPlaneSecrets,
} from '../../../../src/core/bundle/control-plane-secrets.ts';

const secret = (name: string, type = 'Opaque', extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type,
  metadata: { name, namespace: 'clusters-demo', ...extra },
  data: { x: 'eA==' },
});

/** A control-plane namespace as HyperShift fills it (names from hypershift-domain.md §5 and §2.7). */
const fixture: KubeObject[] = [
  ...CONTROL_PLANE_CA_SECRETS.map((n) => secret(n)),
  secret('sa-signing-key'),
  secret('kas-server-crt', 'kubernetes.io/tls'),
  secret('admin-kubeconfig'),
  secret('demo-etcd-encryption-key'),
  secret('pull-secret', 'kubernetes.io/dockerconfigjson'),
  secret('builder-dockercfg-abcde', 'kubernetes.io/dockercfg'),
  secret('default-token-x1', 'kubernetes.io/service-account-token'),
  secret('deployer-service-account-token-9z'),
  secret('oauth-openshift-session'),
  secret('token-demo-a-4f2c1b'),
  secret('bootstrap-token-abcdef', 'bootstrap.kubernetes.io/token'),
  secret('etcd-backup-run', 'Opaque', {
    ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'b', uid: 'u', controller: true }],
  }),
  secret('hcp-owned', 'Opaque', {
    ownerReferences: [
      { apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'HostedControlPlane', name: 'demo', uid: 'u', controller: true },
    ],
  }),
];

describe('control-plane Secrets a backup carries', () => {
  it('carries every CA, the service-account key and the other Secrets of the namespace, sorted by name', () => {
    const { carried } = selectControlPlaneSecrets(fixture, 'demo');
    const names = carried.map((s) => s.metadata.name);
    for (const n of IDENTITY_SECRETS) expect(names).toContain(n);
    expect(names).toEqual(expect.arrayContaining(['kas-server-crt', 'admin-kubeconfig', 'demo-etcd-encryption-key', 'hcp-owned']));
    expect(names).toEqual([...names].sort());
  });

  it("leaves out the docs' exclusions and what an owner re-creates, each with its reason", () => {
    const { carried, excluded } = selectControlPlaneSecrets(fixture, 'demo');
    const reasons = Object.fromEntries(excluded.map((e) => [e.name, e.reason]));
    expect(reasons).toEqual({
      'bootstrap-token-abcdef': expect.stringMatching(/token/),
      'builder-dockercfg-abcde': expect.stringMatching(/docker config/),
      'default-token-x1': 'service-account token',
      'deployer-service-account-token-9z': 'service-account token',
      'etcd-backup-run': 'owned by a Job that re-creates it',
      'oauth-openshift-session': expect.stringMatching(/OAuth/),
      'pull-secret': expect.stringMatching(/docker config/),
      'token-demo-a-4f2c1b': expect.stringMatching(/per-cluster token/),
    });
    expect(carried.length + excluded.length).toBe(fixture.length);
  });

  it('does not take another cluster name as a token Secret, and skips Secrets being deleted', () => {
    const { carried } = selectControlPlaneSecrets(
      [secret('token-other-1'), secret('csr-signer', 'Opaque', { deletionTimestamp: '2026-01-01T00:00:00Z' })],
      'demo',
    );
    expect(carried.map((s) => s.metadata.name)).toEqual(['token-other-1']);
  });
});

describe('continuity gap of a restore', () => {
  it('is nothing when every identity Secret is there', () => {
    expect(continuityGap(new Set(IDENTITY_SECRETS), 'clusters-demo')).toBeUndefined();
  });

  it('names what an older backup lacks and what that breaks', () => {
    const gap = continuityGap(new Set(['root-ca', 'etcd-signer', 'sa-signing-key']), 'clusters-demo');
    expect(gap?.missing).toEqual(CONTROL_PLANE_CA_SECRETS.filter((n) => n !== 'root-ca' && n !== 'etcd-signer'));
    expect(gap?.warning).toMatch(/csr-signer/);
    expect(gap?.warning).toMatch(/kubelets/);
    expect(gap?.warning).toMatch(/konnectivity agents/);
    expect(gap?.warning).toMatch(/saved admin kubeconfigs/);
    expect(gap?.warning).not.toMatch(/service-account tokens/);
    expect(continuityGap(new Set(CONTROL_PLANE_CA_SECRETS), 'cp')?.warning).toMatch(/service-account tokens/);
  });
});

describe('copies of the HostedCluster namespace', () => {
  it("leaves out the operator's copy of a Secret carried from the HostedCluster namespace", () => {
    const { carried, excluded } = selectControlPlaneSecrets(fixture, 'demo', new Set(['demo-etcd-encryption-key']));
    expect(carried.map((s) => s.metadata.name)).not.toContain('demo-etcd-encryption-key');
    expect(excluded.find((e) => e.name === 'demo-etcd-encryption-key')?.reason).toMatch(/copied in by the operator/);
  });
});
