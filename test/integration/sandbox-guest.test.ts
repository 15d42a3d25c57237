/**
 * The move world's hosted-cluster side (test/sandbox/hypershift/guest-cluster.ts, capi.ts): a hosted
 * cluster's own API reached through the admin kubeconfig Secret its HostedCluster's status.kubeconfig
 * names, with nodes and OVN pods that a tiny DaemonSet controller recreates under new names when
 * deleted; the CAPI and AWS objects the operator stand-in creates, with finalizers that only a running
 * controller clears (paused cluster or controllers scaled to 0: Terminating until the finalizers are
 * removed by hand); bare `machines` next to OpenShift's Machine API. Checked with kubectl.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPI_CLUSTERS, MACHINES, MACHINE_SETS, AWS_MACHINES } from '../sandbox/hypershift/capi.ts';
import { OVN_NAMESPACE } from '../sandbox/hypershift/guest-cluster.ts';
import { createUnmanagedHostedCluster, startMiniWorld, type MiniCluster, type MiniWorld } from '../sandbox/hypershift/mini-world.ts';
import { KUBECTL, runAsync } from '../support/spawn.ts';
import type { SimObject } from '../sandbox/api/types.ts';
import { waitFor as waitForCondition } from '../support/wait.ts';
import { Resources } from '../../src/core/model.ts';

const HC = Resources.hostedCluster;
const HCP = Resources.hostedControlPlane;
const SECRETS = Resources.secret;
const NAMESPACES = Resources.namespace;
const CP = 'clusters-demo';

if (!KUBECTL) console.warn('sandbox-guest: no kubectl on this machine; these checks are skipped');

let world: MiniWorld;
let m1: MiniCluster;
let m2: MiniCluster;
let guestKubeconfig = '';

const env = () => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: world.dir, KUBECONFIG: world.kubeconfig });
const kubectl = (context: string, args: string[]) => runAsync(KUBECTL!, ['--context', context, ...args], env());
const guest = (args: string[]) => runAsync(KUBECTL!, ['--kubeconfig', guestKubeconfig, ...args], env());
const names = (out: string) => out.split(/\s+/).filter(Boolean).sort();

const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 100_000) =>
  waitForCondition(what, fn, timeoutMs, 25);

beforeAll(async () => {
  world = await startMiniWorld({ clusters: 2, guests: true, capi: true });
  [m1, m2] = world.clusters as [MiniCluster, MiniCluster];
  createUnmanagedHostedCluster(m1.sim.store, 'demo');
  await waitFor(
    'the kubeconfig on the HostedCluster',
    () => (m1.sim.store.get(HC, 'clusters', 'demo')?.['status'] as { kubeconfig?: unknown })?.kubeconfig,
  );
}, 120_000);
afterAll(() => world?.stop());

describe.skipIf(!KUBECTL)('hosted cluster API', { timeout: 150_000 }, () => {
  it('is reached through the Secret status.kubeconfig names (key kubeconfig), and has a Ready node per NodePool replica', async () => {
    const ref = await kubectl(m1.context, ['get', 'hc', 'demo', '-n', 'clusters', '-o', 'jsonpath={.status.kubeconfig.name}']);
    expect([ref.code, ref.stdout]).toEqual([0, 'demo-admin-kubeconfig']);
    const data = await kubectl(m1.context, ['get', 'secret', ref.stdout, '-n', 'clusters', '-o', 'jsonpath={.data.kubeconfig}']);
    expect(data.code, data.stderr).toBe(0);
    guestKubeconfig = path.join(world.dir, 'guest.kubeconfig');
    await writeFile(guestKubeconfig, Buffer.from(data.stdout, 'base64'), { mode: 0o600 });
    const hcpRef = await kubectl(m1.context, [
      'get',
      'hcp',
      'demo',
      '-n',
      CP,
      '-o',
      'jsonpath={.status.kubeConfig.name}/{.status.kubeConfig.key}',
    ]);
    expect(hcpRef.stdout).toBe('admin-kubeconfig/kubeconfig');
    const nodes = await guest([
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[0].type}{.status.conditions[0].status} {end}',
    ]);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(names(nodes.stdout)).toEqual(['ip-10-0-1-10.ec2.internal=ReadyTrue', 'ip-10-0-1-11.ec2.internal=ReadyTrue']);
  });

  it('deleting the OVN pods restarts them: new names and uids, one per node, Running', async () => {
    const list = () =>
      guest([
        'get',
        'pods',
        '-n',
        OVN_NAMESPACE,
        '-o',
        'jsonpath={range .items[*]}{.metadata.name},{.metadata.uid},{.spec.nodeName},{.status.phase} {end}',
      ]);
    const before = names((await list()).stdout).map((l) => l.split(','));
    expect(before.map(([, , node]) => node).sort()).toEqual(['ip-10-0-1-10.ec2.internal', 'ip-10-0-1-11.ec2.internal']);
    expect(before.every(([name, , , phase]) => /^ovnkube-node-[a-z0-9]{5}$/.test(name!) && phase === 'Running')).toBe(true);
    const del = await guest(['delete', 'pods', '--all', '-n', OVN_NAMESPACE]);
    expect(del.code, del.stderr).toBe(0);
    const after = names((await list()).stdout).map((l) => l.split(','));
    expect(after.map(([, , node]) => node).sort()).toEqual(['ip-10-0-1-10.ec2.internal', 'ip-10-0-1-11.ec2.internal']);
    expect(after.map(([n]) => n).filter((n) => before.some(([b]) => b === n))).toEqual([]);
    expect(after.map(([, u]) => u).filter((u) => before.some(([, b]) => b === u))).toEqual([]);
    expect(world.guests.all()[0]!.ovnRestarts()).toBe(2);
    const ds = await guest([
      'get',
      'ds',
      'ovnkube-node',
      '-n',
      OVN_NAMESPACE,
      '-o',
      'jsonpath={.status.numberReady}/{.status.desiredNumberScheduled}',
    ]);
    expect(ds.stdout).toBe('2/2');
  });

  it('the same hosted cluster on another management cluster gets a kubeconfig to the same guest API', async () => {
    // With the control plane's Secrets carried over, as a restore does: the same system-admin-signer signs it.
    m2.sim.store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CP } });
    for (const s of m1.sim.store.list(SECRETS, CP))
      m2.sim.store.create(SECRETS, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: s.metadata.name, namespace: CP },
        type: s['type'],
        data: s['data'],
      });
    createUnmanagedHostedCluster(m2.sim.store, 'demo');
    const secret = await waitFor('kubeconfig on mgmt-2', () => m2.sim.store.get(SECRETS, 'clusters', 'demo-admin-kubeconfig'));
    const other = Buffer.from((secret['data'] as { kubeconfig: string }).kubeconfig, 'base64').toString();
    const mine = Buffer.from(
      (m1.sim.store.get(SECRETS, 'clusters', 'demo-admin-kubeconfig')!['data'] as { kubeconfig: string }).kubeconfig,
      'base64',
    ).toString();
    expect(other).toBe(mine);
    expect(world.guests.all()).toHaveLength(1);
  });
  it('is down while no reachable management cluster runs its API server: scaled to 0 on the source, it stays down until DNS moves to the destination', async () => {
    const g = world.guests.all()[0]!;
    expect(g.reachable()).toBe(true);
    // Frozen first, as a move does: unpaused, the control-plane operator scales the API server back.
    const pause = await kubectl(m1.context, [
      'patch',
      'hc',
      'demo',
      '-n',
      'clusters',
      '--type=merge',
      '-p',
      '{"spec":{"pausedUntil":"true"}}',
    ]);
    expect(pause.code, pause.stderr).toBe(0);
    await waitFor(
      'pause on the HostedControlPlane',
      () => (m1.sim.store.get(HCP, CP, 'demo')?.['spec'] as { pausedUntil?: string }).pausedUntil === 'true',
    );
    const down = await kubectl(m1.context, ['scale', 'deploy/kube-apiserver', '-n', CP, '--replicas=0']);
    expect(down.code, down.stderr).toBe(0);
    // mgmt-2 runs the control plane too, but the API hostname still resolves to mgmt-1.
    expect(g.reachable()).toBe(false);
    const refused = await guest(['get', 'nodes', '-o', 'name', '--request-timeout=10s']);
    expect(refused.code).not.toBe(0);
    const routes = await kubectl(m1.context, ['delete', 'routes.route.openshift.io', '--all', '-n', CP]);
    expect(routes.code, routes.stderr).toBe(0);
    await waitFor('API reachable through mgmt-2', () => g.reachable());
    const nodes = await guest(['get', 'nodes', '-o', 'name']);
    // mgmt-2's NodePool adopted no machines, so it provisioned its own: 2 + 2 instances, each a node (cloud.ts).
    expect([nodes.code, names(nodes.stdout).length]).toEqual([0, 4]);
    expect(
      world
        .cloud!.instances('demo-x7k2p')
        .filter((i) => i.state === 'running')
        .map((i) => i.owner.cluster)
        .sort(),
    ).toEqual(['mgmt-1', 'mgmt-1', 'mgmt-2', 'mgmt-2']);
    const outage = g.outages().at(-1)!;
    expect(outage.to).toBeGreaterThanOrEqual(outage.from);
  });
});

describe.skipIf(!KUBECTL)('CAPI and platform objects', { timeout: 150_000 }, () => {
  it('are served by fully qualified names; Machines name the guest nodes; bare `machines` is the Machine API', async () => {
    const machines = await kubectl(m1.context, [
      'get',
      'machines.cluster.x-k8s.io',
      '-n',
      CP,
      '-o',
      'jsonpath={range .items[*]}{.status.nodeRef.name} {end}',
    ]);
    expect(machines.code, machines.stderr).toBe(0);
    expect(names(machines.stdout)).toEqual(['ip-10-0-1-10.ec2.internal', 'ip-10-0-1-11.ec2.internal']);
    for (const [resource, count] of [
      ['clusters.cluster.x-k8s.io', 1],
      ['machinedeployments.cluster.x-k8s.io', 1],
      ['machinesets.cluster.x-k8s.io', 1],
      ['awsclusters.infrastructure.cluster.x-k8s.io', 1],
      ['awsmachinetemplates.infrastructure.cluster.x-k8s.io', 1],
      ['awsmachines.infrastructure.cluster.x-k8s.io', 2],
    ] as const) {
      const r = await kubectl(m1.context, ['get', resource, '-n', CP, '-o', 'name']);
      expect([resource, r.code, names(r.stdout).length]).toEqual([resource, 0, count]);
    }
    const cluster = await kubectl(m1.context, [
      'get',
      'clusters.cluster.x-k8s.io',
      'demo-x7k2p',
      '-n',
      CP,
      '-o',
      'jsonpath={.metadata.finalizers}',
    ]);
    expect(cluster.stdout).toBe('["cluster.cluster.x-k8s.io"]');
    const bare = await kubectl(m1.context, ['get', 'machines', '-A', '-o', 'name']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toBe('machine.machine.openshift.io/mgmt-worker-a-1\n');
  });

  it('on a paused hosted cluster, deleted Machines stay Terminating until their finalizers are removed', async () => {
    const pause = await kubectl(m1.context, [
      'patch',
      'hc',
      'demo',
      '-n',
      'clusters',
      '--type=merge',
      '-p',
      '{"spec":{"pausedUntil":"true"}}',
    ]);
    expect(pause.code, pause.stderr).toBe(0);
    await waitFor(
      'CAPI Cluster paused',
      () => (m1.sim.store.get(CAPI_CLUSTERS, CP, 'demo-x7k2p')?.['spec'] as { paused?: boolean }).paused === true,
    );
    const del = await kubectl(m1.context, ['delete', 'machines.cluster.x-k8s.io', '--all', '-n', CP, '--wait=false']);
    expect(del.code, del.stderr).toBe(0);
    const left = m1.sim.store.list(MACHINES, CP);
    expect(left.map((m) => [!!m.metadata.deletionTimestamp, m.metadata.finalizers])).toEqual([
      [true, ['machine.cluster.x-k8s.io']],
      [true, ['machine.cluster.x-k8s.io']],
    ]);
    for (const m of left) {
      const p = await kubectl(m1.context, [
        'patch',
        'machines.cluster.x-k8s.io',
        m.metadata.name,
        '-n',
        CP,
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ]);
      expect(p.code, p.stderr).toBe(0);
    }
    expect(m1.sim.store.list(MACHINES, CP)).toEqual([]);
  });

  it('with its controllers scaled to 0, a deleted AWSMachine stays; scaled back, the controller lets it go', async () => {
    const unpause = await kubectl(m1.context, [
      'patch',
      'hc',
      'demo',
      '-n',
      'clusters',
      '--type=merge',
      '-p',
      '{"spec":{"pausedUntil":null}}',
    ]);
    expect(unpause.code, unpause.stderr).toBe(0);
    await waitFor(
      'CAPI Cluster unpaused',
      () => (m1.sim.store.get(CAPI_CLUSTERS, CP, 'demo-x7k2p')?.['spec'] as { paused?: boolean }).paused === false,
    );
    const down = await kubectl(m1.context, ['scale', 'deploy', 'cluster-api', 'capi-provider', '-n', CP, '--replicas=0']);
    expect(down.code, down.stderr).toBe(0);
    const [first] = m1.sim.store.list(AWS_MACHINES, CP) as [SimObject];
    const del = await kubectl(m1.context, [
      'delete',
      'awsmachines.infrastructure.cluster.x-k8s.io',
      first.metadata.name,
      '-n',
      CP,
      '--wait=false',
    ]);
    expect(del.code, del.stderr).toBe(0);
    expect(m1.sim.store.get(AWS_MACHINES, CP, first.metadata.name)?.metadata.deletionTimestamp).toBeDefined();
    const up = await kubectl(m1.context, ['scale', 'deploy', 'cluster-api', 'capi-provider', '-n', CP, '--replicas=1']);
    expect(up.code, up.stderr).toBe(0);
    await waitFor('AWSMachine gone', () => !m1.sim.store.get(AWS_MACHINES, CP, first.metadata.name));
    // Running and unpaused, the controller clears a deleted MachineSet's finalizer at once.
    const ms = m1.sim.store.list(MACHINE_SETS, CP)[0]!;
    m1.sim.store.delete(MACHINE_SETS, CP, ms.metadata.name);
    expect(m1.sim.store.get(MACHINE_SETS, CP, ms.metadata.name)).toBeUndefined();
  });

  it('deleting the HostedCluster takes its control-plane namespace, CAPI objects and admin kubeconfig with it', async () => {
    const del = await kubectl(m1.context, ['delete', 'hc', 'demo', '-n', 'clusters', '--wait=false']);
    expect(del.code, del.stderr).toBe(0);
    await waitFor('HostedCluster gone', () => !m1.sim.store.get(HC, 'clusters', 'demo'));
    await waitFor('namespace gone', () => !m1.sim.store.get(NAMESPACES, undefined, CP));
    expect(m1.sim.store.get(SECRETS, 'clusters', 'demo-admin-kubeconfig')).toBeUndefined();
  });
});
