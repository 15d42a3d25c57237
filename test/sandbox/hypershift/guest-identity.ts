/**
 * What ties a hosted cluster's data plane to its control plane's PKI (hypershift-domain.md §5;
 * test support, never shipped). Used by guest-cluster.ts:
 *  - each node's kubelet holds a client certificate (O=system:nodes, CN=system:node:<node>) signed
 *    by the control plane's `csr-signer` when the node joins (the first control plane with a PKI it
 *    meets), and trusts the control plane's `kubelet-client-ca` bundle (csr-signer and
 *    `kube-apiserver-to-kubelet-signer`) for the API server's client certificate;
 *  - a node is Ready only while the serving control plane's `client-ca` accepts its certificate and
 *    its trust accepts the control plane's `kas-kubelet-client-crt`; otherwise its Ready condition is
 *    Unknown (NodeStatusUnknown: the kubelet cannot post status), with the x509 reason in the message;
 *  - one konnectivity agent per node holds the control plane's `konnectivity-agent` certificate and
 *    trusts its `konnectivity-ca-bundle`, as the hosted cluster config operator copies them in at
 *    join time; it is connected only while the serving control plane's konnectivity CA accepts its
 *    certificate and it trusts the `konnectivity-server` certificate (agents());
 *  - admin kubeconfigs carry a system:admin client certificate (O=system:masters) signed by the
 *    control plane's `system-admin-signer` (adminKubeconfig(), one per CA); accepts() says whether
 *    the serving control plane's `client-ca` accepts a presented client certificate.
 * Nodes whose first control plane had no PKI (a stand-in without one) keep their conditions as they are.
 */
import yaml from 'js-yaml';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';
import { caOf, leafOf, trustBundle } from './pki.ts';
import { signedLeaf, trusts, type KeyPair } from './x509.ts';

const NODES: GroupResource = { group: '', version: 'v1', plural: 'nodes' };
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface PlaneRef {
  store: SimStore;
  namespace: string;
}

interface NodeIdentity {
  kubelet: KeyPair;
  /** The kubelet's --client-ca-file: whom it accepts as the API server's client. */
  trust: string;
}

export interface KonnectivityAgent {
  node: string;
  connected: boolean;
  reason?: string;
}

export interface GuestIdentity {
  /** Gives nodes that have none a kubelet certificate from `plane` (and the agents theirs); then re-evaluates. */
  join(plane: PlaneRef): Promise<void>;
  /** Writes each node's Ready condition and the agents' state against the serving control plane. */
  evaluate(plane: PlaneRef | undefined): void;
  agents(): KonnectivityAgent[];
  /** An admin kubeconfig for `server` signed by `plane`'s system-admin-signer; undefined without one. */
  adminKubeconfig(plane: PlaneRef, server: string, name: string): Promise<string | undefined>;
  /** Whether the serving control plane accepts a client certificate (PEM); true without a client-ca to check. */
  accepts(plane: PlaneRef | undefined, certPem: string): boolean;
  /** The kubelet client certificate (PEM) a node got when it joined; undefined before it joined a PKI. */
  kubeletCertificate(node: string): string | undefined;
}

