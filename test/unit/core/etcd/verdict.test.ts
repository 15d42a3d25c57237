import { describe, expect, it } from 'vitest';
import { judge, type EtcdFacts, type MemberFacts, type PodFacts } from '../../../../src/core/etcd/verdict.ts';

const CLUSTER = 'c1';

function member(i: number, overrides: Partial<MemberFacts> = {}): MemberFacts {
  return {
    id: `id${i}`,
    name: `etcd-${i}`,
    pod: `etcd-${i}`,
    clientURL: `https://etcd-${i}:2379`,
    isLearner: false,
    status: {
      endpoint: 'https://localhost:2379',
      memberId: `id${i}`,
      clusterId: CLUSTER,
      leader: 'id0',
      version: '3.5.21',
      dbSize: 100,
      dbSizeInUse: 50,
      dbSizeQuota: undefined,
      isLearner: false,
      raftTerm: 2,
      raftIndex: 10,
      raftAppliedIndex: 10,
      revision: 7,
      errors: [],
    },
    health: { endpoint: 'https://localhost:2379', healthy: true, took: '2ms', error: undefined },
    hash: { endpoint: 'https://localhost:2379', memberId: `id${i}`, hash: 42, revision: 7, compactRevision: -1 },
    ...overrides,
  };
}

const pod = (i: number, overrides: Partial<PodFacts> = {}): PodFacts => ({
  name: `etcd-${i}`,
  phase: 'Running',
  ready: true,
  restarts: 0,
  waitingReason: undefined,
  execError: undefined,
  ...overrides,
});

function facts(overrides: Partial<EtcdFacts> = {}): EtcdFacts {
  return {
    replicas: 3,
    pods: [pod(0), pod(1), pod(2)],
    members: [member(0), member(1), member(2)],
    podViews: [0, 1, 2].map((i) => ({ pod: `etcd-${i}`, clusterId: CLUSTER, memberId: `id${i}`, memberCount: 3 })),
    alarms: [],
    ...overrides,
  };
}

const unhealthy = { endpoint: 'x', healthy: false, took: '1s', error: 'context deadline exceeded' };

