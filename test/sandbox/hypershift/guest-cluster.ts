/**
 * Hosted clusters' own APIs (the "guest" side; test support, never shipped). Each hosted cluster gets a
 * second Kubernetes API simulator holding what its data plane runs:
 *  - Nodes, one per NodePool replica (names nodeNames() gives: ip-10-0-<pool>-<n>.ec2.internal, Ready,
 *    labelled with their NodePool), the same names the CAPI stand-in (capi.ts) puts in Machines' nodeRef;
 *  - namespace `openshift-ovn-kubernetes` with DaemonSet `ovnkube-node` and one pod per node
 *    (`ovnkube-node-xxxxx`, Running and Ready); a tiny DaemonSet controller recreates a deleted pod
 *    with a new name and uid, so a test sees that the pods were restarted (ovnRestarts() counts them).
 * The world is keyed by the hosted cluster's infraID (its nodes), so the control plane that a move
 * brings up on another management cluster finds the same guest cluster.
 *
 * The operator stand-in publishes it as HyperShift does: Secret `<name>-admin-kubeconfig` (key
 * `kubeconfig`) in the HostedCluster's namespace named by the HostedCluster's `status.kubeconfig.name`,
 * and Secret `admin-kubeconfig` in the control-plane namespace named by the HostedControlPlane's
 * `status.kubeConfig` {name, key}. The kubeconfig's server is the guest simulator's https listener on
 * 127.0.0.1 (insecure-skip-tls-verify, a bearer token), not the API hostname: nothing on this machine
 * resolves names through the sandbox's DNS server.
 *
 * Reachability: the kubeconfig's server is a TCP pass-through in front of the guest simulator that
 * resets every new connection while the hosted cluster's API is down, as clients see it: up when a
 * management cluster running this hosted cluster's control plane (attachControlPlane) has its
 * `kube-apiserver` Deployment ready (spec.replicas > 0 and readyReplicas > 0) with its etcd at quorum (the
 * etcd StatefulSet's ready members, as kube-apiserver's /readyz checks etcd) and, when the registry
 * was given a DNS zone, the API hostname (spec.services APIServer route hostname) resolves to that
 * cluster's ingress address. outages() lists the down periods since start, for the move's downtime.
 * TLS ends at that front, as at kube-apiserver: a client certificate the serving control plane's
 * `client-ca` does not accept gets 401 Unauthorized (a saved admin kubeconfig after its
 * system-admin-signer changed); a bearer token or no certificate goes on to the simulator.
 *
 * PKI (guest-identity.ts): the nodes' kubelets and the konnectivity agents hold certificates of the
 * first control plane with a PKI they join, and are Ready/connected only while the serving control
 * plane's CAs accept them. kubeconfigFor(plane) is the admin kubeconfig that control plane publishes
 * (system-admin-signer client certificate); `kubeconfig` stays a token kubeconfig for tests.
 *
 * API: `const guests = guestClusters({ zone? })`; `await guests.ensure(hc, nodePools)` → GuestCluster
 * {key, sim, token, kubeconfig, nodes(), ovnPods(), ovnRestarts(), reachable(), outages(),
 * attachControlPlane({store, namespace, ingressAddress?}), kubeconfigFor(plane), konnectivityAgents()}; `guests.get(key)`, `guests.all()`, `guests.stop()`.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { DnsZone } from '../dns/server.ts';
import { kubeconfigYaml } from '../api/kubeconfig.ts';
import { startApiSimulator, type RunningSimulator } from '../api/server.ts';
import { selfSignedCertificate } from '../api/selfsigned.ts';
import { guestIdentity, type KonnectivityAgent } from './guest-identity.ts';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';

export const NODES: GroupResource = { group: '', version: 'v1', plural: 'nodes' };
export const DAEMONSETS: GroupResource = { group: 'apps', version: 'v1', plural: 'daemonsets' };
const PODS: GroupResource = { group: '', version: 'v1', plural: 'pods' };
const NAMESPACES: GroupResource = { group: '', version: 'v1', plural: 'namespaces' };
const SECRETS: GroupResource = { group: '', version: 'v1', plural: 'secrets' };
const HOSTED_CLUSTERS: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const HOSTED_CONTROL_PLANES: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedcontrolplanes' };
export const OVN_NAMESPACE = 'openshift-ovn-kubernetes';
export const OVN_DAEMONSET = 'ovnkube-node';
export const GUEST_TOKEN = 'hosted-cluster-admin-token';
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface NodePoolShape {
  name: string;
  replicas: number;
}

/** The NodePools of a HostedCluster in a management store (spec.clusterName), with their replicas. */
export function nodePoolsOf(pools: SimObject[], hc: SimObject): NodePoolShape[] {
  return pools
    .filter((np) => (np['spec'] as { clusterName?: string } | undefined)?.clusterName === hc.metadata.name)
    .map((np) => ({ name: np.metadata.name, replicas: (np['spec'] as { replicas?: number }).replicas ?? 0 }));
}

