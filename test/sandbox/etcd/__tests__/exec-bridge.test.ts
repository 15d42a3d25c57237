import { describe, expect, it } from 'vitest';
import { rewriteForHost, type PodView } from '../exec-bridge.ts';
import { parseEtcdJson, parseMemberListSimple } from '../etcdctl.ts';

const pod: PodView = {
  tlsRoot: '/tmp/c/tls',
  volumeDir: '/tmp/c/etcd-1',
  tmpDir: '/tmp/c/pods/etcd-1/tmp',
  hostname: 'etcd-1',
  index: 1,
  clientPorts: [1000, 1001, 1002],
  peerPorts: [2000, 2001, 2002],
};

describe('exec bridge path/URL rewriting', () => {
  it('maps HyperShift paths, including inside flags and scripts, without rescanning replacements', () => {
    expect(rewriteForHost('/etc/etcd/tls/etcd-ca/ca.crt', pod)).toBe('/tmp/c/tls/etcd-ca/ca.crt');
    expect(rewriteForHost('--cacert=/etc/etcd/tls/client/etcd-client-ca.crt', pod)).toBe('--cacert=/tmp/c/tls/client/etcd-client-ca.crt');
    // /var/lib maps into os.tmpdir(); the /tmp rule must not apply again to the result.
    expect(rewriteForHost('/var/lib/data', pod)).toBe('/tmp/c/etcd-1/data');
    expect(rewriteForHost('cat /tmp/snapshot && rm -rf /var/lib/data; mv /var/lib/restore /var/lib/data', pod)).toBe(
      'cat /tmp/c/pods/etcd-1/tmp/snapshot && rm -rf /tmp/c/etcd-1/data; mv /tmp/c/etcd-1/restore /tmp/c/etcd-1/data',
    );
    expect(rewriteForHost('ETCDCTL_CACERT=/etc/etcd/tls/etcd-ca/ca.crt', pod)).toBe('ETCDCTL_CACERT=/tmp/c/tls/etcd-ca/ca.crt');
    // Look-alikes stay.
    expect(rewriteForHost('/var/library', pod)).toBe('/var/library');
    expect(rewriteForHost('/usr/var/lib', pod)).toBe('/usr/var/lib');
    expect(rewriteForHost('/tmpfoo', pod)).toBe('/tmpfoo');
  });

  it('maps service and member URLs to the right ports', () => {
    expect(rewriteForHost('https://localhost:2379', pod)).toBe('https://127.0.0.1:1001');
    expect(rewriteForHost('--endpoints=localhost:2379', pod)).toBe('--endpoints=127.0.0.1:1001');
    expect(rewriteForHost('https://etcd-client:2379', pod)).toBe('https://127.0.0.1:1001');
    expect(rewriteForHost('https://etcd-client.clusters-hc.svc:2379', pod)).toBe('https://127.0.0.1:1001');
    expect(
      rewriteForHost(
        'etcd-0=https://etcd-0.etcd-discovery.clusters-hc.svc:2380,etcd-2=https://etcd-2.etcd-discovery.clusters-hc.svc:2380',
        pod,
      ),
    ).toBe('etcd-0=https://127.0.0.1:2000,etcd-2=https://127.0.0.1:2002');
    expect(rewriteForHost('https://etcd-2.etcd-discovery.ns.svc.cluster.local:2379', pod)).toBe('https://127.0.0.1:1002');
    expect(rewriteForHost('https://etcd-7.etcd-discovery.ns.svc:2379', pod)).toBe('https://etcd-7.etcd-discovery.ns.svc:2379');
  });
});

describe('etcdctl output parsing', () => {
  it('keeps uint64 IDs exact', () => {
    const s = parseEtcdJson<{ header: { member_id: string; cluster_id: string }; leader: string }>(
      '{"header":{"cluster_id":16403394210836329895,"member_id":15367220067678397935},"leader":7706106371541137698}',
    );
    expect(BigInt(s.header.member_id).toString(16)).toBe('d543553b8739a5ef');
    expect(s.header.cluster_id).toBe('16403394210836329895');
    expect(s.leader).toBe('7706106371541137698');
  });

  it('parses member list -w simple, including unstarted members', () => {
    const list = parseMemberListSimple(
      '494b4d6193995eec, started, etcd-1, https://127.0.0.1:2001, https://127.0.0.1:1001, false\n' +
        'ced000fda4d05edf, unstarted, , https://127.0.0.1:2002, , false\n',
    );
    expect(list).toEqual([
      {
        id: '494b4d6193995eec',
        status: 'started',
        name: 'etcd-1',
        peerURLs: ['https://127.0.0.1:2001'],
        clientURLs: ['https://127.0.0.1:1001'],
        isLearner: false,
      },
      { id: 'ced000fda4d05edf', status: 'unstarted', name: '', peerURLs: ['https://127.0.0.1:2002'], clientURLs: [], isLearner: false },
    ]);
  });
});
