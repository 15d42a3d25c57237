import { describe, expect, it } from 'vitest';
import { judge, type EtcdFacts } from '../../../src/core/etcd/verdict.ts';

const healthyMember = {
  id: 'a1',
  name: 'default',
  pod: 'etcd-0',
  clientURL: 'https://localhost:2379',
  isLearner: false,
  status: undefined,
  health: { endpoint: 'https://localhost:2379', healthy: true, took: '1ms' },
  hash: undefined,
};

describe("split brain after a restore with etcd's defaults (OCPBUGS-99534)", () => {
  it('is named when every pod is the same member of its own one-member cluster (same IDs)', () => {
    const facts = {
      replicas: 3,
      pods: [0, 1, 2].map((i) => ({
        name: `etcd-${i}`,
        phase: 'Running',
        ready: true,
        restarts: 0,
        waitingReason: undefined,
        execError: undefined,
      })),
      members: [healthyMember],
      podViews: [0, 1, 2].map((i) => ({ pod: `etcd-${i}`, clusterId: 'cdf818194e3a8c32', memberId: '8e9e05c52164694d', memberCount: 1 })),
      alarms: [],
    } as unknown as EtcdFacts;
    const v = judge(facts);
    expect(v.state).toBe('Inconsistent');
    expect(v.reason).toMatch(/separate etcd clusters with the same IDs \(split brain\)/);
  });

  it('is not claimed for one pod of a single-replica cluster', () => {
    const facts = {
      replicas: 1,
      pods: [{ name: 'etcd-0', phase: 'Running', ready: true, restarts: 0, waitingReason: undefined, execError: undefined }],
      members: [healthyMember],
      podViews: [{ pod: 'etcd-0', clusterId: 'c', memberId: '8e9e05c52164694d', memberCount: 1 }],
      alarms: [],
    } as unknown as EtcdFacts;
    expect(judge(facts).reason).not.toMatch(/split brain/);
  });
});