/** Node names per NodePool, in order: ip-10-0-<pool index + 1>-<10 + n>.ec2.internal. */
export function nodeNames(pools: NodePoolShape[]): { pool: string; node: string }[] {
  return pools.flatMap((p, i) =>
    Array.from({ length: p.replicas }, (_, n) => ({ pool: p.name, node: `ip-10-0-${i + 1}-${10 + n}.ec2.internal` })),
  );
}

/** The guest cluster's key: the infraID (its infrastructure), else namespace/name. */
export function guestKey(hc: SimObject): string {
  return (hc['spec'] as { infraID?: string } | undefined)?.infraID ?? `${hc.metadata.namespace}/${hc.metadata.name}`;
}

export interface GuestCluster {
  key: string;
  sim: RunningSimulator;
  token: string;
  /** An admin kubeconfig (YAML) for this guest API. */
  kubeconfig: string;
  nodes(): SimObject[];
  ovnPods(): SimObject[];
  /** OVN pods recreated after a deletion, since start. */
  ovnRestarts(): number;
  /** Whether a client of the kubeconfig reaches the API now. */
  reachable(): boolean;
  /** Periods the API was down since start (epoch ms; `to` absent while still down). */
  outages(): { from: number; to?: number }[];
  /** A management cluster runs this hosted cluster's control plane in `namespace` (idempotent). */
  /** managedEtcd: its API serves only while the etcd StatefulSet of `namespace` has quorum. */
  /** Resolves once the nodes joined it (kubelet certificates from its csr-signer, when it has a PKI: guest-identity.ts). */
  attachControlPlane(plane: { store: SimStore; namespace: string; ingressAddress?: string; managedEtcd?: boolean }): Promise<void>;
  /** The admin kubeconfig a control plane publishes: a client certificate of its system-admin-signer, else `kubeconfig`. */
  kubeconfigFor(plane: { store: SimStore; namespace: string }): Promise<string>;
  /** The konnectivity agents (one per node) and whether the serving control plane accepts them. */
  konnectivityAgents(): KonnectivityAgent[];
  /** A node's kubelet client certificate (PEM), issued once when it joined a control plane's PKI. */
  kubeletCertificate(node: string): string | undefined;
  /** A node joined (a new instance, cloud.ts): its Node (Ready) and its OVN pod; idempotent. */
  addNode(node: string, pool: string, providerID?: string): void;
  /** A node's instance is gone: its Node and its OVN pod go. */
  removeNode(node: string): void;
}

export interface GuestClusters {
  /** The guest cluster of `hc`, started (with nodes for `pools`) on first use. */
  ensure(hc: SimObject, pools: NodePoolShape[]): Promise<GuestCluster>;
  get(key: string): GuestCluster | undefined;
  all(): GuestCluster[];
  stop(): Promise<void>;
}

function ovnPod(node: string, ds: SimObject): SimObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: '',
      generateName: `${OVN_DAEMONSET}-`,
      namespace: OVN_NAMESPACE,
      labels: { app: OVN_DAEMONSET, component: 'network', 'ovn-db-pod': 'false' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: OVN_DAEMONSET, uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      nodeName: node,
      hostNetwork: true,
      containers: ['ovn-controller', 'ovnkube-controller', 'kube-rbac-proxy-node'].map((name) => ({
        name,
        image: 'quay.io/openshift/ovn-kubernetes:latest',
      })),
    },
    status: {
      phase: 'Running',
      startTime: now(),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now() }],
      containerStatuses: ['ovn-controller', 'ovnkube-controller', 'kube-rbac-proxy-node'].map((name) => ({
        name,
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: now() } },
      })),
    },
  };
}

