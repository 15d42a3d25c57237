/**
 * A stand-in cloud (EC2 as CAPA sees it; test support, never shipped), shared by every management
 * cluster of a world, as one AWS account and region are (hypershift-domain.md §2.7-2.9, §5):
 *
 *  - Instances belong to a hosted cluster's infrastructure (infraID) and are owned by the AWSMachine
 *    that launched or adopted them: {cluster (management cluster name), namespace, name}.
 *  - An AWSMachine deleted while its controller runs terminates its instance (capi.ts calls
 *    terminate); one whose finalizer is removed while the controller is stopped just goes, and its
 *    instance keeps running with no owner object: LEAKED (instances() says so).
 *  - An AWSMachine applied on another management cluster with the same providerID adopts the running
 *    instance (owner moves); a Machine created with no providerID launches a NEW instance (a new node).
 *  - Guest resources per infraID (volumes, load balancers, image-registry storage) exist while the
 *    hosted cluster does; a HostedCluster deleted with `hypershift.openshift.io/cleanup-cloud-resources:
 *    "true"` removes them before its control plane goes (operator.ts), otherwise they are kept.
 *  - linkGuestNodes(cloud, guests): each running instance is a Node of its hosted cluster's guest
 *    API (guest-cluster.ts addNode); a terminated instance's Node goes (removeNode), as the cloud node
 *    lifecycle controller does.
 *
 * API: `const cloud = standInCloud()`; `cloud.register(cluster, store)`; `launch`, `adopt`,
 * `terminate`, `instances(infraID?)` → InstanceView (owner, ownerExists, leaked), `resources(infraID?)`,
 * `ensureGuestResources(infraID)`, `deleteGuestResources(infraID)`, `onChange(fn)`.
 */
import { createHash } from 'node:crypto';
import type { GroupResource, SimStore } from '../api/types.ts';
import type { GuestClusters } from './guest-cluster.ts';

const AWS_MACHINES: GroupResource = { group: 'infrastructure.cluster.x-k8s.io', version: 'v1beta2', plural: 'awsmachines' };

export interface InstanceOwner {
  /** The management cluster's name (its context). */
  cluster: string;
  namespace: string;
  /** The AWSMachine's name. */
  name: string;
}

export interface Instance {
  id: string;
  providerID: string;
  infraID: string;
  pool: string;
  nodeName: string;
  state: 'running' | 'terminated';
  owner: InstanceOwner;
  /** Management clusters whose AWSMachine launched (first) or adopted it, in order. */
  history: string[];
}

export interface InstanceView extends Instance {
  /** The owner AWSMachine exists on its management cluster. */
  ownerExists: boolean;
  /** Running with no owner object anywhere: nothing will ever terminate it. */
  leaked: boolean;
}

export interface GuestResource {
  kind: 'volume' | 'load-balancer' | 'registry-storage';
  id: string;
  infraID: string;
  state: 'present' | 'deleted';
}

export interface StandInCloud {
  register(cluster: string, store: SimStore): void;
  /** A new instance (a new node name unless `nodeName` is free among running ones). */
  launch(req: { infraID: string; pool: string; region: string; nodeName?: string; owner: InstanceOwner }): Instance;
  /** The running instance with this providerID becomes `owner`'s; undefined when there is none. */
  adopt(providerID: string, owner: InstanceOwner): Instance | undefined;
  terminate(providerID: string): void;
  instances(infraID?: string): InstanceView[];
  ensureGuestResources(infraID: string): void;
  /** Deletes the guest's resources; returns how many went. */
  deleteGuestResources(infraID: string): number;
  resources(infraID?: string): GuestResource[];
  onChange(fn: () => void): () => void;
}

