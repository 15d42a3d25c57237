/**
 * Cluster API and platform objects of a hosted control plane, with the finalizers only running
 * controllers clear (test support, never shipped). Names follow hypershift-domain.md §1.2:
 *  - cluster.x-k8s.io/v1beta1 Cluster `<infraID>` (finalizer cluster.cluster.x-k8s.io; spec.paused
 *    mirrors the HostedCluster's pause, as the HyperShift operator's pauseCAPICluster does);
 *  - per NodePool: MachineDeployment `<nodepool>` (cluster.x-k8s.io/machinedeployment), MachineSet
 *    `<nodepool>-<hash>` (cluster.x-k8s.io/machineset), one Machine per replica `<machineset>-<hash>`
 *    (machine.cluster.x-k8s.io) whose status.nodeRef names the guest cluster's Node (guest-cluster.ts);
 *  - AWS platform (infrastructure.cluster.x-k8s.io/v1beta2): AWSCluster `<hc name>`
 *    (awscluster.infrastructure.cluster.x-k8s.io), AWSMachineTemplate `<nodepool>-<hash>` annotated
 *    hypershift.openshift.io/nodePool, AWSMachine per Machine, same name (awsmachine.infrastructure.cluster.x-k8s.io);
 *  - Deployments `cluster-api` and `capi-provider` in the control-plane namespace: the controllers.
 * The controller stand-in clears its finalizer from a deleted object only while it runs: the Cluster
 * is not paused AND neither controller Deployment is scaled to 0. On a frozen (paused) or scaled-down
 * control plane, deleted CAPI and platform objects stay Terminating until someone removes their
 * finalizers (what a move's teardown does, §2.9). A deleted HostedCluster unpauses its Cluster, as
 * HyperShift does, so an ordinary deletion goes through.
 *
 * installMachineApi(store): OpenShift's own Machine API on a management cluster (CRDs
 * machines/machinesets.machine.openshift.io, and one Machine in openshift-machine-api), so bare
 * `machines` is ambiguous as on OpenShift.
 *
 * NodePools created after the cluster get their MachineDeployment, MachineSet and Machines too (the
 * NodePool controller), unless the NodePool is paused; objects that exist (adopted from a backup) are
 * kept as they are.
 *
 * With a stand-in cloud (cloud.ts, `cloud: {cloud, cluster}`): a new AWSMachine launches a NEW instance
 * (its providerID and node come from the cloud); an AWSMachine applied with the providerID of a running
 * instance adopts it; an AWSMachine deleted while the controllers run terminates its instance, one
 * whose finalizer someone removed while they were stopped leaves it running (leaked). An ordinary
 * HostedCluster deletion (releaseCapiObjects) terminates the instances, as deleting NodePools does.
 *
 * API: ensureCapiObjects(store, hc, pools, cloud?) (idempotent), attachCapiController(store, {cloud?}) → detach,
 * releaseCapiObjects(store, cpNamespace) (what running controllers do on an ordinary deletion),
 * CAPI_RESOURCES (every resource, fully qualified).
 */
import { createHash } from 'node:crypto';
import { isPaused } from './controllers.ts';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';
import { controlPlaneNamespace, deploymentObject, NAMESPACES } from './control-plane.ts';

export { installMachineApi } from './machine-api.ts';
import type { StandInCloud } from './cloud.ts';
import { nodeNames, nodePoolsOf, type NodePoolShape } from './guest-cluster.ts';

/** A management cluster's link to the world's stand-in cloud. */
export interface CloudLink {
  cloud: StandInCloud;
  /** This management cluster's name, as instances' owners name it. */
  cluster: string;
}