/** The API hostname a HostedCluster publishes (APIServer, Route or LoadBalancer hostname). */
function apiHostname(hc: SimObject): string | undefined {
  const services = ((hc['spec'] as { services?: unknown[] } | undefined)?.services ?? []) as {
    service?: string;
    servicePublishingStrategy?: { route?: { hostname?: string }; loadBalancer?: { hostname?: string } };
  }[];
  const s = services.find((x) => x.service === 'APIServer')?.servicePublishingStrategy;
  return (s?.route?.hostname ?? s?.loadBalancer?.hostname)?.toLowerCase();
}

async function startGuest(
  key: string,
  pools: NodePoolShape[],
  hostname: string | undefined,
  zone: DnsZone | undefined,
): Promise<GuestCluster & { stop(): Promise<void> }> {
  const sim = await startApiSimulator();
  const apiPort = Number(new URL(sim.url).port);
  const planes = new Map<
    string,
    { store: SimStore; namespace: string; ingressAddress?: string; managedEtcd?: boolean; unsubscribe: () => void }
  >();
  const stores = new Map<SimStore, string>();
  // kube-apiserver's readiness (/readyz) includes its etcd: it serves only while etcd has quorum
  // (ready members of the etcd StatefulSet >= replicas/2+1), whatever its Deployment says.
  const kasReady = (store: SimStore, namespace: string, managedEtcd: boolean | undefined) => {
    const d = store.get({ group: 'apps', version: 'v1', plural: 'deployments' }, namespace, 'kube-apiserver');
    const want = (d?.['spec'] as { replicas?: number } | undefined)?.replicas ?? 0;
    const ready = (d?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
    const sts = store.get({ group: 'apps', version: 'v1', plural: 'statefulsets' }, namespace, 'etcd');
    const members = (sts?.['spec'] as { replicas?: number } | undefined)?.replicas ?? 0;
    const etcdReady = (sts?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
    const quorum = !managedEtcd || (members > 0 && etcdReady >= Math.floor(members / 2) + 1);
    return !!d && !d.metadata.deletionTimestamp && want > 0 && ready > 0 && quorum;
  };
  /** The control plane clients reach now (its API server ready and, with DNS, the hostname pointing at it). */
  const serving = () => {
    const ready = [...planes.values()].filter((p) => kasReady(p.store, p.namespace, p.managedEtcd));
    if (!zone || !hostname) return ready[0];
    const addresses = zone.get(hostname, 'A') ?? [];
    return ready.find((p) => p.ingressAddress !== undefined && addresses.includes(p.ingressAddress));
  };
  const reachable = () => serving() !== undefined;
  const outages: { from: number; to?: number }[] = [];
  const connections = new Set<net.Socket>();
  let up = false;
  const recheck = () => {
    if (!stopping) identity.evaluate(serving());
    const now = reachable();
    if (now === up) return;
    up = now;
    const last = outages[outages.length - 1];
    if (up && last && last.to === undefined) last.to = Date.now();
    if (!up) {
      outages.push({ from: Date.now() });
      for (const c of connections) c.destroy(); // the API server went away under its clients
    }
  };
  outages.push({ from: Date.now() });
  const unzone = zone?.onChange(recheck);
  // TLS ends here, as at kube-apiserver: a client certificate the serving control plane's client-ca
  // does not accept gets 401 Unauthorized; bearer tokens and no certificate go on to the simulator.
  const terminator = tls.createServer({ ...selfSignedCertificate(), requestCert: true, rejectUnauthorized: false }, (client) => {
    client.on('error', () => client.destroy());
    const peer = client.getPeerCertificate();
    const pem = peer?.raw ? `-----BEGIN CERTIFICATE-----\n${peer.raw.toString('base64')}\n-----END CERTIFICATE-----\n` : undefined;
    if (pem && !identity.accepts(serving(), pem)) {
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
      client.once('data', () =>
        client.end(
          `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ),
      );
      return;
    }
    const upstream = net.connect(apiPort, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  terminator.on('tlsClientError', () => undefined);
  const front = net.createServer((client) => {
    client.on('error', () => client.destroy());
    if (!reachable()) return void client.resetAndDestroy();
    connections.add(client);
    client.on('close', () => connections.delete(client));
    terminator.emit('connection', client);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const frontUrl = `https://127.0.0.1:${(front.address() as net.AddressInfo).port}`;
  const { store } = sim;
  let restarts = 0;
  let stopping = false;
  const nodes = nodeNames(pools);
  const identity = guestIdentity(store, () => nodes.map((n) => n.node));
  const nodeObject = (node: string, pool: string, providerID?: string): SimObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node,
      labels: {
        'kubernetes.io/hostname': node,
        'node-role.kubernetes.io/worker': '',
        'hypershift.openshift.io/nodePool': pool,
        'topology.kubernetes.io/zone': 'us-east-1a',
      },
    },
    spec: { providerID: providerID ?? `aws:///us-east-1a/i-0${Buffer.from(node).toString('hex').slice(0, 16)}` },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: now() }] },
  });
  for (const { pool, node } of nodes) store.create(NODES, nodeObject(node, pool));
  store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OVN_NAMESPACE } });
  const ds = store.create(DAEMONSETS, {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: OVN_DAEMONSET, namespace: OVN_NAMESPACE, labels: { app: OVN_DAEMONSET } },
    spec: { selector: { matchLabels: { app: OVN_DAEMONSET } }, template: { metadata: { labels: { app: OVN_DAEMONSET } }, spec: {} } },
  });
  const writeStatus = () => {
    const ready = store.list(PODS, OVN_NAMESPACE, `app=${OVN_DAEMONSET}`).filter((p) => !p.metadata.deletionTimestamp).length;
    const n = nodes.length;
    try {
      store.mutate(DAEMONSETS, OVN_NAMESPACE, OVN_DAEMONSET, (o) => {
        o['status'] = {
          desiredNumberScheduled: n,
          currentNumberScheduled: ready,
          numberReady: ready,
          numberAvailable: ready,
          updatedNumberScheduled: ready,
        };
      });
    } catch {
      /* gone */
    }
  };
  for (const { node } of nodes) store.create(PODS, ovnPod(node, ds));
  writeStatus();
  // The DaemonSet controller: a node without its pod gets a new one (new name, new uid).
  const unsubscribe = store.subscribe((e) => {
    if (stopping || e.type !== 'DELETED' || e.resource.plural !== 'pods' || e.object.metadata.namespace !== OVN_NAMESPACE) return;
    const node = (e.object['spec'] as { nodeName?: string } | undefined)?.nodeName;
    const current = store.get(DAEMONSETS, OVN_NAMESPACE, OVN_DAEMONSET);
    if (!node || !current || !store.get(NODES, undefined, node)) return;
    const has = store.list(PODS, OVN_NAMESPACE, `app=${OVN_DAEMONSET}`).some((p) => (p['spec'] as { nodeName?: string }).nodeName === node);
    if (!has) {
      store.create(PODS, ovnPod(node, current));
      restarts++;
    }
    writeStatus();
  });
  const kubeconfig = kubeconfigYaml(frontUrl, { token: GUEST_TOKEN, contextName: key, namespace: 'default' });
  return {
    key,
    sim,
    token: GUEST_TOKEN,
    kubeconfig,
    nodes: () => store.list(NODES),
    ovnPods: () => store.list(PODS, OVN_NAMESPACE, `app=${OVN_DAEMONSET}`),
    ovnRestarts: () => restarts,
    reachable,
    outages: () => outages.map((o) => ({ ...o })),
    async attachControlPlane(plane) {
      const id = `${stores.get(plane.store) ?? stores.set(plane.store, String(stores.size)).get(plane.store)}/${plane.namespace}`;
      if (planes.has(id)) return;
      const watched = ['deployments', 'statefulsets', 'secrets', 'configmaps'];
      const unsubscribe = plane.store.subscribe((e) => {
        if (watched.includes(e.resource.plural) && e.object.metadata.namespace === plane.namespace) recheck();
      });
      planes.set(id, { ...plane, unsubscribe });
      await identity.join(plane);
      recheck();
    },
    async kubeconfigFor(plane) {
      return (await identity.adminKubeconfig(plane, frontUrl, key)) ?? kubeconfig;
    },
    konnectivityAgents: () => identity.agents(),
    kubeletCertificate: (node) => identity.kubeletCertificate(node),
    addNode(node, pool, providerID) {
      if (stopping || store.get(NODES, undefined, node)) return;
      store.create(NODES, nodeObject(node, pool, providerID));
      if (!nodes.some((n) => n.node === node)) nodes.push({ pool, node });
      const current = store.get(DAEMONSETS, OVN_NAMESPACE, OVN_DAEMONSET);
      if (current) store.create(PODS, ovnPod(node, current));
      writeStatus();
      // Its kubelet gets a certificate from the control plane it joins (guest-identity.ts).
      const plane = serving();
      if (plane) void identity.join(plane).then(recheck, () => undefined);
    },
    removeNode(node) {
      if (stopping) return;
      const i = nodes.findIndex((n) => n.node === node);
      if (i >= 0) nodes.splice(i, 1);
      try {
        store.delete(NODES, undefined, node);
      } catch {
        /* gone */
      }
      for (const p of store.list(PODS, OVN_NAMESPACE, `app=${OVN_DAEMONSET}`)) {
        if ((p['spec'] as { nodeName?: string }).nodeName !== node) continue;
        try {
          store.delete(PODS, OVN_NAMESPACE, p.metadata.name);
        } catch {
          /* gone */
        }
      }
      writeStatus();
    },
    async stop() {
      stopping = true;
      unsubscribe();
      unzone?.();
      for (const p of planes.values()) p.unsubscribe();
      for (const c of connections) c.destroy();
      await new Promise<void>((r) => front.close(() => r()));
      terminator.close();
      await sim.stop();
    },
  };
}

