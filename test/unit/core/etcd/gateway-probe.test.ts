/**
 * The glance probe's curl command and how its output is read back into etcdctl's shapes. The
 * real curl against real members (and the fallback to etcdctl) is in test/integration/etcd-status.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { gatewayProbe, readGatewayOutput } from '../../../../src/core/etcd/gateway-probe.ts';
import { parseAlarms, parseEndpointHealth, parseEndpointStatus, parseMemberList } from '../../../../src/core/etcd/etcdctl.ts';
import { PROBE_CA, probeArgv } from '../../../../src/core/etcd/probe-script.ts';

const N = 'hcp-dr-gw-0123456789ab';
const STATUS =
  '{"header":{"cluster_id":"16691050343918898665","member_id":"3986908628911485148","revision":"41","raft_term":"2"},' +
  '"version":"3.5.9","dbSize":"24576","leader":"3986908628911485148","raftIndex":"50","raftTerm":"2","raftAppliedIndex":"50","dbSizeInUse":"16384","errors":["memberID:3986908628911485148 alarm:NOSPACE "]}';
const MEMBERS =
  '{"header":{"cluster_id":"16691050343918898665","member_id":"3986908628911485148"},"members":[{"ID":"3986908628911485148","name":"etcd-0","peerURLs":["https://etcd-0.etcd-discovery.ns.svc:2380"],"clientURLs":["https://etcd-0.etcd-discovery.ns.svc:2379"]}]}';
const line = (name: string, code: number, seconds = 0.0021) => `\n${N} ${name} ${String(code).padStart(3, '0')} ${seconds}\n`;

describe('gatewayProbe', () => {
  it('is one curl over the four gateway paths with the pod client certificate and the CA the script found', () => {
    const { call } = gatewayProbe();
    const argv = probeArgv(call, '/etc/etcd/tls/etcd-ca/ca.crt');
    expect(argv[0]).toBe('curl');
    expect(argv.filter((a) => a === '--next')).toHaveLength(3);
    expect(argv.filter((a) => a === '/etc/etcd/tls/etcd-ca/ca.crt')).toHaveLength(4);
    expect(argv.some((a) => a.includes(PROBE_CA))).toBe(false);
    for (const p of ['/v3/maintenance/status', '/v3/cluster/member/list', '/v3/maintenance/alarm', '/health'])
      expect(argv).toContain(`https://localhost:2379${p}`);
    expect(argv).toContain('{"action":"GET"}');
  });

  it('uses a fresh nonce each time, so one output cannot answer another probe', () => {
    const a = gatewayProbe();
    const b = gatewayProbe();
    const text = `${STATUS}${line('status', 200)}${MEMBERS}${line('members', 200)}{}${line('alarms', 200)}{"health":"true"}${line('health', 200)}`;
    const nonceOf = (p: typeof a) => /hcp-dr-gw-[0-9a-f]{12}/.exec(p.call.command?.join(' ') ?? '')?.[0] ?? '';
    expect(nonceOf(a)).not.toBe(nonceOf(b));
    expect(a.read({ exitCode: 0, stdout: text.replaceAll(N, nonceOf(a)) })?.size).toBe(4);
    expect(b.read({ exitCode: 0, stdout: text.replaceAll(N, nonceOf(a)) })).toBeUndefined();
  });
});

describe('readGatewayOutput', () => {
  it('hands each answer over as etcdctl prints it, the last line without its newline', () => {
    const text = `${STATUS}${line('status', 200)}${MEMBERS}${line('members', 200)}{"alarms":[{"memberID":"3986908628911485148","alarm":"NOSPACE"}]}${line('alarms', 200)}{"health":"true"}${line('health', 200, 0.0012).trimEnd()}`;
    const answers = readGatewayOutput(text, N);
    const status = parseEndpointStatus(answers?.get('status')?.stdout ?? '')[0];
    expect(status).toMatchObject({ endpoint: 'https://localhost:2379', revision: 41, raftIndex: 50, version: '3.5.9' });
    expect(status?.memberId).toBe(BigInt('3986908628911485148').toString(16));
    expect(status?.errors).toEqual(['memberID:3986908628911485148 alarm:NOSPACE ']);
    expect(parseMemberList(answers?.get('members')?.stdout ?? '')?.members.map((m) => m.name)).toEqual(['etcd-0']);
    expect(parseAlarms(answers?.get('alarms')?.stdout ?? '')).toEqual([{ memberId: status?.memberId, alarm: 'NOSPACE' }]);
    expect(parseEndpointHealth(answers?.get('health')?.stdout ?? '')).toEqual([
      { endpoint: 'https://localhost:2379', healthy: true, took: '1.200ms', error: undefined },
    ]);
  });

  it('an unhealthy member (503) is unhealthy with its reason; one that did not answer (000) has no answers', () => {
    const sick = readGatewayOutput(
      `${STATUS}${line('status', 200)}${MEMBERS}${line('members', 200)}{}${line('alarms', 200)}{"health":"false","reason":"RAFT NO LEADER"}${line('health', 503)}`,
      N,
    );
    expect(parseEndpointHealth(sick?.get('health')?.stdout ?? '')[0]).toMatchObject({ healthy: false, error: 'unhealthy: RAFT NO LEADER' });
    expect(sick?.get('health')?.exitCode).toBe(1);
    const v34 = readGatewayOutput(
      `${line('status', 200)}${line('members', 200)}${line('alarms', 200)}{"health":"false"}${line('health', 503)}`,
      N,
    );
    expect(parseEndpointHealth(v34?.get('health')?.stdout ?? '')[0]?.error).toBe('unhealthy: HTTP 503');
    const dead = readGatewayOutput(`${line('status', 0)}${line('members', 0)}${line('alarms', 0)}${line('health', 0)}`, N);
    for (const name of ['status', 'members', 'alarms', 'health']) expect(dead?.get(name)).toEqual({ exitCode: 1, stdout: '' });
  });

  it('is undefined when a record is missing (curl absent or cut short), so the caller asks etcdctl', () => {
    expect(readGatewayOutput('', N)).toBeUndefined();
    expect(readGatewayOutput('sh: curl: command not found', N)).toBeUndefined();
    expect(readGatewayOutput(`${STATUS}${line('status', 200)}${MEMBERS}${line('members', 200)}`, N)).toBeUndefined();
  });

  it('a body that is not JSON is a failed answer, not a parse error later', () => {
    const answers = readGatewayOutput(
      `${STATUS}${line('status', 200)}oops${line('members', 200)}{}${line('alarms', 200)}{}${line('health', 200)}`,
      N,
    );
    expect(answers?.get('status')?.exitCode).toBe(0);
    expect(answers?.get('members')).toEqual({ exitCode: 1, stdout: '' });
    expect(parseEndpointHealth(answers?.get('health')?.stdout ?? '')[0]?.healthy).toBe(false);
  });

  it('is undefined when the member answers but its gateway does not serve a request (turned off: 404), so etcdctl is asked', () => {
    const off = `404 page not found${line('status', 404)}404 page not found${line('members', 404)}404 page not found${line('alarms', 404)}{"health":"true"}${line('health', 200)}`;
    expect(readGatewayOutput(off, N)).toBeUndefined();
    const one = `${STATUS}${line('status', 200)}${MEMBERS}${line('members', 200)}<html>502</html>${line('alarms', 502)}{"health":"true"}${line('health', 200)}`;
    expect(readGatewayOutput(one, N)).toBeUndefined();
  });
});