export function standInCloud(): StandInCloud {
  const stores = new Map<string, SimStore>();
  const byProvider = new Map<string, Instance>();
  const resources: GuestResource[] = [];
  const listeners = new Set<() => void>();
  let serial = 0;
  const changed = () => {
    for (const l of listeners) l();
  };
  const ownerExists = (o: InstanceOwner) => stores.get(o.cluster)?.get(AWS_MACHINES, o.namespace, o.name) !== undefined;
  return {
    register(cluster, store) {
      stores.set(cluster, store);
    },
    launch({ infraID, pool, region, nodeName, owner }) {
      const taken = new Set([...byProvider.values()].filter((i) => i.infraID === infraID && i.state === 'running').map((i) => i.nodeName));
      let node = nodeName && !taken.has(nodeName) ? nodeName : undefined;
      while (!node) {
        const candidate = `ip-10-0-9-${100 + serial++}.ec2.internal`;
        if (!taken.has(candidate)) node = candidate;
      }
      const id = `i-0${createHash('sha256').update(`${infraID}/${node}/${serial++}`).digest('hex').slice(0, 16)}`;
      const instance: Instance = {
        id,
        providerID: `aws:///${region}a/${id}`,
        infraID,
        pool,
        nodeName: node,
        state: 'running',
        owner: { ...owner },
        history: [owner.cluster],
      };
      byProvider.set(instance.providerID, instance);
      changed();
      return { ...instance };
    },
    adopt(providerID, owner) {
      const i = byProvider.get(providerID);
      if (!i || i.state !== 'running') return undefined;
      if (i.owner.cluster !== owner.cluster || i.owner.namespace !== owner.namespace || i.owner.name !== owner.name) {
        i.owner = { ...owner };
        i.history.push(owner.cluster);
        changed();
      }
      return { ...i };
    },
    terminate(providerID) {
      const i = byProvider.get(providerID);
      if (!i || i.state === 'terminated') return;
      i.state = 'terminated';
      changed();
    },
    instances(infraID) {
      return [...byProvider.values()]
        .filter((i) => infraID === undefined || i.infraID === infraID)
        .map((i) => {
          const exists = ownerExists(i.owner);
          return { ...i, owner: { ...i.owner }, history: [...i.history], ownerExists: exists, leaked: i.state === 'running' && !exists };
        });
    },
    ensureGuestResources(infraID) {
      if (resources.some((r) => r.infraID === infraID)) return;
      const h = (s: string) => createHash('sha256').update(`${infraID}/${s}`).digest('hex').slice(0, 12);
      resources.push(
        { kind: 'volume', id: `vol-0${h('pv-1')}`, infraID, state: 'present' },
        { kind: 'volume', id: `vol-0${h('pv-2')}`, infraID, state: 'present' },
        { kind: 'load-balancer', id: `${infraID}-ingress-${h('lb').slice(0, 6)}`, infraID, state: 'present' },
        { kind: 'registry-storage', id: `${infraID}-image-registry-${h('s3').slice(0, 6)}`, infraID, state: 'present' },
      );
      changed();
    },
    deleteGuestResources(infraID) {
      let n = 0;
      for (const r of resources) {
        if (r.infraID !== infraID || r.state === 'deleted') continue;
        r.state = 'deleted';
        n++;
      }
      if (n) changed();
      return n;
    },
    resources: (infraID) => resources.filter((r) => infraID === undefined || r.infraID === infraID).map((r) => ({ ...r })),
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

/**
 * Keeps every guest API's Nodes in step with the cloud: a running instance of the guest's infraID is
 * a Node (added if missing), a terminated one is not. Returns a detach function.
 */
export function linkGuestNodes(cloud: StandInCloud, guests: GuestClusters): () => void {
  const sync = () => {
    for (const g of guests.all()) {
      const mine = cloud.instances(g.key);
      if (mine.length === 0) continue;
      const present = new Set(g.nodes().map((n) => n.metadata.name));
      for (const i of mine) {
        if (i.state === 'running' && !present.has(i.nodeName)) g.addNode(i.nodeName, i.pool, i.providerID);
        if (i.state === 'terminated' && present.has(i.nodeName) && !mine.some((x) => x.state === 'running' && x.nodeName === i.nodeName))
          g.removeNode(i.nodeName);
      }
    }
  };
  const off = cloud.onChange(sync);
  // A guest API started after the instances were launched catches up here.
  const timer = setInterval(sync, 250);
  sync();
  return () => {
    off();
    clearInterval(timer);
  };
}