/** `zone`: the DNS the API hostname must resolve through for the API to be reachable (the sandbox's). */
export function guestClusters(options: { zone?: DnsZone } = {}): GuestClusters {
  const guests = new Map<string, Promise<GuestCluster & { stop(): Promise<void> }>>();
  const settled = new Map<string, GuestCluster & { stop(): Promise<void> }>();
  return {
    ensure(hc, pools) {
      const key = guestKey(hc);
      let g = guests.get(key);
      if (!g) {
        g = startGuest(key, pools, apiHostname(hc), options.zone);
        guests.set(key, g);
        void g.then((x) => settled.set(key, x)).catch(() => guests.delete(key));
      }
      return g;
    },
    get: (key) => settled.get(key),
    all: () => [...settled.values()],
    async stop() {
      const all = await Promise.allSettled([...guests.values()]);
      guests.clear();
      settled.clear();
      await Promise.all(all.flatMap((r) => (r.status === 'fulfilled' ? [r.value.stop()] : [])));
    },
  };
}

/** The admin kubeconfig Secret of a HostedCluster, in its namespace (key `kubeconfig`). */
export const adminKubeconfigSecret = {
  resource: SECRETS,
  name: (hc: SimObject) => `${hc.metadata.name}-admin-kubeconfig`,
  key: 'kubeconfig',
};