const capi = (plural: string): GroupResource => ({ group: 'cluster.x-k8s.io', version: 'v1beta1', plural });
const capa = (plural: string): GroupResource => ({ group: 'infrastructure.cluster.x-k8s.io', version: 'v1beta2', plural });
export const CAPI_CLUSTERS = capi('clusters');
export const MACHINE_DEPLOYMENTS = capi('machinedeployments');
export const MACHINE_SETS = capi('machinesets');
export const MACHINES = capi('machines');
export const AWS_CLUSTERS = capa('awsclusters');
export const AWS_MACHINE_TEMPLATES = capa('awsmachinetemplates');
export const AWS_MACHINES = capa('awsmachines');
const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };
const HOSTED_CLUSTERS: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const NODEPOOLS: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'nodepools' };
export const CAPI_CONTROLLERS = ['cluster-api', 'capi-provider'];

/** Resource → the finalizer its controller puts on every object it manages. */
export const CAPI_FINALIZERS: [GroupResource, string][] = [
  [CAPI_CLUSTERS, 'cluster.cluster.x-k8s.io'],
  [MACHINE_DEPLOYMENTS, 'cluster.x-k8s.io/machinedeployment'],
  [MACHINE_SETS, 'cluster.x-k8s.io/machineset'],
  [MACHINES, 'machine.cluster.x-k8s.io'],
  [AWS_CLUSTERS, 'awscluster.infrastructure.cluster.x-k8s.io'],
  [AWS_MACHINES, 'awsmachine.infrastructure.cluster.x-k8s.io'],
];
export const CAPI_RESOURCES: GroupResource[] = [...CAPI_FINALIZERS.map(([r]) => r), AWS_MACHINE_TEMPLATES];

const same = (a: GroupResource, b: GroupResource) => a.group === b.group && a.plural === b.plural;
const hash5 = (s: string) => {
  const chars = 'bcdfghjklmnpqrstvwxz2456789';
  const h = createHash('sha256').update(s).digest();
  return Array.from(h.subarray(0, 5), (b) => chars[b % chars.length]).join('');
};
const finalizerOf = (r: GroupResource) => CAPI_FINALIZERS.find(([x]) => same(x, r))?.[1];

type Spec = Record<string, unknown>;
const specOf = (o: SimObject) => (o['spec'] ?? {}) as Spec;

