/** Each cleaning rule on its own: a case per rule id, applied with that rule alone. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/core/model.ts';
import { CLEAN_RULES, renderRuleTable } from '../../../src/core/objects/clean-rules.ts';
import { cleanObject } from '../../../src/core/objects/clean.ts';

const HS = 'hypershift.openshift.io/v1beta1';
const base = (kind: string, apiVersion: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'demo', namespace: 'clusters', labels: { team: 'a' }, ...meta },
  ...extra,
});
const cm = (meta: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  base('ConfigMap', 'v1', { data: { a: '1' }, ...extra }, meta);
const hcOwner = { apiVersion: HS, kind: 'HostedCluster', name: 'demo', uid: 'u1' };

/** rule id → [input, expected output] with only that rule applied. */
const CASES: Record<string, [KubeObject, KubeObject]> = {
  status: [cm({}, { status: { phase: 'x' } }), cm()],
  'server-metadata': [cm({ uid: 'u', resourceVersion: '1', generation: 2, creationTimestamp: 't', selfLink: '/x' }), cm()],
  'managed-fields': [cm({ managedFields: [{ manager: 'm' }] }), cm()],
  deletion: [cm({ deletionTimestamp: 't', deletionGracePeriodSeconds: 0 }), cm()],
  finalizers: [cm({ finalizers: ['f'] }), cm()],
  'generate-name': [cm({ generateName: 'demo-' }), cm()],
  'owner-references-not-exported': [
    cm({ ownerReferences: [hcOwner, { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u2' }] }),
    cm({ ownerReferences: [hcOwner] }),
  ],
  'owner-references-exported': [
    cm({ ownerReferences: [hcOwner, { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u2' }] }),
    cm({ ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u2' }] }),
  ],
  'last-applied': [
    cm({ annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'yes' } }),
    cm({ annotations: { keep: 'yes' } }),
  ],
  'argocd-tracking': [
    cm({
      annotations: { 'argocd.argoproj.io/tracking-id': 'app:/ConfigMap:clusters/demo', 'argocd.argoproj.io/sync-options': 'Prune=false' },
    }),
    cm({ annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false' } }),
  ],
  'argocd-tracking-label': [cm({ labels: { team: 'a', 'app.kubernetes.io/instance': 'app' } }), cm()],
  'controller-annotations': [
    cm({
      annotations: {
        'hypershift.openshift.io/etcd-snapshot-url': 's3://x',
        'hcp-dr.openshift.io/operation': '{}',
        'machinedeployment.clusters.x-k8s.io/revision': '2',
        'user/note': 'n',
      },
    }),
    cm({ annotations: { 'user/note': 'n' } }),
  ],
  'velero-metadata': [cm({ labels: { team: 'a', 'velero.io/backup-name': 'b', 'velero.io/restore-name': 'r' } }), cm()],
  'namespace-server-fields': [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters' }, spec: { finalizers: ['kubernetes'] } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters' } },
  ],
  'namespace-labels': [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'clusters', labels: { 'kubernetes.io/metadata.name': 'clusters', team: 'a' } },
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters', labels: { team: 'a' } } },
  ],
  'namespace-scc-annotations': [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'clusters', annotations: { 'openshift.io/sa.scc.uid-range': '1/2', 'openshift.io/description': 'd' } },
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters', annotations: { 'openshift.io/description': 'd' } } },
  ],
  'paused-until': [
    base('NodePool', HS, { spec: { clusterName: 'demo', pausedUntil: 'true' } }),
    base('NodePool', HS, { spec: { clusterName: 'demo' } }),
  ],
  'restore-snapshot-url': [
    base('HostedCluster', HS, { spec: { etcd: { managed: { storage: { type: 'PersistentVolume', restoreSnapshotURL: ['s3://b/k'] } } } } }),
    base('HostedCluster', HS, { spec: { etcd: { managed: { storage: { type: 'PersistentVolume' } } } } }),
  ],
  'nodepool-autoscaling-replicas': [
    base('NodePool', HS, { spec: { replicas: 3, autoScaling: { min: 1, max: 3 } } }),
    base('NodePool', HS, { spec: { autoScaling: { min: 1, max: 3 } } }),
  ],
};

const exported = new Set(['HostedCluster.hypershift.openshift.io/clusters/demo']);

describe('cleaning rules, one at a time', () => {
  it('has a case for every rule and no case without a rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(CLEAN_RULES.map((r) => r.id).sort());
  });
  for (const rule of CLEAN_RULES) {
    it(rule.id, () => {
      const [input, expected] = CASES[rule.id]!;
      const result = cleanObject(input, { exported, keepRestoreUrl: false }, [rule]);
      expect(result.object).toEqual(expected);
      expect(result.applied).toEqual([rule.id]);
      // applied to its output again, the rule has nothing left to do
      expect(cleanObject(result.object, { exported, keepRestoreUrl: false }, [rule]).applied).toEqual([]);
    });
  }
  it('every rule has a reason and a description for the README', () => {
    for (const r of CLEAN_RULES) expect(r.why.length > 10 && r.removes.length > 3).toBe(true);
    expect(renderRuleTable().split('\n').length).toBe(CLEAN_RULES.length + 3);
  });
});

describe('rule conditions', () => {
  it('--keep-restore-url keeps restoreSnapshotURL', () => {
    const [input] = CASES['restore-snapshot-url']!;
    expect(cleanObject(input, { exported, keepRestoreUrl: true }).object).toEqual(input);
  });
  it('NodePool replicas stay without autoScaling', () => {
    const np = base('NodePool', HS, { spec: { replicas: 3 } });
    expect(cleanObject(np, { exported, keepRestoreUrl: false }).object).toEqual(np);
  });
  it('kind-scoped rules leave other kinds alone', () => {
    const deploy = base('Deployment', 'apps/v1', { spec: { pausedUntil: 'true', replicas: 1, autoScaling: {} } });
    const out = cleanObject(deploy, { exported, keepRestoreUrl: false });
    expect(out.object).toEqual(deploy);
  });
  it('an unknown kind is kept, cleaned by the rules for every kind, with a warning', () => {
    const route = base('Route', 'route.openshift.io/v1', { spec: { host: 'x' }, status: { ingress: [] } }, { uid: 'u' });
    const out = cleanObject(route, { exported, keepRestoreUrl: false });
    expect(out.object).toEqual(base('Route', 'route.openshift.io/v1', { spec: { host: 'x' } }));
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/Route\.route\.openshift\.io clusters\/demo: kind unknown to the cleaner/);
  });
  it('does not leave empty annotations, labels or ownerReferences behind', () => {
    const input = cm({
      labels: { 'app.kubernetes.io/instance': 'x' },
      annotations: { 'argocd.argoproj.io/tracking-id': 't' },
      ownerReferences: [hcOwner],
    });
    const out = cleanObject(input, { exported, keepRestoreUrl: false }).object;
    expect(out.metadata).toEqual({ name: 'demo', namespace: 'clusters' });
  });
});
