import { describe, expect, it } from 'vitest';
import type { MemberListEntry } from '../../sandbox/etcd/etcdctl.ts';
import { memberListLine, podUrlNames, resetMemberDecision } from '../../sandbox/etcd/reset-member.ts';

const NS = 'clusters-demo';
const members = [0, 1, 2].map((i) => ({ peerUrl: `https://127.0.0.1:${2380 + 10 * i}`, clientUrl: `https://127.0.0.1:${2379 + 10 * i}` }));
const names = podUrlNames(members, NS);
const started = (i: number, id: string): MemberListEntry => ({
  id,
  status: 'started',
  name: `etcd-${i}`,
  peerURLs: [members[i]!.peerUrl],
  clientURLs: [members[i]!.clientUrl],
  isLearner: false,
});
const unstarted = (i: number, id: string, isLearner: boolean): MemberListEntry => ({
  id,
  status: 'unstarted',
  name: '',
  peerURLs: [members[i]!.peerUrl],
  clientURLs: [],
  isLearner,
});

describe('sandbox reset-member\'s decision (grep "$HOSTNAME" over `member list -w simple`)', () => {
  it('prints a line as the pod sees it: URLs under their etcd-discovery names', () => {
    expect(memberListLine(unstarted(2, 'c3', true), names)).toBe(`c3, unstarted, , https://etcd-2.etcd-discovery.${NS}.svc:2380, , true`);
  });

  it('a member listed under its name is replaced', () => {
    const list = [started(0, 'a1'), started(1, 'b2'), started(2, 'c3')];
    expect(resetMemberDecision(list, 'etcd-1', names)).toEqual({ action: 'replace', memberId: 'b2' });
  });

  it('an entry added but never started (no name), learner or not, is found by its peer URL', () => {
    for (const isLearner of [true, false]) {
      const list = [started(0, 'a1'), started(1, 'b2'), unstarted(2, 'd4', isLearner)];
      expect(resetMemberDecision(list, 'etcd-2', names)).toEqual({ action: 'replace', memberId: 'd4' });
    }
  });

  it('no line mentions the pod: nothing changes (state new)', () => {
    expect(resetMemberDecision([started(0, 'a1'), started(1, 'b2')], 'etcd-2', names)).toEqual({ action: 'none' });
  });

  it('two lines mention the pod: `member remove` gets two IDs and the script fails', () => {
    const stale = { ...started(2, 'c3'), peerURLs: ['https://127.0.0.1:9999'] };
    const decision = resetMemberDecision([started(0, 'a1'), stale, unstarted(2, 'd4', false)], 'etcd-2', names);
    expect(decision.action).toBe('fail');
  });
});