export function guestIdentity(guest: SimStore, nodeNames: () => string[]): GuestIdentity {
  const nodes = new Map<string, NodeIdentity>();
  let agent: { cert: string; trust: string } | undefined;
  const agentState = new Map<string, KonnectivityAgent>();
  const kubeconfigs = new Map<string, Promise<string>>();
  let joining: Promise<void> | undefined;

  const setReady = (node: string, ok: boolean, message: string) => {
    const o = guest.get(NODES, undefined, node);
    if (!o) return;
    const conditions = ((o['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).filter(
      (c) => c.type !== 'Ready',
    );
    const current = ((o['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find(
      (c) => c.type === 'Ready',
    );
    const status = ok ? 'True' : 'Unknown';
    if (current?.status === status) return;
    const ready = ok
      ? { type: 'Ready', status, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: now() }
      : { type: 'Ready', status, reason: 'NodeStatusUnknown', message, lastTransitionTime: now() };
    try {
      guest.mutate(NODES, undefined, node, (x) => void (x['status'] = { ...(x['status'] as object), conditions: [...conditions, ready] }));
    } catch {
      /* gone meanwhile */
    }
  };

  const evaluate = (plane: PlaneRef | undefined) => {
    if (!plane) return;
    const clientCa = trustBundle(plane.store, plane.namespace, 'client-ca');
    const kasClient = leafOf(plane.store, plane.namespace, 'kas-kubelet-client-crt')?.cert;
    for (const node of nodeNames()) {
      const id = nodes.get(node);
      if (!id) continue;
      if (!trusts(clientCa, id.kubelet.cert))
        setReady(node, false, 'Kubelet stopped posting node status: x509: certificate signed by unknown authority (client-ca)');
      else if (!trusts(id.trust, kasClient))
        setReady(
          node,
          false,
          'Kubelet stopped posting node status: the API server presents a client certificate the kubelet does not trust',
        );
      else setReady(node, true, '');
    }
    if (!agent) return;
    const caBundle = trustBundle(plane.store, plane.namespace, 'konnectivity-ca-bundle');
    const server = leafOf(plane.store, plane.namespace, 'konnectivity-server')?.cert;
    const reason = !trusts(caBundle, agent.cert)
      ? 'the konnectivity server rejects the agent certificate (unknown authority)'
      : !trusts(agent.trust, server)
        ? 'the agent does not trust the konnectivity server certificate'
        : undefined;
    agentState.clear();
    for (const node of nodeNames()) agentState.set(node, { node, connected: !reason, ...(reason ? { reason } : {}) });
  };

  const join = async (plane: PlaneRef) => {
    while (joining) await joining;
    const run = (async () => {
      const csr = caOf(plane.store, plane.namespace, 'csr-signer');
      const trust = trustBundle(plane.store, plane.namespace, 'kubelet-client-ca');
      if (csr && trust) {
        for (const node of nodeNames()) {
          if (nodes.has(node)) continue;
          const kubelet = await signedLeaf(csr, `/O=system:nodes/CN=system:node:${node}`);
          nodes.set(node, { kubelet, trust });
        }
      }
      const agentCert = leafOf(plane.store, plane.namespace, 'konnectivity-agent')?.cert;
      const agentTrust = trustBundle(plane.store, plane.namespace, 'konnectivity-ca-bundle');
      if (!agent && agentCert && agentTrust) agent = { cert: agentCert, trust: agentTrust };
    })();
    joining = run.finally(() => (joining = undefined));
    await joining;
  };

  return {
    join,
    evaluate,
    agents: () => [...agentState.values()].map((a) => ({ ...a })),
    async adminKubeconfig(plane, server, name) {
      const ca = caOf(plane.store, plane.namespace, 'system-admin-signer');
      if (!ca) return undefined;
      const key = `${ca.cert}\n${server}\n${name}`;
      let made = kubeconfigs.get(key);
      if (!made) {
        made = signedLeaf(ca, '/O=system:masters/CN=system:admin').then((leaf) => kubeconfigWithCertificate(server, name, leaf));
        kubeconfigs.set(key, made);
      }
      return made;
    },
    accepts(plane, certPem) {
      if (!plane) return true;
      const clientCa = trustBundle(plane.store, plane.namespace, 'client-ca');
      return clientCa === undefined || trusts(clientCa, certPem);
    },
    kubeletCertificate: (node) => nodes.get(node)?.kubelet.cert,
  };
}

/** A kubeconfig authenticating with a client certificate (the server's own certificate is not checked). */
export function kubeconfigWithCertificate(server: string, name: string, leaf: KeyPair): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': b64(leaf.cert), 'client-key-data': b64(leaf.key) } }],
    contexts: [{ name, context: { cluster: name, user: 'admin', namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

/** The Ready condition's status of a guest Node ('True', 'Unknown', ...). */
export function nodeReady(node: SimObject): string | undefined {
  return ((node['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find(
    (c) => c.type === 'Ready',
  )?.status;
}
