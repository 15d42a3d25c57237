/**
 * Management clusters without etcd, for fast tests of the move world: API simulators, each with its
 * deployment controller, router and HyperShift operator stand-in (external DNS, guest clusters and
 * CAPI as asked), one DNS server, one kubeconfig with a context per cluster (mgmt-1, mgmt-2, ...).
 * Hosted clusters made with createUnmanagedHostedCluster use unmanaged etcd, so no etcd member starts.
 * Test support only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { attachDeploymentController } from './controllers.ts';
import { startDnsServer, type DnsServer } from '../dns/server.ts';
import { multiKubeconfigYaml } from '../api/kubeconfig.ts';
import { startApiSimulator, type RunningSimulator } from '../api/server.ts';
import type { SimObject, SimStore } from '../api/types.ts';
import { installMachineApi } from './capi.ts';
import { linkGuestNodes, standInCloud, type StandInCloud } from './cloud.ts';
import { attachRouter } from './external-dns.ts';
import { hostedClusterManifest } from './fixtures.ts';
import { guestClusters, type GuestClusters } from './guest-cluster.ts';
import { startHyperShiftOperator, type HyperShiftOperator } from './operator.ts';

export const MINI_TOKEN = 'mini-world-token';
export const MINI_DOMAIN = 'hcp.example.com';

export interface MiniCluster {
  context: string;
  sim: RunningSimulator;
  operator: HyperShiftOperator;
  ingressAddress: string;
}

export interface MiniWorld {
  dir: string;
  kubeconfig: string;
  dns: DnsServer;
  guests: GuestClusters;
  /** The stand-in cloud behind every cluster's AWSMachines (with capi). */
  cloud?: StandInCloud;
  clusters: MiniCluster[];
  stop(): Promise<void>;
}

export async function startMiniWorld(options: {
  clusters: number;
  withoutExternalDns?: number[];
  guests?: boolean;
  capi?: boolean;
}): Promise<MiniWorld> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-mini-'));
  const dns = await startDnsServer();
  const guests = guestClusters({ zone: dns.zone });
  const stops: (() => unknown)[] = [() => dns.stop(), () => guests.stop()];
  const clusters: MiniCluster[] = [];
  const cloud = options.capi ? standInCloud() : undefined;
  if (cloud && options.guests) stops.push(linkGuestNodes(cloud, guests));
  for (let k = 0; k < options.clusters; k++) {
    const sim = await startApiSimulator();
    const ingressAddress = `127.0.0.${11 + k}`;
    stops.push(
      () => sim.stop(),
      attachDeploymentController(sim.store),
      attachRouter(sim.store, { canonicalHostname: `router-default.apps.mgmt-${k + 1}` }),
    );
    if (options.capi) installMachineApi(sim.store);
    const operator = startHyperShiftOperator(sim, {
      dir: path.join(dir, `mgmt-${k + 1}`),
      ...(options.withoutExternalDns?.includes(k + 1)
        ? {}
        : { externalDns: { zone: dns.zone, domainFilter: MINI_DOMAIN, ingressAddress } }),
      ...(options.guests ? { guests } : {}),
      ...(options.capi ? { capi: true } : {}),
      ...(cloud ? { cloud: { cloud, cluster: `mgmt-${k + 1}` } } : {}),
    });
    stops.push(() => operator.stop());
    clusters.push({ context: `mgmt-${k + 1}`, sim, operator, ingressAddress });
  }
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    multiKubeconfigYaml(
      clusters.map((c) => ({
        url: c.sim.httpsUrl,
        options: { token: MINI_TOKEN, contextName: c.context, namespace: 'clusters', tls: true },
      })),
    ),
    { mode: 0o600 },
  );
  return {
    dir,
    kubeconfig,
    dns,
    guests,
    ...(cloud ? { cloud } : {}),
    clusters,
    async stop() {
      for (const fn of stops.reverse()) await Promise.resolve(fn()).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** HostedCluster clusters/<name> (AWS, Public, fixed API and OAuth hostnames) with unmanaged etcd, as a user creates it. */
export function createUnmanagedHostedCluster(store: SimStore, name: string): SimObject {
  let hc: SimObject | undefined;
  for (const { resource, object } of hostedClusterManifest({ name })) {
    if (object.kind === 'HostedCluster') {
      (object['spec'] as Record<string, unknown>)['etcd'] = {
        managementType: 'Unmanaged',
        unmanaged: { endpoint: 'https://etcd.example.com:2379', tls: { clientSecret: { name: `${name}-etcd-client` } } },
      };
    }
    if (store.get(resource, object.metadata.namespace, object.metadata.name)) continue;
    const created = store.create(resource, object);
    if (created.kind === 'HostedCluster') hc = created;
  }
  return hc!;
}
