/** `etcd restore --from-member`: which members are a sound source (judgeSourceMember, a pure function of the facts). */
import { describe, expect, it } from 'vitest';
import { judgeSourceMember } from '../../../../src/core/etcd/source-member.ts';
import type { EtcdFacts, MemberFacts } from '../../../../src/core/etcd/verdict.ts';

const HC = { namespace: 'clusters', name: 'demo' };
const down = { endpoint: 'x', healthy: false, took: '5s', error: 'context deadline exceeded' };

function member(i: number, revision: number | undefined, healthy: boolean): MemberFacts {
  return {
    id: `id${i}`,
    name: `etcd-${i}`,
    pod: `etcd-${i}`,
    clientURL: `https://etcd-${i}:2379`,
    isLearner: false,
    status:
      revision === undefined
        ? undefined
        : {
            endpoint: 'x',
            memberId: `id${i}`,
            clusterId: 'c',
            leader: 'id0',
            version: '3.5.21',
            dbSize: 100,
            dbSizeInUse: 50,
            dbSizeQuota: undefined,
            isLearner: false,
            raftTerm: 2,
            raftIndex: 10,
            raftAppliedIndex: 10,
            revision,
            errors: [],
          },
    health: healthy ? { endpoint: 'x', healthy: true, took: '1ms', error: undefined } : down,
    hash: undefined,
  };
}

const facts = (members: MemberFacts[]): EtcdFacts => ({ replicas: 3, pods: [], members, podViews: [], alarms: [] });

describe('judgeSourceMember', () => {
  it('a healthy member of a healthy cluster is a sound source', () => {
    expect(judgeSourceMember(facts([member(0, 9, true), member(1, 9, true), member(2, 9, true)]), 'etcd-0', HC).problem).toBeUndefined();
  });

  it('a stopped member while quorum is intact is refused, naming the healthy members; the hint is recover-member', () => {
    const v = judgeSourceMember(facts([member(0, 9, true), member(1, undefined, false), member(2, 9, true)]), 'etcd-1', HC);
    expect(v.problem).toMatch(
      /member etcd-1 is not healthy \(context deadline exceeded\) while quorum is intact \(healthy: etcd-0, etcd-2\)/,
    );
    expect(v.hint).toMatch(
      /^replace the broken member instead: \{cmd\} etcd recover-member demo etcd-1 -n clusters; or restore from a healthy member: /,
    );
    expect(v.hint).toMatch(/--from-member etcd-0/);
    expect(v.hint).toMatch(/--force/);
  });

  it('quorum lost: the surviving member that answers is a sound source (no member is healthy then)', () => {
    const v = judgeSourceMember(facts([member(0, 9, false), member(1, undefined, false), member(2, undefined, false)]), 'etcd-0', HC);
    expect(v.problem).toBeUndefined();
  });

  it('quorum lost: a member behind another that answers is refused, naming the newest', () => {
    const v = judgeSourceMember(facts([member(0, 12, false), member(1, 7, false), member(2, undefined, false)]), 'etcd-1', HC);
    expect(v.problem).toMatch(/member etcd-1 is behind: its revision is 7, etcd-0 has 12/);
    expect(v.hint).toMatch(/\{cmd\} etcd restore demo -n clusters --from-member etcd-0/);
  });

  it('quorum lost: a member that does not answer while another does is refused', () => {
    const v = judgeSourceMember(facts([member(0, 12, false), member(1, undefined, false), member(2, undefined, false)]), 'etcd-2', HC);
    expect(v.problem).toMatch(/member etcd-2 does not answer while etcd-0 \(revision 12\) does/);
  });

  it('no member answers at all: nothing to compare, the raw copy is what is left', () => {
    expect(judgeSourceMember(facts([]), 'etcd-0', HC).problem).toBeUndefined();
  });
});