describe('etcd verdict', () => {
  it('when all members are healthy and agree, it is Healthy', () => {
    expect(judge(facts())).toMatchObject({ state: 'Healthy', problems: [] });
  });

  it('when one member of three is unhealthy, it is Degraded, names the member and hints at replacing it', () => {
    const v = judge(
      facts({
        members: [member(0), member(1, { health: unhealthy }), member(2)],
        pods: [pod(0), pod(1, { ready: false, waitingReason: 'CrashLoopBackOff' }), pod(2)],
      }),
    );
    expect(v.state).toBe('Degraded');
    expect(v.reason).toContain('etcd-1 is unhealthy (context deadline exceeded)');
    expect(v.hint).toContain('data-etcd-1');
    expect(v.problems.some((p) => p.includes('pod etcd-1'))).toBe(false);
  });

  it('when one member is bad, the hint is the recover-member command for that member of the judged cluster', () => {
    const v = judge(facts({ members: [member(0), member(1), member(2, { health: unhealthy })] }), { namespace: 'clusters', name: 'demo' });
    expect(v.state).toBe('Degraded');
    expect(v.hint).toContain('{cmd} etcd recover-member demo etcd-2 -n clusters');
    // Without the cluster, placeholders stand in for the names.
    expect(judge(facts({ members: [member(0), member(1), member(2, { health: unhealthy })] })).hint).toContain(
      'recover-member <hosted-cluster> etcd-2 -n <namespace>',
    );
  });

  it('when quorum is lost, the hint points at the in-place etcd restore, not at recover-member or restore --replace', () => {
    const v = judge(facts({ members: [member(0), member(1, { health: unhealthy }), member(2, { health: unhealthy })] }), {
      namespace: 'clusters',
      name: 'demo',
    });
    expect(v.state).toBe('QuorumLost');
    expect(v.hint).toContain('{cmd} etcd restore demo -n clusters --from-backup <backup-url>');
    expect(v.hint).not.toContain('--replace');
    expect(v.hint).not.toContain('etcd recover-member');
  });

  it('when members disagree, the hint says not to replace members (recover-member is not offered)', () => {
    const v = judge(facts({ members: [member(0), member(1), member(2), member(3, { pod: undefined, name: 'stray' })] }), {
      namespace: 'clusters',
      name: 'demo',
    });
    expect(v.state).toBe('Inconsistent');
    expect(v.hint).toMatch(/do not restart or delete members/);
    expect(v.hint).not.toContain('recover-member');
  });

  it('when two members of three are unhealthy, it is QuorumLost', () => {
    const v = judge(facts({ members: [member(0), member(1, { health: unhealthy }), member(2, { health: unhealthy })] }));
    expect(v.state).toBe('QuorumLost');
    expect(v.reason).toMatch(/^1 of 3 members healthy, quorum needs 2/);
  });

  it('when no member answers at all, it is QuorumLost and names the pods', () => {
    const v = judge(
      facts({
        members: [],
        podViews: [],
        pods: [pod(0, { phase: 'Pending' }), pod(1, { execError: 'exec refused' }), pod(2, { waitingReason: 'CrashLoopBackOff' })],
      }),
    );
    expect(v.state).toBe('QuorumLost');
    expect(v.reason).toContain('etcd-1 (exec refused)');
  });

  it('when pods report different cluster IDs (split brain), it is Inconsistent even though each is healthy', () => {
    const v = judge(
      facts({
        members: [member(0)],
        podViews: [0, 1, 2].map((i) => ({ pod: `etcd-${i}`, clusterId: `c${i}`, memberId: `id${i}`, memberCount: 1 })),
      }),
    );
    expect(v.state).toBe('Inconsistent');
    expect(v.reason).toContain('split brain');
  });

  it('when the member list has a fourth member, it is Inconsistent and names the stray', () => {
    const v = judge(facts({ members: [member(0), member(1), member(2), member(3, { pod: undefined, name: 'stray' })] }));
    expect(v.state).toBe('Inconsistent');
    expect(v.reason).toContain('4 members but the StatefulSet wants 3 (not backed by a pod: stray)');
  });

  it('when hashkv differs at the same revision, it is Inconsistent', () => {
    const diverged = member(2, { hash: { endpoint: 'x', memberId: 'id2', hash: 99, revision: 7, compactRevision: -1 } });
    const v = judge(facts({ members: [member(0), member(1), diverged] }));
    expect(v.state).toBe('Inconsistent');
    expect(v.reason).toContain('hashkv disagrees at revision 7');
  });

  it('when hashes differ only across different revisions, it does not call that divergence', () => {
    const later = member(2, { hash: { endpoint: 'x', memberId: 'id2', hash: 99, revision: 8, compactRevision: -1 } });
    expect(judge(facts({ members: [member(0), member(1), later] })).state).toBe('Healthy');
  });

  it('when an alarm is raised or a member is a learner, it is Degraded', () => {
    expect(judge(facts({ alarms: [{ memberId: 'id1', alarm: 'NOSPACE' }] })).reason).toContain('alarm NOSPACE on member etcd-1');
    const v = judge(facts({ members: [member(0), member(1), member(2, { isLearner: true })] }));
    expect(v.state).toBe('Degraded');
    expect(v.reason).toContain('etcd-2 is still a learner');
  });

  it('when a single-replica cluster has its one member healthy, it is Healthy', () => {
    expect(
      judge(
        facts({
          replicas: 1,
          pods: [pod(0)],
          members: [member(0)],
          podViews: [{ pod: 'etcd-0', clusterId: CLUSTER, memberId: 'id0', memberCount: 1 }],
        }),
      ).state,
    ).toBe('Healthy');
  });
});
