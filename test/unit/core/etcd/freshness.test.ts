/** Backup freshness from a listing: newest per cluster, stale beyond the bound or when missing or of unknown age. */
import { describe, expect, it } from 'vitest';
import { ageText, freshnessOf } from '../../../../src/core/etcd/freshness.ts';
import type { BackupList, BackupListItem } from '../../../../src/core/bundle/list.ts';

const item = (namespace: string, name: string, id: string, ageSeconds: number): BackupListItem => ({
  url: `s3://b/hcp/${namespace}/${name}/${id}/`,
  id,
  namespace,
  name,
  createdAt: `2026-11-29T00:00:${id.slice(-2)}Z`,
  ageSeconds,
  mode: 'online',
  revision: 1,
  totalKeys: 1,
  size: 1,
  etcdVersion: '3.5',
  toolVersion: 't',
});
/** Newest first, as listBackups sorts. */
const list: BackupList = {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1',
  kind: 'BackupList',
  source: 's3://b/hcp/',
  items: [item('ns', 'a', 'id-02', 7200), item('ns', 'b', 'id-01', -1), item('ns', 'a', 'id-00', 90_000)],
  skipped: [],
};

describe('freshnessOf', () => {
  it("takes the cluster's newest backup and is stale only beyond --max-backup-age", () => {
    expect(freshnessOf(list, 'ns', 'a', 7200)).toMatchObject({ stale: false, newest: { id: 'id-02', ageSeconds: 7200 } });
    const stale = freshnessOf(list, 'ns', 'a', 7199);
    expect(stale).toMatchObject({ stale: true, maxAgeSeconds: 7199 });
    expect(stale.reason).toBe('the newest backup of ns/a is 2h old, more than --max-backup-age 1h59m59s: s3://b/hcp/ns/a/id-02/');
  });

  it('without a bound nothing is stale; a missing backup or an unreadable createdAt is stale with one', () => {
    expect(freshnessOf(list, 'ns', 'nosuch')).toMatchObject({ stale: false, newest: null, maxAgeSeconds: null });
    expect(freshnessOf(list, 'ns', 'nosuch', 60)).toMatchObject({
      stale: true,
      reason: 'no complete backup of ns/nosuch under s3://b/hcp/',
    });
    expect(freshnessOf(list, 'ns', 'b', 60)).toMatchObject({ stale: true, newest: { id: 'id-01', ageSeconds: null } });
  });

  it('ageText is exact, never rounding a stale age under its bound', () => {
    expect([0, 59, 60, 3599, 86_400, 90_061].map(ageText)).toEqual(['0s', '59s', '1m', '59m59s', '1d', '1d1h1m1s']);
  });
});
