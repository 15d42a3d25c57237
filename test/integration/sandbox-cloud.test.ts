/**
 * The stand-in cloud (test/sandbox/hypershift/cloud.ts) and what the CAPI, control-plane-operator and
 * HyperShift-operator stand-ins do with it, on two management clusters without etcd (mini-world.ts):
 * instances owned by AWSMachines and listed with their owners, terminated / leaked / adopted, guest
 * nodes following running instances, machines for NodePools created after the cluster (duplicates on a
 * destination that adopted nothing), cleanup-cloud-resources, AWSEndpointService finalizers, pause expiry.
 * Each hosted cluster gets its own name, so the tests do not share one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_MACHINES, CAPI_RESOURCES, MACHINE_DEPLOYMENTS, MACHINES } from '../sandbox/hypershift/capi.ts';
import { CPO_FINALIZER, ENDPOINT_SERVICES } from '../sandbox/hypershift/endpoint-service.ts';
import { createUnmanagedHostedCluster, startMiniWorld, type MiniCluster, type MiniWorld } from '../sandbox/hypershift/mini-world.ts';
import type { GroupResource, SimObject, SimStore } from '../sandbox/api/types.ts';
import { waitFor } from '../support/wait.ts';
import { Resources } from '../../src/core/model.ts';

const HC = Resources.hostedCluster;
const HCP = Resources.hostedControlPlane;
const NODEPOOLS = Resources.nodePool;
const DEPLOYMENTS = Resources.deployment;
const NAMESPACES = Resources.namespace;

let world: MiniWorld;
let m1: MiniCluster;
let m2: MiniCluster;

beforeAll(async () => {
  world = await startMiniWorld({ clusters: 2, guests: true, capi: true });
  [m1, m2] = world.clusters as [MiniCluster, MiniCluster];
}, 60_000);
afterAll(() => world?.stop());

const cloud = () => world.cloud!;
const running = (infraID: string) =>
  cloud()
    .instances(infraID)
    .filter((i) => i.state === 'running');
const scale = (store: SimStore, ns: string, name: string, replicas: number) =>
  store.mutate(DEPLOYMENTS, ns, name, (d) => void ((d['spec'] as { replicas: number }).replicas = replicas));
const stripFinalizers = (store: SimStore, r: GroupResource, ns: string) => {
  for (const o of store.list(r, ns)) store.mutate(r, ns, o.metadata.name, (x) => void (x.metadata.finalizers = []));
};

/** A hosted cluster `name` on `m` with its machines up; returns its infraID and control-plane namespace. */
async function hostedCluster(m: MiniCluster, name: string, mutate?: (hc: SimObject) => void) {
  const hc = createUnmanagedHostedCluster(m.sim.store, name);
  if (mutate) m.sim.store.mutate(HC, 'clusters', name, mutate);
  const cp = `clusters-${name}`;
  const infraID = (hc['spec'] as { infraID: string }).infraID;
  await waitFor(`${name}'s AWSMachines`, () => m.sim.store.list(AWS_MACHINES, cp).length === 2, 30_000);
  return { infraID, cp };
}

