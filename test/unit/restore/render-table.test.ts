import { describe, expect, it } from 'vitest';
import { renderRestore } from '../../../src/cli/commands/restore/restore-run.ts';
import type { RestoreResult } from '../../../src/core/contracts/restore.ts';

const result: RestoreResult = {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1',
  kind: 'RestoreResult',
  hostedCluster: { namespace: 'clusters', name: 'demo', controlPlaneNamespace: 'clusters-demo', platform: 'AWS' },
  target: 'context "mgmt2" (https://api.mgmt2:6443)',
  backup: {
    url: 's3://b/hcp/clusters/demo/20261129T110000Z-abcdef/',
    id: '20261129T110000Z-abcdef',
    createdAt: '2026-11-29T11:00:00Z',
    source: { namespace: 'clusters', name: 'demo' },
    revision: 500,
    totalKeys: 210,
    sha256: 'x',
    sizeBytes: 2 * 1024 * 1024,
  },
  rpoSeconds: 3720,
  verdict: { state: 'Restored', reason: '3 members agree at revision 512; 212 keys', hint: '' },
  preflight: [{ name: 'operator', ok: true, detail: 'HyperShift operator ready (2 replicas)' }],
  warnings: ['OAuthServer without a fixed hostname'],
  objects: [{ step: 'hosted-cluster', kind: 'HostedCluster', namespace: 'clusters', name: 'demo', action: 'created', origin: 'x' }],
  replaced: [],
  etcd: {
    replicas: 3,
    members: [],
    hashRevision: 512,
    revision: 512,
    revisionBumped: false,
    totalKeys: 212,
    keyDelta: 2,
    checks: [{ name: 'hashkv', ok: true, detail: 'hashkv 1 on every member at revision 512' }],
  },
  timing: {
    startedAt: '2026-11-29T12:00:00Z',
    firstChangeAt: '2026-11-29T12:00:05Z',
    verifiedAt: '2026-11-29T12:00:47Z',
    restoreSeconds: 42,
    totalSeconds: 47,
  },
  nextSteps: ['AWS: hypershift fix dr-oidc-iam ...'],
  repair: null,
};

describe('restore table', () => {
  it('shows the cluster, the backup, the RPO, the verdict, the time, the objects, the checks and the next steps', () => {
    const text = renderRestore(result);
    expect(text).toMatch(/^CLUSTER {2}clusters\/demo \(AWS\) on context "mgmt2"/m);
    expect(text).toMatch(/^RPO {6}62m \(backup age\)/m);
    expect(text).toMatch(/^VERDICT {2}Restored: 3 members agree/m);
    expect(text).toMatch(/^TIME {5}42s from the first change to verified data \(47s in all\)/m);
    expect(text).toMatch(/hosted-cluster\s+HostedCluster\s+clusters\/demo\s+created/);
    expect(text).toMatch(/hashkv\s+ok\s+hashkv 1 on every member/);
    expect(text).toMatch(/warning: OAuthServer/);
    expect(text).toMatch(/next steps:\n {2}- AWS: hypershift fix dr-oidc-iam/);
  });

  it('says nothing was changed on a dry run', () => {
    expect(
      renderRestore({
        ...result,
        verdict: { state: 'Planned', reason: 'dry run', hint: '' },
        etcd: null,
        nextSteps: [],
        timing: { ...result.timing, restoreSeconds: null },
      }),
    ).toMatch(/nothing was changed \(--dry-run\)\n$/);
  });
});