/** Creates whatever of the hosted cluster's CAPI and platform objects is missing. */
export function ensureCapiObjects(store: SimStore, hc: SimObject, pools: NodePoolShape[], link?: CloudLink): void {
  const ns = controlPlaneNamespace(hc);
  const name = hc.metadata.name;
  const infraID = (specOf(hc)['infraID'] as string | undefined) ?? name;
  const aws = (specOf(hc)['platform'] as { type?: string } | undefined)?.type === 'AWS';
  const region = (specOf(hc)['platform'] as { aws?: { region?: string } } | undefined)?.aws?.region ?? 'us-east-1';
  const clusterLabel = { 'cluster.x-k8s.io/cluster-name': infraID };
  const put = (r: GroupResource, o: Omit<SimObject, 'apiVersion'> & { metadata: SimObject['metadata'] }) => {
    if (store.get(r, ns, o.metadata.name)) return;
    const f = finalizerOf(r);
    store.create(r, {
      apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
      ...o,
      metadata: { ...o.metadata, namespace: ns, ...(f ? { finalizers: [f] } : {}) },
    } as SimObject);
  };
  for (const d of CAPI_CONTROLLERS) if (!store.get(DEPLOYMENTS, ns, d)) store.create(DEPLOYMENTS, deploymentObject(ns, d, 1));
  const infraRef = aws ? { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSCluster', name, namespace: ns } : undefined;
  put(CAPI_CLUSTERS, {
    kind: 'Cluster',
    metadata: { name: infraID, labels: clusterLabel },
    spec: {
      paused: isPaused(specOf(hc)['pausedUntil'], new Date()),
      controlPlaneEndpoint: { host: `api-${name}.example.com`, port: 443 },
      controlPlaneRef: { apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'HostedControlPlane', name, namespace: ns },
      ...(infraRef ? { infrastructureRef: infraRef } : {}),
    },
    status: { phase: 'Provisioned', infrastructureReady: true, controlPlaneReady: true },
  });
  if (aws) {
    put(AWS_CLUSTERS, {
      kind: 'AWSCluster',
      metadata: { name, labels: clusterLabel, annotations: { 'aws.cluster.x-k8s.io/external-resource-gc': 'true' } },
      spec: { region, controlPlaneEndpoint: { host: `api-${name}.example.com`, port: 443 } },
      status: { ready: true },
    });
  }
  const nodes = nodeNames(pools);
  for (const pool of pools) {
    const msName = `${pool.name}-${hash5(`${ns}/${pool.name}`)}`;
    const templateName = `${pool.name}-${hash5(`${ns}/${pool.name}/template`)}`;
    const poolLabels = { ...clusterLabel, 'cluster.x-k8s.io/deployment-name': pool.name };
    if (aws) {
      put(AWS_MACHINE_TEMPLATES, {
        kind: 'AWSMachineTemplate',
        metadata: { name: templateName, annotations: { 'hypershift.openshift.io/nodePool': `${hc.metadata.namespace}/${pool.name}` } },
        spec: { template: { spec: { instanceType: 'm5.large', ami: { id: 'ami-0abc' } } } },
      });
    }
    const template = {
      spec: {
        clusterName: infraID,
        bootstrap: { dataSecretName: `user-data-${pool.name}` },
        ...(aws
          ? {
              infrastructureRef: {
                apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
                kind: 'AWSMachineTemplate',
                name: templateName,
                namespace: ns,
              },
            }
          : {}),
      },
    };
    put(MACHINE_DEPLOYMENTS, {
      kind: 'MachineDeployment',
      metadata: {
        name: pool.name,
        labels: clusterLabel,
        annotations: { 'hypershift.openshift.io/nodePool': `${hc.metadata.namespace}/${pool.name}` },
      },
      spec: { clusterName: infraID, replicas: pool.replicas, template },
      status: { replicas: pool.replicas, readyReplicas: pool.replicas, phase: 'Running' },
    });
    put(MACHINE_SETS, {
      kind: 'MachineSet',
      metadata: { name: msName, labels: poolLabels },
      spec: { clusterName: infraID, replicas: pool.replicas, template },
      status: { replicas: pool.replicas, readyReplicas: pool.replicas },
    });
    for (const [i, { node: preferred }] of nodes.filter((n) => n.pool === pool.name).entries()) {
      const mName = `${msName}-${hash5(`${ns}/${msName}/${i}`)}`;
      if (store.get(MACHINES, ns, mName) && (!aws || store.get(AWS_MACHINES, ns, mName))) continue;
      // A machine that is not there yet is a new instance: the cloud names its node and providerID.
      const launched =
        aws && link
          ? link.cloud.launch({
              infraID,
              pool: pool.name,
              region,
              nodeName: preferred,
              owner: { cluster: link.cluster, namespace: ns, name: mName },
            })
          : undefined;
      const node = launched?.nodeName ?? preferred;
      const providerID = launched?.providerID ?? `aws:///${region}a/i-0${createHash('sha256').update(node).digest('hex').slice(0, 16)}`;
      put(MACHINES, {
        kind: 'Machine',
        metadata: { name: mName, labels: { ...poolLabels, 'cluster.x-k8s.io/set-name': msName } },
        spec: {
          clusterName: infraID,
          providerID,
          bootstrap: { dataSecretName: `user-data-${pool.name}` },
          ...(aws
            ? {
                infrastructureRef: {
                  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
                  kind: 'AWSMachine',
                  name: mName,
                  namespace: ns,
                },
              }
            : {}),
        },
        status: { phase: 'Running', nodeRef: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
      if (aws) {
        put(AWS_MACHINES, {
          kind: 'AWSMachine',
          metadata: { name: mName, labels: { ...clusterLabel, 'cluster.x-k8s.io/set-name': msName } },
          spec: { providerID, instanceID: providerID.split('/').pop(), instanceType: 'm5.large' },
          status: { ready: true, instanceState: 'running' },
        });
      }
    }
  }
}

/** True while the CAPI controllers of control-plane namespace `ns` would act on its objects. */
export function capiControllersRunning(store: SimStore, ns: string): boolean {
  for (const d of CAPI_CONTROLLERS) {
    const dep = store.get(DEPLOYMENTS, ns, d);
    if (dep && (specOf(dep)['replicas'] as number | undefined) === 0) return false;
  }
  return !store.list(CAPI_CLUSTERS, ns).some((c) => specOf(c)['paused'] === true);
}

const providerOf = (o: SimObject) => specOf(o)['providerID'] as string | undefined;

/** Removes the controllers' finalizers from the deleted CAPI and platform objects of `ns` (a deleted AWSMachine's instance is terminated first). */
function finishDeletions(store: SimStore, ns: string, link?: CloudLink): void {
  for (const [r, f] of CAPI_FINALIZERS) {
    for (const o of store.list(r, ns)) {
      if (!o.metadata.deletionTimestamp || !(o.metadata.finalizers ?? []).includes(f)) continue;
      const pid = providerOf(o);
      if (link && same(r, AWS_MACHINES) && pid) link.cloud.terminate(pid);
      try {
        store.mutate(r, ns, o.metadata.name, (x) => {
          x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((y) => y !== f);
        });
      } catch {
        /* gone meanwhile */
      }
    }
  }
}

/** What running controllers do for an ordinary deletion: unpause, terminate the instances, then let every deleted object go. */
export function releaseCapiObjects(store: SimStore, ns: string, link?: CloudLink): void {
  if (link) {
    for (const m of store.list(AWS_MACHINES, ns)) {
      const pid = providerOf(m);
      const owned = link.cloud.instances().find((i) => i.providerID === pid);
      // Only an instance this cluster owns: one adopted elsewhere is not this deletion's to end.
      if (pid && owned?.owner.cluster === link.cluster && owned.owner.namespace === ns) link.cloud.terminate(pid);
    }
  }
  for (const c of store.list(CAPI_CLUSTERS, ns)) {
    if (specOf(c)['paused'] !== true) continue;
    try {
      store.mutate(CAPI_CLUSTERS, ns, c.metadata.name, (x) => {
        ((x['spec'] ??= {}) as Spec)['paused'] = false;
      });
    } catch {
      /* gone */
    }
  }
  for (const [r, f] of CAPI_FINALIZERS) {
    for (const o of store.list(r, ns)) {
      try {
        store.mutate(r, ns, o.metadata.name, (x) => {
          x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((y) => y !== f);
        });
      } catch {
        /* gone */
      }
    }
  }
}

/**
 * The CAPI/CAPA controller stand-in: mirrors each HostedCluster's pause onto its CAPI Cluster (a
 * deleted HostedCluster unpauses it) and, while running (capiControllersRunning), clears its
 * finalizers from deleted objects. Returns a detach function.
 */
export function attachCapiController(store: SimStore, options: { cloud?: CloudLink } = {}): () => void {
  const link = options.cloud;
  if (link) link.cloud.register(link.cluster, store);
  const mirrorPause = (hc: SimObject) => {
    const ns = controlPlaneNamespace(hc);
    const infraID = (specOf(hc)['infraID'] as string | undefined) ?? hc.metadata.name;
    const cluster = store.get(CAPI_CLUSTERS, ns, infraID);
    if (!cluster || cluster.metadata.deletionTimestamp) return;
    const want = !hc.metadata.deletionTimestamp && isPaused(specOf(hc)['pausedUntil'], new Date());
    if ((specOf(cluster)['paused'] === true) === want) return;
    try {
      store.mutate(CAPI_CLUSTERS, ns, infraID, (x) => {
        ((x['spec'] ??= {}) as Spec)['paused'] = want;
      });
    } catch {
      /* gone */
    }
  };
  const reconcile = (ns: string) => {
    if (capiControllersRunning(store, ns)) finishDeletions(store, ns, link);
  };
  /** A running controller puts its finalizer on an object applied without it (a restore's cleaned manifest). */
  const claim = (r: GroupResource, o: SimObject) => {
    const f = finalizerOf(r);
    const ns = o.metadata.namespace ?? '';
    if (!f || o.metadata.deletionTimestamp || (o.metadata.finalizers ?? []).includes(f) || !capiControllersRunning(store, ns)) return;
    try {
      store.mutate(r, ns, o.metadata.name, (x) => {
        if (!x.metadata.deletionTimestamp && !(x.metadata.finalizers ?? []).includes(f))
          x.metadata.finalizers = [...(x.metadata.finalizers ?? []), f];
      });
    } catch {
      /* gone meanwhile */
    }
  };
  /** An AWSMachine applied with a running instance's providerID (a move's backup) adopts it. */
  const adopt = (o: SimObject) => {
    const pid = providerOf(o);
    if (link && pid && !o.metadata.deletionTimestamp)
      link.cloud.adopt(pid, { cluster: link.cluster, namespace: o.metadata.namespace ?? '', name: o.metadata.name });
  };
  /** The NodePool controller: machines for every unpaused NodePool of a cluster whose CAPI Cluster exists. */
  const provision = (hcNamespace: string, clusterName: string) => {
    const hc = store.get(HOSTED_CLUSTERS, hcNamespace, clusterName);
    if (!hc || hc.metadata.deletionTimestamp) return;
    const ns = controlPlaneNamespace(hc);
    const infraID = (specOf(hc)['infraID'] as string | undefined) ?? hc.metadata.name;
    const cluster = store.get(CAPI_CLUSTERS, ns, infraID);
    const nsObj = store.get(NAMESPACES, undefined, ns);
    if (!cluster || cluster.metadata.deletionTimestamp || !nsObj || nsObj.metadata.deletionTimestamp) return;
    const all = nodePoolsOf(store.list(NODEPOOLS, hcNamespace), hc);
    const live = store
      .list(NODEPOOLS, hcNamespace)
      .filter((np) => !np.metadata.deletionTimestamp && !isPaused(specOf(np)['pausedUntil'], new Date()))
      .map((np) => np.metadata.name);
    const missing = all.filter((p) => live.includes(p.name) && !store.get(MACHINE_DEPLOYMENTS, ns, p.name));
    if (missing.length === 0) return;
    try {
      // Every pool is passed so node names keep their pool's index; what exists is skipped.
      ensureCapiObjects(
        store,
        hc,
        all.filter((p) => live.includes(p.name)),
        link,
      );
    } catch {
      /* changed meanwhile: the resync tries again */
    }
  };
  const unsubscribe = store.subscribe((e) => {
    const ns = e.object.metadata.namespace ?? '';
    if (same(e.resource, HOSTED_CLUSTERS) && e.type !== 'DELETED') mirrorPause(e.object);
    else if (same(e.resource, NODEPOOLS) && e.type !== 'DELETED')
      provision(ns, (specOf(e.object)['clusterName'] as string | undefined) ?? '');
    else if (same(e.resource, AWS_MACHINES) && e.type === 'ADDED') {
      adopt(e.object);
      claim(e.resource, e.object);
      reconcile(ns);
    } else if (CAPI_RESOURCES.some((r) => same(r, e.resource)) && e.type === 'ADDED') {
      claim(e.resource, e.object);
      reconcile(ns);
    } else if (
      CAPI_RESOURCES.some((r) => same(r, e.resource)) ||
      (same(e.resource, DEPLOYMENTS) && CAPI_CONTROLLERS.includes(e.object.metadata.name))
    )
      reconcile(ns);
  });
  // Pauses with a deadline end without an event.
  const resync = setInterval(() => {
    for (const hc of store.list(HOSTED_CLUSTERS)) {
      mirrorPause(hc);
      provision(hc.metadata.namespace ?? '', hc.metadata.name);
      const cp = controlPlaneNamespace(hc);
      if (capiControllersRunning(store, cp)) for (const [r] of CAPI_FINALIZERS) for (const o of store.list(r, cp)) claim(r, o);
    }
  }, 1000);
  for (const hc of store.list(HOSTED_CLUSTERS)) mirrorPause(hc);
  return () => {
    unsubscribe();
    clearInterval(resync);
  };
}