describe('stand-in cloud', { timeout: 60_000 }, () => {
  it('gives every AWSMachine a running instance, listed with its owner, and every running instance a Ready guest node', async () => {
    const { infraID, cp } = await hostedCluster(m1, 'alpha');
    const instances = running(infraID);
    expect(instances).toHaveLength(2);
    const machines = m1.sim.store.list(AWS_MACHINES, cp);
    for (const i of instances) {
      expect(i.owner.cluster).toBe('mgmt-1');
      expect(i.owner.namespace).toBe(cp);
      expect(i.leaked).toBe(false);
      const m = machines.find((x) => x.metadata.name === i.owner.name)!;
      expect((m['spec'] as { providerID: string }).providerID).toBe(i.providerID);
    }
    const guest = await waitFor('the guest API', () => world.guests.get(infraID), 30_000);
    const nodes = guest
      .nodes()
      .map((n) => n.metadata.name)
      .sort();
    expect(nodes).toEqual(instances.map((i) => i.nodeName).sort());
  });

  it('terminates the instance of an AWSMachine deleted while the controllers run, and its node goes', async () => {
    const { infraID, cp } = await hostedCluster(m1, 'bravo');
    const guest = await waitFor('the guest API', () => world.guests.get(infraID), 30_000);
    const victim = m1.sim.store.list(AWS_MACHINES, cp)[0]!;
    const pid = (victim['spec'] as { providerID: string }).providerID;
    m1.sim.store.delete(AWS_MACHINES, cp, victim.metadata.name);
    await waitFor('the AWSMachine gone', () => !m1.sim.store.get(AWS_MACHINES, cp, victim.metadata.name), 10_000);
    const i = cloud()
      .instances(infraID)
      .find((x) => x.providerID === pid)!;
    expect(i.state).toBe('terminated');
    await waitFor('its node gone', () => !guest.nodes().some((n) => n.metadata.name === i.nodeName), 10_000);
    expect(guest.nodes()).toHaveLength(1);
  });

  it('leaks the instances of AWSMachines whose finalizers are removed with the controllers at 0', async () => {
    const { infraID, cp } = await hostedCluster(m1, 'charlie');
    scale(m1.sim.store, cp, 'cluster-api', 0);
    scale(m1.sim.store, cp, 'capi-provider', 0);
    for (const m of m1.sim.store.list(AWS_MACHINES, cp)) m1.sim.store.delete(AWS_MACHINES, cp, m.metadata.name);
    expect(m1.sim.store.list(AWS_MACHINES, cp).every((m) => m.metadata.deletionTimestamp)).toBe(true);
    expect(running(infraID).some((i) => i.leaked)).toBe(false);
    stripFinalizers(m1.sim.store, AWS_MACHINES, cp);
    expect(m1.sim.store.list(AWS_MACHINES, cp)).toEqual([]);
    const leaked = running(infraID);
    expect(leaked).toHaveLength(2);
    expect(leaked.every((i) => i.leaked && !i.ownerExists)).toBe(true);
  });

  it('adopts the running instances when the same AWSMachines are applied on another management cluster', async () => {
    const { infraID, cp } = await hostedCluster(m1, 'delta');
    const before = running(infraID)
      .map((i) => i.providerID)
      .sort();
    // Frozen source, as a move leaves it: paused, controllers at 0.
    m1.sim.store.mutate(HC, 'clusters', 'delta', (o) => void ((o['spec'] as Record<string, unknown>)['pausedUntil'] = 'true'));
    scale(m1.sim.store, cp, 'cluster-api', 0);
    m2.sim.store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: cp } });
    for (const r of [MACHINES, AWS_MACHINES]) {
      for (const o of m1.sim.store.list(r, cp)) {
        const { metadata, ...rest } = o;
        m2.sim.store.create(r, { ...rest, metadata: { name: metadata.name, namespace: cp, labels: metadata.labels ?? {} } });
      }
    }
    const after = running(infraID);
    expect(after.map((i) => i.providerID).sort()).toEqual(before);
    // Applied without finalizers (a cleaned manifest): the running controller puts its own on them.
    for (const m of m2.sim.store.list(AWS_MACHINES, cp))
      expect(m.metadata.finalizers).toEqual(['awsmachine.infrastructure.cluster.x-k8s.io']);
    expect(after.every((i) => i.owner.cluster === 'mgmt-2' && i.history.join(',') === 'mgmt-1,mgmt-2')).toBe(true);
    // The source's objects go without their controllers: nothing is terminated, nothing leaks.
    for (const r of [MACHINES, AWS_MACHINES]) stripFinalizers(m1.sim.store, r, cp);
    for (const o of m1.sim.store.list(AWS_MACHINES, cp)) m1.sim.store.delete(AWS_MACHINES, cp, o.metadata.name);
    expect(running(infraID).map((i) => [i.leaked, i.ownerExists])).toEqual([
      [false, true],
      [false, true],
    ]);
  });

  it('creates machines for a NodePool created after the cluster; on a destination that adopted nothing they are NEW instances (duplicates)', async () => {
    const { infraID, cp } = await hostedCluster(m1, 'echo');
    const np = m1.sim.store.list(NODEPOOLS, 'clusters').find((p) => (p['spec'] as { clusterName: string }).clusterName === 'echo')!;
    // A second NodePool, created once the cluster runs.
    m1.sim.store.create(NODEPOOLS, {
      ...np,
      metadata: { name: 'echo-extra', namespace: 'clusters' },
      spec: { ...(np['spec'] as object), replicas: 1 },
    });
    await waitFor('machines of the later NodePool', () => m1.sim.store.get(MACHINE_DEPLOYMENTS, cp, 'echo-extra'), 10_000);
    await waitFor('its AWSMachine', () => m1.sim.store.list(AWS_MACHINES, cp).length === 3, 10_000);
    expect(running(infraID)).toHaveLength(3);

    // The same hosted cluster created on mgmt-2 with its NodePools but no machine objects: new instances.
    createUnmanagedHostedCluster(m2.sim.store, 'echo');
    m2.sim.store.create(NODEPOOLS, {
      ...np,
      metadata: { name: 'echo-extra', namespace: 'clusters' },
      spec: { ...(np['spec'] as object), replicas: 1 },
    });
    await waitFor('machines on mgmt-2', () => m2.sim.store.list(AWS_MACHINES, cp).length === 3, 30_000);
    const all = running(infraID);
    expect(all).toHaveLength(6);
    expect(all.filter((i) => i.owner.cluster === 'mgmt-2')).toHaveLength(3);
    expect(new Set(all.map((i) => i.nodeName)).size).toBe(6);
    const guest = world.guests.get(infraID)!;
    await waitFor('six guest nodes', () => guest.nodes().length === 6, 10_000);
  });

  it('with cleanup-cloud-resources "true", deleting the HostedCluster removes the guest volumes, load balancers and registry storage; without it they stay', async () => {
    const kept = await hostedCluster(m1, 'foxtrot');
    const cleaned = await hostedCluster(m1, 'golf', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, 'hypershift.openshift.io/cleanup-cloud-resources': 'true' };
    });
    for (const id of [kept.infraID, cleaned.infraID])
      expect(
        new Set(
          cloud()
            .resources(id)
            .map((r) => r.kind),
        ),
      ).toEqual(new Set(['volume', 'load-balancer', 'registry-storage']));
    m1.sim.store.delete(HC, 'clusters', 'foxtrot');
    m1.sim.store.delete(HC, 'clusters', 'golf');
    await waitFor('both gone', () => !m1.sim.store.get(HC, 'clusters', 'foxtrot') && !m1.sim.store.get(HC, 'clusters', 'golf'), 30_000);
    expect(
      cloud()
        .resources(kept.infraID)
        .every((r) => r.state === 'present'),
    ).toBe(true);
    expect(
      cloud()
        .resources(cleaned.infraID)
        .every((r) => r.state === 'deleted'),
    ).toBe(true);
    // An ordinary deletion ends the instances as deleting the NodePools does.
    expect(running(kept.infraID)).toEqual([]);
  });

  it('PublicAndPrivate: AWSEndpointService with the CPO finalizer keeps the namespace Terminating while the CPO is at 0, until the finalizer is removed', async () => {
    const { cp } = await hostedCluster(m1, 'hotel', (o) => {
      const spec = o['spec'] as { platform: { aws: Record<string, unknown> } };
      spec.platform.aws['endpointAccess'] = 'PublicAndPrivate';
    });
    const svc = await waitFor('the endpoint service', () => m1.sim.store.get(ENDPOINT_SERVICES, cp, 'private-router'), 30_000);
    expect(svc.metadata.finalizers).toEqual([CPO_FINALIZER]);
    m1.sim.store.mutate(HC, 'clusters', 'hotel', (o) => void ((o['spec'] as Record<string, unknown>)['pausedUntil'] = 'true'));
    scale(m1.sim.store, cp, 'control-plane-operator', 0);
    m1.sim.store.delete(NAMESPACES, undefined, cp);
    // Everything else lets go (the CAPI objects once their finalizers are removed, as a teardown does).
    for (const r of [...CAPI_RESOURCES, HCP]) stripFinalizers(m1.sim.store, r, cp);
    await new Promise((r) => setTimeout(r, 300));
    expect(m1.sim.store.get(NAMESPACES, undefined, cp)?.metadata.deletionTimestamp).toBeDefined();
    expect(m1.sim.store.list(MACHINES, cp)).toEqual([]);
    expect(m1.sim.store.get(ENDPOINT_SERVICES, cp, 'private-router')?.metadata.finalizers).toEqual([CPO_FINALIZER]);
    stripFinalizers(m1.sim.store, ENDPOINT_SERVICES, cp);
    await waitFor('namespace gone', () => !m1.sim.store.get(NAMESPACES, undefined, cp), 10_000);
  });

  it('a Public cluster has no AWSEndpointService', async () => {
    const { cp } = await hostedCluster(m1, 'india');
    expect(m1.sim.store.list(ENDPOINT_SERVICES, cp)).toEqual([]);
  });

  it('brings the control-plane operator back when a pausedUntil date passes', async () => {
    const { cp } = await hostedCluster(m1, 'juliet');
    // Whole seconds (RFC 3339 without fractions, as users write it), at least 3 s ahead.
    const until = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    m1.sim.store.mutate(HC, 'clusters', 'juliet', (o) => void ((o['spec'] as Record<string, unknown>)['pausedUntil'] = until));
    await waitFor(
      'the pause on the HostedControlPlane',
      () => (m1.sim.store.get(HCP, cp, 'juliet')?.['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil === until,
      10_000,
    );
    scale(m1.sim.store, cp, 'control-plane-operator', 0);
    const cpo = () => (m1.sim.store.get(DEPLOYMENTS, cp, 'control-plane-operator')?.['spec'] as { replicas: number }).replicas;
    // While paused it stays at 0 (a resync of the stand-in runs every 200 ms).
    await new Promise((r) => setTimeout(r, 500));
    if (Date.now() < new Date(until).getTime()) expect(cpo()).toBe(0);
    await waitFor('the control-plane operator back', () => cpo() === 1, 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(until).getTime());
  });
});
