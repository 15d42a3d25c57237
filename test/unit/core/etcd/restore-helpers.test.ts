/** Helper pods of `etcd restore` schedule where the etcd members may: the etcd StatefulSet's tolerations, nodeSelector and priority class. */
import { describe, expect, it } from 'vitest';
import { createHelpers, helperPod, schedulingOf, type HelperContext } from '../../../../src/core/etcd/restore-helpers.ts';
import { Resources, type KubeObject } from '../../../../src/core/model.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';

const NS = 'clusters-demo';
const tolerations = [
  { key: 'hypershift.openshift.io/control-plane', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
  { key: 'hypershift.openshift.io/cluster', operator: 'Equal', value: NS, effect: 'NoSchedule' },
];
const etcdSts = (podSpec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'etcd', namespace: NS },
  spec: { replicas: 3, template: { metadata: { labels: { app: 'etcd' } }, spec: { containers: [{ name: 'etcd' }], ...podSpec } } },
});

const ctx = (api: FakeKube): HelperContext => ({
  api,
  exec: { exec: () => Promise.reject(new Error('not used')) },
  clock: { now: () => new Date(0), sleep: async () => undefined },
  reporter: { info: () => undefined, warn: () => undefined, debug: () => undefined },
  controlPlaneNamespace: NS,
  waitTimeoutMs: 1000,
});

describe('etcd restore helper pods', () => {
  it('copy tolerations, nodeSelector and priorityClassName from the etcd StatefulSet', async () => {
    const api = new FakeKube();
    api.put(
      Resources.statefulSet,
      etcdSts({
        tolerations,
        nodeSelector: { 'hypershift.openshift.io/control-plane': 'true' },
        priorityClassName: 'hypershift-etcd',
        serviceAccountName: 'etcd',
      }),
    );
    await createHelpers(ctx(api), 3, 'quay.io/openshift/etcd:4.18', 'op1');
    for (const i of [0, 1, 2]) {
      const pod = await api.get(Resources.pod, NS, `hcp-dr-etcd-restore-${i}`);
      const spec = pod!['spec'] as Record<string, unknown>;
      expect(spec['tolerations']).toEqual(tolerations);
      expect(spec['nodeSelector']).toEqual({ 'hypershift.openshift.io/control-plane': 'true' });
      expect(spec['priorityClassName']).toBe('hypershift-etcd');
      // Only scheduling is copied: not the etcd pod's identity.
      expect(spec['serviceAccountName']).toBeUndefined();
      expect(spec['restartPolicy']).toBe('Never');
    }
  });

  it('add nothing when the template has none of them, or there is no StatefulSet', () => {
    expect(schedulingOf(etcdSts({}))).toEqual({});
    expect(schedulingOf(undefined)).toEqual({});
    const spec = helperPod(NS, 0, 'img', 'op1', schedulingOf(etcdSts({ tolerations: [], nodeSelector: {} })))['spec'] as Record<
      string,
      unknown
    >;
    expect(Object.keys(spec)).not.toContain('tolerations');
    expect(Object.keys(spec)).not.toContain('nodeSelector');
    expect(Object.keys(spec)).not.toContain('priorityClassName');
  });
});
