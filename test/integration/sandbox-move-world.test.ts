/**
 * startSandbox wires the move world: one DNS server, an external-DNS stand-in per management cluster
 * (none on a cluster listed in withoutExternalDns), the seeded demo's API hostname published by the
 * first cluster to its ingress address, and with guests/capi the demo's guest API (nodes, OVN pods)
 * and its CAPI objects with finalizers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type ManagementCluster, type Sandbox } from '../sandbox/sandbox.ts';
import { MACHINES } from '../sandbox/hypershift/capi.ts';
import { ownerOf, txtRecordNames } from '../sandbox/hypershift/external-dns.ts';
import type { GroupResource } from '../sandbox/api/types.ts';
import { waitFor as waitForCondition } from '../support/wait.ts';
import { Resources } from '../../src/core/model.ts';

const HC = Resources.hostedCluster;
const DEPLOYMENTS = Resources.deployment;

let sb: Sandbox;

const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false) => waitForCondition(what, fn, 100_000);

beforeAll(async () => {
  sb = await startSandbox({ clusters: 3, withoutExternalDns: [3], guests: true, capi: true, seedKeys: 20 });
}, 180_000);
afterAll(() => sb?.stop());

it(
  'publishes the seeded demo from the first cluster, with a guest API and CAPI objects; the third has no external DNS',
  { timeout: 150_000 },
  async () => {
    const [m1, m2, m3] = sb.clusters as [ManagementCluster, ManagementCluster, ManagementCluster];
    expect([m1.ingressAddress, m2.ingressAddress, m3.ingressAddress]).toEqual(['127.0.0.11', '127.0.0.12', '127.0.0.13']);
    const dns = sb.dns!;
    const api = `api-demo.${sb.domain}`;
    await waitFor(
      'api-demo published',
      async () =>
        (
          await dns
            .resolver()
            .resolve4(api)
            .catch(() => [])
        )[0] === m1.ingressAddress,
    );
    const [txt] = await dns.resolver().resolveTxt(txtRecordNames(api)[0]);
    expect(ownerOf(txt!.join(''))).toBe(m1.externalDns!.ownerId);
    expect(m2.externalDns?.ownerId).toBeDefined();
    expect(m3.externalDns).toBeUndefined();
    expect(m3.sim.store.get(DEPLOYMENTS, 'hypershift', 'external-dns')).toBeUndefined();
    expect(m3.sim.store.get(DEPLOYMENTS, 'hypershift', 'operator')).toBeDefined();

    await waitFor(
      'demo kubeconfig',
      () => (sb.sim.store.get(HC, 'clusters', 'demo')?.['status'] as { kubeconfig?: { name: string } }).kubeconfig,
    );
    const guest = sb.guests!.get('demo-x7k2p')!;
    expect(guest.nodes().map((n) => n.metadata.name)).toEqual(['ip-10-0-1-10.ec2.internal', 'ip-10-0-1-11.ec2.internal']);
    expect(guest.ovnPods()).toHaveLength(2);
    const machines = sb.sim.store.list(MACHINES, sb.controlPlaneNamespace);
    expect(machines.map((m) => m.metadata.finalizers)).toEqual([['machine.cluster.x-k8s.io'], ['machine.cluster.x-k8s.io']]);
  },
);

it('the guest API serves only while its etcd has quorum, as kube-apiserver /readyz checks etcd', { timeout: 150_000 }, async () => {
  const STS: GroupResource = { group: 'apps', version: 'v1', plural: 'statefulsets' };
  const guest = sb.guests!.get('demo-x7k2p')!;
  await waitFor('guest reachable', () => guest.reachable());
  const scale = (replicas: number) =>
    sb.sim.store.mutate(STS, sb.controlPlaneNamespace, 'etcd', (o) => {
      (o['spec'] as { replicas: number }).replicas = replicas;
    });
  scale(0);
  await waitFor('guest unreachable without etcd', () => !guest.reachable());
  expect(guest.outages().at(-1)?.to).toBeUndefined();
  scale(3);
  await waitFor('guest reachable with etcd back', () => guest.reachable());
  expect(guest.outages().at(-1)?.to).toBeDefined();
});
