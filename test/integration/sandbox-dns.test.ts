/**
 * The move world's DNS: the sandbox's DNS server (test/sandbox/dns) asked by a real DNS client
 * (node:dns, c-ares) over UDP and TCP; the external-DNS stand-ins of two management clusters filling it
 * from their control planes' Routes with TXT ownership records, as external-dns' TXT registry does
 * (the destination cannot take a name the source still owns; deleting the source's routes hands the
 * name over; a halted external-dns never releases); external DNS visible on the `external-dns`
 * Deployment's args, absent on a cluster installed without it. kubectl where kubectl can see it.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../sandbox/dns/server.ts';
import { ownerOf, txtRecordNames } from '../sandbox/hypershift/external-dns.ts';
import { createUnmanagedHostedCluster, startMiniWorld, type MiniCluster, type MiniWorld } from '../sandbox/hypershift/mini-world.ts';
import { KUBECTL, runAsync } from '../support/spawn.ts';
import type { GroupResource } from '../sandbox/api/types.ts';
import { waitFor as waitForCondition } from '../support/wait.ts';

const ROUTES: GroupResource = { group: 'route.openshift.io', version: 'v1', plural: 'routes' };
const API = 'api-demo.hcp.example.com';
const OAUTH = 'oauth-demo.hcp.example.com';

const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 100_000) =>
  waitForCondition(what, fn, timeoutMs, 20);

/** The resolver's answer for an A query: the addresses, or the error code (ENOTFOUND = NXDOMAIN, ENODATA). */
async function a(dns: DnsServer, name: string): Promise<string[] | string> {
  return dns
    .resolver()
    .resolve4(name)
    .catch((e: NodeJS.ErrnoException) => e.code ?? 'error');
}

async function txtOwner(dns: DnsServer, host: string): Promise<(string | undefined)[] | string> {
  const out: (string | undefined)[] = [];
  for (const name of txtRecordNames(host)) {
    const r = await dns
      .resolver()
      .resolveTxt(name)
      .catch((e: NodeJS.ErrnoException) => e.code ?? 'error');
    if (typeof r === 'string') return r;
    out.push(...r.map((chunks) => ownerOf(chunks.join(''))));
  }
  return out;
}

describe('DNS server', () => {
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await startDnsServer();
  });
  afterAll(() => dns?.stop());

  it('answers A and TXT, NXDOMAIN for an unknown name, NODATA for a name without that type, case-insensitively', async () => {
    dns.zone.set('api-x.hcp.example.com', 'A', ['127.0.0.11']);
    dns.zone.set('api-x-external-dns.hcp.example.com', 'TXT', ['heritage=external-dns,external-dns/owner=o1']);
    const r = dns.resolver();
    expect(await r.resolve4('API-X.hcp.example.com.')).toEqual(['127.0.0.11']);
    expect(await r.resolveTxt('api-x-external-dns.hcp.example.com')).toEqual([['heritage=external-dns,external-dns/owner=o1']]);
    expect(await a(dns, 'nothing.hcp.example.com')).toBe('ENOTFOUND');
    expect(await a(dns, 'hcp.example.com')).toBe('ENODATA'); // names exist below it
    expect(await r.resolveTxt('api-x.hcp.example.com').catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENODATA');
    dns.zone.delete('api-x.hcp.example.com');
    expect(await a(dns, 'api-x.hcp.example.com')).toBe('ENOTFOUND');
  });

  it('sends a large answer truncated over UDP, and the client gets it whole over TCP', async () => {
    const big = 'x'.repeat(3000);
    dns.zone.set('big.hcp.example.com', 'TXT', [big]);
    const before = dns.queries;
    const [answer] = await dns.resolver().resolveTxt('big.hcp.example.com');
    expect(answer?.join('')).toBe(big);
    expect(dns.queries.udp).toBe(before.udp + 1);
    expect(dns.queries.tcp).toBe(before.tcp + 1);
  });

  it('answers an unreadable message with FORMERR and its id', async () => {
    const socket = dgram.createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    // A header announcing one question, then a label that runs past the end.
    socket.send(Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 40, 0x61]), dns.port, '127.0.0.1');
    const msg = await reply;
    socket.close();
    expect([msg.readUInt16BE(0), msg.readUInt16BE(2) & 0x8000, msg.readUInt16BE(2) & 0xf]).toEqual([0x1234, 0x8000, 1]);
  });
});

