import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  etcdctl,
  parseAlarms,
  parseEndpointHealth,
  parseEndpointStatus,
  parseEtcdJson,
  parseHashKV,
  parseMemberList,
  toHexId,
} from '../../../../src/core/etcd/etcdctl.ts';

const fixture = (path: string) => readFileSync(new URL(`../../../fixtures/etcdctl/${path}`, import.meta.url), 'utf8');

describe('uint64 member IDs', () => {
  it('when an ID exceeds 2^53, it keeps every digit and prints the hex etcdctl prints', () => {
    // JSON.parse alone turns this into ...398000 (hex d543553b8739a800).
    expect(toHexId((parseEtcdJson('{"ID":15367220067678397935}') as { ID: string }).ID)).toBe('d543553b8739a5ef');
    expect(toHexId((parseEtcdJson('{"ID": 18446744073709551615}') as { ID: string }).ID)).toBe('ffffffffffffffff');
  });
  it('when an ID is small, it still converts to hex', () => {
    expect(toHexId(255)).toBe('ff');
    expect(toHexId('not a number')).toBe('');
  });
});

describe('etcd 3.4 output captured from a real cluster', () => {
  it('reads endpoint status --cluster of three members with one leader', () => {
    const status = parseEndpointStatus(fixture('3.4/status.json'));
    expect(status).toHaveLength(3);
    expect(new Set(status.map((s) => s.leader))).toEqual(new Set(['15fa361a39aec1c8']));
    expect(status[0]).toMatchObject({
      endpoint: 'http://127.0.0.1:32382',
      version: '3.4.23',
      dbSize: 20480,
      dbSizeInUse: 16384,
      revision: 6,
      raftIndex: 13,
    });
    expect(status.map((s) => s.memberId)).toContain('e4126f4eb6a94ceb');
    expect(status.every((s) => s.clusterId === '8018fe87500e11d8')).toBe(true);
  });
  it('reads endpoint status with a member down: only reachable members are listed', () => {
    expect(parseEndpointStatus(fixture('3.4/status-down.json'))).toHaveLength(2);
  });
  it('reads a member without quorum: no leader and the error list', () => {
    const [s] = parseEndpointStatus(fixture('3.4/status-noquorum.json'));
    expect(s?.leader).toBe('');
    expect(s?.errors).toEqual(['etcdserver: no leader']);
  });
  it('reads endpoint health with one endpoint timing out', () => {
    const health = parseEndpointHealth(fixture('3.4/health-down.json'));
    expect(health.filter((h) => h.healthy)).toHaveLength(2);
    expect(health.find((h) => !h.healthy)).toMatchObject({ endpoint: 'http://127.0.0.1:32384', error: 'context deadline exceeded' });
  });
  it('reads member list with exact IDs, names and URLs', () => {
    const list = parseMemberList(fixture('3.4/members.json'));
    expect(list?.members.map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(list?.members.find((m) => m.name === 'm0')?.id).toBe('e4126f4eb6a94ceb');
    expect(list?.memberId).toBe('e4126f4eb6a94ceb');
    expect(list?.members.find((m) => m.name === 'm1')?.clientURLs).toEqual(['http://127.0.0.1:32382']);
  });
  it('reads hashkv: equal hashes at the same revision', () => {
    const hashes = parseHashKV(fixture('3.4/hashkv.json'));
    expect(new Set(hashes.map((h) => h.hash))).toEqual(new Set([233381680]));
    expect(hashes.every((h) => h.revision === 6)).toBe(true);
  });
  it('tolerates noise before the JSON and returns nothing for non-JSON', () => {
    expect(parseEndpointHealth('warning\n' + fixture('3.4/health.json'))).toHaveLength(3);
    expect(parseEndpointStatus('Error: context deadline exceeded')).toEqual([]);
    expect(parseMemberList('')).toBeUndefined();
  });
});

describe('etcd 3.5 and 3.6 fields (written by hand from their printers)', () => {
  it('reads isLearner, dbSizeQuota and a uint64 near the top of the range', () => {
    const [s] = parseEndpointStatus(fixture('3.6/status.json'));
    expect(s).toMatchObject({ isLearner: true, dbSizeQuota: 2147483648, memberId: 'ffffffffffffffc5', raftAppliedIndex: 119 });
  });
  it('prefers hash_revision when 3.5 reports it', () => {
    const [h] = parseHashKV(fixture('3.5/hashkv.json'));
    expect(h).toMatchObject({ hash: 1084519789, revision: 1209348, compactRevision: 1208000 });
  });
  it('reads alarms as numbers or names', () => {
    expect(parseAlarms(fixture('3.6/alarms.json'))).toEqual([
      { memberId: 'ffffffffffffffc5', alarm: 'NOSPACE' },
      { memberId: '8e9e05c52164694d', alarm: 'CORRUPT' },
    ]);
  });
});

describe('etcdctl argv', () => {
  it('uses HyperShift client certificate paths and short probe timeouts', () => {
    const argv = etcdctl({ caPath: '/etc/etcd/tls/etcd-ca/ca.crt' }, 'https://localhost:2379', 'member', 'list');
    expect(argv).toEqual([
      'etcdctl',
      '--cacert=/etc/etcd/tls/etcd-ca/ca.crt',
      '--cert=/etc/etcd/tls/client/etcd-client.crt',
      '--key=/etc/etcd/tls/client/etcd-client.key',
      '--endpoints=https://localhost:2379',
      '--dial-timeout=2s',
      '--command-timeout=3s',
      'member',
      'list',
    ]);
  });
});
