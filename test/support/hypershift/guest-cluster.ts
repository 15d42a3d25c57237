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
 * API: `const guests = guestClusters()`; `await guests.ensure(hc, nodePools)` → GuestCluster
 * {key, sim, token, kubeconfig, nodes(), ovnPods(), ovnRestarts()}; `guests.get(key)`, `guests.all()`,
 * `guests.stop()`.
 */
import { kubeconfigYaml } from '../sim/kubeconfig.ts';
import { startApiSimulator, type RunningSimulator } from '../sim/server.ts';
import type { GroupResource, SimObject, SimStore } from '../sim/types.ts';

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

async function startGuest(key: string, pools: NodePoolShape[]): Promise<GuestCluster & { stop(): Promise<void> }> {
  const sim = await startApiSimulator();
  const { store } = sim;
  let restarts = 0;
  let stopping = false;
  const nodes = nodeNames(pools);
  for (const { pool, node } of nodes) {
    store.create(NODES, {
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
      spec: { providerID: `aws:///us-east-1a/i-0${Buffer.from(node).toString('hex').slice(0, 16)}` },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: now() }] },
    });
  }
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
  const kubeconfig = kubeconfigYaml(sim.httpsUrl, { token: GUEST_TOKEN, contextName: key, namespace: 'default' });
  return {
    key,
    sim,
    token: GUEST_TOKEN,
    kubeconfig,
    nodes: () => store.list(NODES),
    ovnPods: () => store.list(PODS, OVN_NAMESPACE, `app=${OVN_DAEMONSET}`),
    ovnRestarts: () => restarts,
    async stop() {
      stopping = true;
      unsubscribe();
      await sim.stop();
    },
  };
}

export function guestClusters(): GuestClusters {
  const guests = new Map<string, Promise<GuestCluster & { stop(): Promise<void> }>>();
  const settled = new Map<string, GuestCluster & { stop(): Promise<void> }>();
  return {
    ensure(hc, pools) {
      const key = guestKey(hc);
      let g = guests.get(key);
      if (!g) {
        g = startGuest(key, pools);
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