describe('external-DNS stand-ins on two management clusters', { timeout: 150_000 }, () => {
  let world: MiniWorld;
  let m1: MiniCluster;
  let m2: MiniCluster;
  let m3: MiniCluster;
  const kubectl = (context: string, args: string[]) =>
    runAsync(KUBECTL!, ['--context', context, ...args], {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: world.dir,
      KUBECONFIG: world.kubeconfig,
    });

  beforeAll(async () => {
    world = await startMiniWorld({ clusters: 3, withoutExternalDns: [3] });
    [m1, m2, m3] = world.clusters as [MiniCluster, MiniCluster, MiniCluster];
  });
  afterAll(() => world?.stop());

  it('external DNS shows on the external-dns Deployment as hypershift install leaves it; a cluster installed without it has none', async () => {
    const e1 = m1.operator.externalDns!;
    const e2 = m2.operator.externalDns!;
    expect(e1.ownerId).not.toBe(e2.ownerId);
    expect(m3.operator.externalDns).toBeUndefined();
    if (!KUBECTL) return console.warn('sandbox-dns: no kubectl; the Deployment is checked through the store only');
    const args = await kubectl(m1.context, [
      'get',
      'deploy',
      'external-dns',
      '-n',
      'hypershift',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].args}',
    ]);
    expect(args.code, args.stderr).toBe(0);
    const list = JSON.parse(args.stdout) as string[];
    expect(list).toEqual(
      expect.arrayContaining([
        '--source=openshift-route',
        '--provider=aws',
        '--domain-filter=hcp.example.com',
        '--registry=txt',
        '--txt-suffix=-external-dns',
        `--txt-owner-id=${e1.ownerId}`,
      ]),
    );
    const none = await kubectl(m3.context, ['get', 'deploy', 'external-dns', '-n', 'hypershift']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('"external-dns" not found');
    const operator = await kubectl(m3.context, ['get', 'deploy', 'operator', '-n', 'hypershift', '-o', 'name']);
    expect(operator.stdout.trim()).toBe('deployment.apps/operator');
  });

  it('publishes the source control plane: A to its ingress, TXT owned by it; the router admitted the routes', async () => {
    createUnmanagedHostedCluster(m1.sim.store, 'demo');
    expect(await waitFor('api A on source', async () => ((await a(world.dns, API)) as string[])[0] === m1.ingressAddress && true)).toBe(
      true,
    );
    expect(await a(world.dns, OAUTH)).toEqual([m1.ingressAddress]);
    expect(await txtOwner(world.dns, API)).toEqual([m1.operator.externalDns!.ownerId, m1.operator.externalDns!.ownerId]);
    const [txt] = await world.dns.resolver().resolveTxt(txtRecordNames(API)[0]);
    expect(txt?.join('')).toBe(
      `heritage=external-dns,external-dns/owner=${m1.operator.externalDns!.ownerId},external-dns/resource=route/clusters-demo/kube-apiserver`,
    );
    const route = m1.sim.store.get(ROUTES, 'clusters-demo', 'kube-apiserver');
    expect((route?.['status'] as { ingress: { host: string; conditions: { type: string; status: string }[] }[] }).ingress[0]).toMatchObject(
      {
        host: API,
        conditions: [{ type: 'Admitted', status: 'True' }],
      },
    );
    // Routes without a hostname (Konnectivity, Ignition here) are not published.
    expect(
      world.dns.zone
        .list()
        .filter((s) => s.type === 'A')
        .map((s) => s.name),
    ).toEqual([API, OAUTH]);
  });

  it('the destination cannot take a name the source still owns; it takes it once the source deleted its routes', async () => {
    createUnmanagedHostedCluster(m2.sim.store, 'demo');
    const e2 = m2.operator.externalDns!;
    await waitFor('route admitted on the destination', () => m2.sim.store.get(ROUTES, 'clusters-demo', 'kube-apiserver')?.['status']);
    e2.sync();
    expect(e2.conflicts()).toEqual([API, OAUTH]);
    expect(await a(world.dns, API)).toEqual([m1.ingressAddress]);
    expect(await txtOwner(world.dns, API)).toEqual([m1.operator.externalDns!.ownerId, m1.operator.externalDns!.ownerId]);

    if (KUBECTL) {
      const del = await kubectl(m1.context, ['delete', 'routes.route.openshift.io', '--all', '-n', 'clusters-demo']);
      expect(del.code, del.stderr).toBe(0);
    } else for (const r of m1.sim.store.list(ROUTES, 'clusters-demo')) m1.sim.store.delete(ROUTES, 'clusters-demo', r.metadata.name);
    await waitFor('api A on the destination', async () => ((await a(world.dns, API)) as string[])[0] === m2.ingressAddress && true);
    expect(await txtOwner(world.dns, API)).toEqual([e2.ownerId, e2.ownerId]);
    expect(await a(world.dns, OAUTH)).toEqual([m2.ingressAddress]);
    expect(e2.conflicts()).toEqual([]);
  });

  it('a halted external-dns never releases its records; resumed, it deletes them (NXDOMAIN)', async () => {
    const e2 = m2.operator.externalDns!;
    e2.halt();
    expect(e2.running).toBe(false);
    for (const r of m2.sim.store.list(ROUTES, 'clusters-demo')) m2.sim.store.delete(ROUTES, 'clusters-demo', r.metadata.name);
    e2.sync(); // a no-op while halted
    expect(await a(world.dns, API)).toEqual([m2.ingressAddress]);
    e2.resume();
    await waitFor('api NXDOMAIN', async () => (await a(world.dns, API)) === 'ENOTFOUND');
    expect(
      await world.dns
        .resolver()
        .resolveTxt(txtRecordNames(API)[1])
        .catch((e: NodeJS.ErrnoException) => e.code),
    ).toBe('ENOTFOUND');
  });

  it('scaled to 0 with kubectl, external-dns stops (records stay); scaled back, it catches up', async () => {
    if (!KUBECTL) return console.warn('sandbox-dns: no kubectl; scaling not checked');
    const e1 = m1.operator.externalDns!;
    const down = await kubectl(m1.context, ['scale', 'deploy/external-dns', '-n', 'hypershift', '--replicas=0']);
    expect(down.code, down.stderr).toBe(0);
    expect(e1.running).toBe(false);
    world.dns.zone.set('stale.hcp.example.com', 'A', ['127.0.0.11']);
    for (const name of txtRecordNames('stale.hcp.example.com'))
      world.dns.zone.set(name, 'TXT', [`heritage=external-dns,external-dns/owner=${e1.ownerId}`]);
    e1.sync();
    expect(await a(world.dns, 'stale.hcp.example.com')).toEqual(['127.0.0.11']);
    const up = await kubectl(m1.context, ['scale', 'deploy/external-dns', '-n', 'hypershift', '--replicas=1']);
    expect(up.code, up.stderr).toBe(0);
    await waitFor('stale record deleted', async () => (await a(world.dns, 'stale.hcp.example.com')) === 'ENOTFOUND');
  });
});