/**
 * Writes the admin kubeconfig as HyperShift does: Secret `<name>-admin-kubeconfig` in the HostedCluster's
 * namespace, named by its status.kubeconfig, and Secret `admin-kubeconfig` in the control-plane
 * namespace, named by the HostedControlPlane's status.kubeConfig {name, key}.
 */
export function publishKubeconfig(store: SimStore, hc: SimObject, kubeconfig: string): void {
  const ns = hc.metadata.namespace ?? '';
  const cp = `${ns}-${hc.metadata.name.replaceAll('.', '-')}`;
  const data = { kubeconfig: Buffer.from(kubeconfig).toString('base64') };
  const put = (namespace: string, name: string) => {
    const cur = store.get(SECRETS, namespace, name);
    if (!cur) store.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data });
    else if ((cur['data'] as { kubeconfig?: string } | undefined)?.kubeconfig !== data.kubeconfig)
      store.mutate(SECRETS, namespace, name, (o) => void (o['data'] = { ...(o['data'] as object), ...data }));
  };
  put(ns, adminKubeconfigSecret.name(hc));
  if (store.get(NAMESPACES, undefined, cp)) put(cp, 'admin-kubeconfig');
  const ref = { name: adminKubeconfigSecret.name(hc) };
  const current = store.get(HOSTED_CLUSTERS, ns, hc.metadata.name);
  if (current && JSON.stringify((current['status'] as { kubeconfig?: unknown } | undefined)?.kubeconfig) !== JSON.stringify(ref)) {
    store.mutate(HOSTED_CLUSTERS, ns, hc.metadata.name, (o) => void (o['status'] = { ...(o['status'] as object), kubeconfig: ref }));
  }
  const hcp = store.get(HOSTED_CONTROL_PLANES, cp, hc.metadata.name);
  const hcpRef = { name: 'admin-kubeconfig', key: 'kubeconfig' };
  if (hcp && JSON.stringify((hcp['status'] as { kubeConfig?: unknown } | undefined)?.kubeConfig) !== JSON.stringify(hcpRef)) {
    store.mutate(
      HOSTED_CONTROL_PLANES,
      cp,
      hc.metadata.name,
      (o) => void (o['status'] = { ...(o['status'] as object), kubeConfig: hcpRef }),
    );
  }
}
