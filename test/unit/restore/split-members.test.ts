/** Which verifications restore repairs in place: members in different clusters, not members that are down. */
import { describe, expect, it } from 'vitest';
import { repairHint, splitMembers } from '../../../src/core/restore/repair.ts';
import type { DataVerification } from '../../../src/core/etcd/verify-data.ts';

function verification(state: DataVerification['state'], failed: string[]): DataVerification {
  const names = ['members', 'health', 'hashkv', 'revision', 'keys'];
  return {
    state,
    reason: '',
    hint: '',
    status: {} as DataVerification['status'],
    etcd: {
      replicas: 3,
      members: [],
      hashRevision: null,
      revision: null,
      totalKeys: null,
      keyDelta: null,
      checks: names.map((name) => ({ name, ok: !failed.includes(name), detail: name })),
    } as unknown as DataVerification['etcd'],
  };
}

describe('splitMembers', () => {
  it('is true for a split brain, and for every member answering while the member list or hashkv disagree', () => {
    expect(splitMembers(verification('SplitBrain', ['members']))).toBe(true);
    expect(splitMembers(verification('Inconsistent', ['members']))).toBe(true);
    expect(splitMembers(verification('Inconsistent', ['hashkv']))).toBe(true);
  });

  it('is false for a member that does not answer (recover-member, not a repair), missing data, or a restored cluster', () => {
    expect(splitMembers(verification('Inconsistent', ['health', 'members']))).toBe(false);
    expect(splitMembers(verification('NotVerified', ['keys']))).toBe(false);
    expect(splitMembers(verification('Restored', []))).toBe(false);
  });

  it('the --no-repair hint names the in-place etcd restore from the same backup', () => {
    expect(repairHint({ namespace: 'clusters', name: 'demo' }, 's3://b/hcp/clusters/demo/x/')).toMatch(
      /"\{cmd\} etcd restore demo -n clusters --from-backup s3:\/\/b\/hcp\/clusters\/demo\/x\/"/,
    );
  });
});
