/**
 * A HyperShift operator stand-in for one management cluster (one API simulator); test support, never
 * shipped. It drives the simulator's store as the HyperShift and control-plane operators drive a real
 * API server:
 *
 *  - HostedCluster created paused (spec.pausedUntil) → only ReconciliationActive False, nothing else
 *    until the pause ends, as HyperShift returns early for a paused HostedCluster.
 *  - HostedCluster created → finalizer `hypershift.openshift.io/finalizer`; control-plane namespace
 *    `<ns>-<name>`; the AES-CBC key copied in; PKI secrets generated only when absent (pki.ts:
 *    pre-created ones are kept); the HostedControlPlane (spec copied, restoreSnapshotURL and
 *    pausedUntil included; `restored-from-backup` mirrored); API server Deployments, Services and
 *    Routes (control-plane.ts); for managed etcd the StatefulSet `etcd` with PVCs `data-etcd-N` and
 *    REAL etcd members (an EtcdCluster under <dir>/<cp namespace>, run by etcd-controller.ts).
 *  - restoreSnapshotURL set → the StatefulSet carries the `etcd-init` init container with
 *    RESTORE_URL_ETCD; each pod runs it for real (etcd-init.ts: curl from the S3 server, which
 *    verifies the pre-signed signature and expiry, then `etcdctl snapshot restore`); its log is served
 *    by `GET pods/etcd-N/log?container=etcd-init`. By default it restores as RELEASED HyperShift
 *    does (OCPBUGS-99534: no --name/--initial-cluster, a split brain on HA); `splitBrainRestore:
 *    false`, setSplitBrainRestore(false) or HCP_DR_SANDBOX_ETCD_INIT=fixed give the fixed flavour. Once EtcdSnapshotRestored is True, etcd-init leaves the template.
 *  - `GET pods/etcd-N/log?container=etcd` serves member N's own etcd log (paths and ports as the pod sees them).
 *  - Conditions (status.ts) on the HostedControlPlane and the HostedCluster: EtcdAvailable,
 *    EtcdSnapshotRestored, Available, ReconciliationActive.
 *  - pausedUntil copied to the HostedControlPlane and API servers scaled back while not paused
 *    (controllers.ts attachHyperShiftOperator, which this includes).
 *  - HostedCluster deleted → its NodePools and HostedControlPlane go, then the control-plane namespace
 *    (pods, then PVCs and their data), the etcd members stop and their volumes are removed, and the
 *    finalizer is released. With `hypershift.openshift.io/skip-delete-hosted-controlplane-namespace:
 *    "true"` the namespace, PVCs and volumes stay; a HostedCluster created again later finds them.
 *  - `adopt`: a control plane that exists already (the sandbox's seeded demo, with its own etcd and
 *    controller) is routed for exec and torn down on deletion, but its objects and conditions are
 *    left as seeded. One found at start and not adopted is left alone entirely. A HostedCluster
 *    created later always gets its control plane; objects someone pre-created (a HostedControlPlane,
 *    PKI secrets, a PVC) are kept as they are.
 *
 *  - Optional parts for a move between management clusters (each off unless its option is given):
 *    `externalDns` installs external-dns (Deployment `external-dns` in `hypershift`, its args saying
 *    provider, domain filter and TXT owner) and runs its stand-in over the sandbox's DNS server
 *    (external-dns.ts); `guests` gives every hosted cluster its own API with nodes and OVN pods, its
 *    admin kubeconfig Secret named by status.kubeconfig (guest-cluster.ts); `capi` creates the CAPI
 *    and platform objects with their finalizers and runs their controller stand-in (capi.ts); `cloud`
 *    backs the AWSMachines with instances of the world's stand-in cloud and gives each hosted cluster
 *    volumes, load balancers and registry storage there (cloud.ts).
 *  - `hypershift.openshift.io/cleanup-cloud-resources: "true"` on a deleted HostedCluster: the guest's
 *    cloud resources are deleted before its control plane goes; without it they are kept (§5).
 *  - Private/PublicAndPrivate AWS clusters get AWSEndpointService `private-router` with the
 *    control-plane operator's finalizer, released on an ordinary deletion (endpoint-service.ts).
 *
 * API (stable; see startHyperShiftOperator): `execHandler` for sim.setExecHandler, `etcd(cpNs)`,
 * `setSplitBrainRestore(on)`, `timeline(cpNs)`, `settled()`, `stop()`, `externalDns`.
 */
import path from 'node:path';
import { API_SERVERS, attachHyperShiftOperator, DEPLOYMENTS, HOSTED_CLUSTERS, HOSTED_CONTROL_PLANES, isPaused } from './controllers.ts';
import { attachEtcdController, etcdExecHandler, PODS, PVCS, STATEFULSETS } from '../etcd/controller.ts';
import { startEtcdCluster, type EtcdCluster } from '../etcd/cluster.ts';
import { imageTrustStore } from './image-trust.ts';
import { statefulSetObject, ETCD_INIT } from '../etcd/k8s-objects.ts';
import type { EtcdVersion } from '../etcd/versions.ts';
import type { PodLogs } from '../api/logs.ts';
import type { ExecHandler, GroupResource, SimObject, SimStore } from '../api/types.ts';
import {
  controlPlaneNamespace,
  CP_DEPLOYMENTS,
  deploymentObject,
  FINALIZER,
  hostedControlPlaneObject,
  installOperator,
  isManagedEtcd,
  NAMESPACES,
  NODEPOOLS,
  namespaceObject,
  replicasFor,
  restoreUrl,
  routeObjects,
  ROUTES,
  serviceObjects,
  SERVICES,
  SKIP_DELETE_CP_NAMESPACE,
} from './control-plane.ts';
import { attachCapiController, ensureCapiObjects, releaseCapiObjects, type CloudLink } from './capi.ts';
import { attachEndpointServiceController, ensureEndpointServices, releaseEndpointServices } from './endpoint-service.ts';
import { initialCluster, memberLogs, runEtcdInit } from './etcd-init.ts';
import { startExternalDns, type ExternalDns, type ExternalDnsOptions } from './external-dns.ts';
import { adminKubeconfigSecret, guestKey, nodePoolsOf, publishKubeconfig, type GuestClusters } from './guest-cluster.ts';
import { ensureEncryptionKey, ensurePki, SECRETS } from './pki.ts';
import { conditionsOf, mergeConditions, reconciliationCondition, writeControlPlaneStatus, type ControlPlaneTimeline } from './status.ts';

export type { ControlPlaneTimeline } from './status.ts';
export { installOperator } from './control-plane.ts';

export interface HyperShiftOperatorOptions {
  /** Root of the etcd volumes of the control planes it creates: <dir>/<cp namespace>/etcd-N. */
  dir: string;
  /**
   * OCPBUGS-99534: etcd-init restores without --name/--initial-cluster, as released HyperShift
   * does (default: true, unless HCP_DR_SANDBOX_ETCD_INIT=fixed; see etcdInitSplitBrainDefault).
   */
  splitBrainRestore?: boolean;
  /** Creates namespace `hypershift` with Deployment `operator` (app=operator), as an install leaves them (default true). */
  install?: boolean;
  /** Existing control planes to route and tear down, e.g. the sandbox's seeded demo. */
  adopt?: AdoptedControlPlane[];
  /** etcd --quota-backend-bytes of created members (default 8 GiB, HyperShift's). */
  quotaBytes?: number;
  /** etcd release of created members and their image (etcd/versions.ts; default HCP_DR_ETCD_VERSION, else newest). */
  etcdVersion?: EtcdVersion;
  /** Health poll of the etcd controllers (default 300 ms). */
  pollMs?: number;
  /** Back-off before a failed etcd-init runs again (default 10 s). */
  initBackoffMs?: number;
  /** Delay before pausedUntil reaches the HostedControlPlane (default 150 ms). */
  propagationDelayMs?: number;
  /**
   * CA files the etcd image trusts beyond the machine's system bundle (image-trust.ts), e.g. the
   * sandbox's https S3 front: without it etcd-init's curl refuses that endpoint, as on a real cluster.
   */
  etcdImageTrustedCas?: string[];
  /** External DNS configured on this management cluster (external-dns.ts); absent: none. */
  externalDns?: ExternalDnsOptions;
  /** Hosted clusters' own APIs, shared by every management cluster (guest-cluster.ts). */
  guests?: GuestClusters;
  /** CAPI and platform objects with finalizers, and their controller stand-in (capi.ts). */
  capi?: boolean;
  /** The world's stand-in cloud (cloud.ts): instances behind AWSMachines, the guests' volumes and load balancers. */
  cloud?: CloudLink;
}

/** On a HostedCluster: its deletion removes the guest's cloud resources first (hypershift-domain.md §5). */
export const CLEANUP_CLOUD_RESOURCES = 'hypershift.openshift.io/cleanup-cloud-resources';

export interface AdoptedControlPlane {
  /** HostedCluster namespace and name. */
  namespace: string;
  name: string;
  etcd: EtcdCluster;
  /** Detaches the etcd controller already running for it. */
  detach: () => void;
}

export interface HyperShiftOperator {
  /** Routes pods/exec into etcd pods of every control plane it runs: pass to sim.setExecHandler. */
  readonly execHandler: ExecHandler;
  /** The real etcd of a control-plane namespace, while it exists. */
  etcd(controlPlaneNamespace: string): EtcdCluster | undefined;
  /** Flips the OCPBUGS-99534 switch for etcd-init runs from now on. */
  setSplitBrainRestore(on: boolean): void;
  /** Puts a CA into this management cluster's etcd image trust store (every etcd pod's curl, from now on). */
  trustInEtcdImage(caFile: string): void;
  /** The etcd image's trust store (a PEM bundle: the system's CAs plus those added). */
  readonly etcdImageCaBundle: string;
  /**
   * When things happened to a control plane it created (epoch ms), for benchmarks: the stand-in's own
   * bare restore time is etcdReady - initStarted (download + etcdctl restore + member start).
   */
  timeline(controlPlaneNamespace: string): ControlPlaneTimeline | undefined;
  /** Resolves once no creation or teardown is in flight. */
  settled(): Promise<void>;
  /** The external-DNS stand-in, when this management cluster has external DNS. */
  readonly externalDns?: ExternalDns;
  stop(): Promise<void>;
}

interface Plane {
  timeline?: ControlPlaneTimeline;
  cpNamespace: string;
  hc: { namespace: string; name: string };
  adopted: boolean;
  etcd?: EtcdCluster;
  detach?: () => void;
  /** Stops serving the etcd members' log files as `kubectl logs etcd-N -c etcd`. */
  unlog?: () => void;
  /** Its PKI is kept by the stand-in (pki.ts): a CA Secret deleted or replaced is reconciled. */
  pki?: boolean;
}

const safe = (fn: () => void) => {
  try {
    fn();
  } catch {
    /* changed or gone meanwhile: the next pass fixes it */
  }
};
const same = (a: GroupResource, b: GroupResource) => a.group === b.group && a.plural === b.plural;

/** The etcd-init flavour: "released" (the default, OCPBUGS-99534's split brain) or "fixed". */
export type EtcdInitFlavour = 'released' | 'fixed';

/** HCP_DR_SANDBOX_ETCD_INIT (released|fixed) chooses the default flavour, so a CI run can use the fixed one. */
export function etcdInitFlavourFromEnv(env: NodeJS.ProcessEnv = process.env): EtcdInitFlavour {
  const v = env['HCP_DR_SANDBOX_ETCD_INIT']?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'released') return 'released';
  if (v === 'fixed') return 'fixed';
  throw new Error(`HCP_DR_SANDBOX_ETCD_INIT="${v}": expected "released" or "fixed"`);
}

export function etcdInitSplitBrainDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  return etcdInitFlavourFromEnv(env) === 'released';
}

export function startHyperShiftOperator(sim: { store: SimStore; logs: PodLogs }, options: HyperShiftOperatorOptions): HyperShiftOperator {
  const { store, logs } = sim;
  const planes = new Map<string, Plane>();
  /** Ports of volumes kept by skip-delete, so members restart on them with the peer URLs they recorded. */
  const keptPorts = new Map<string, number[]>();
  const inFlight = new Map<string, Promise<void>>();
  const creating = new Set<string>();
  const deleting = new Set<string>();
  /** HostedClusters (by uid) whose control plane existed, unadopted, when the stand-in started. */
  const preexisting = new Set<string>();
  let splitBrain = options.splitBrainRestore ?? etcdInitSplitBrainDefault();
  let stopped = false;

  const trust = imageTrustStore(options.dir, options.etcdImageTrustedCas ?? []);
  if (options.install !== false) installOperator(store);
  const externalDns = options.externalDns ? startExternalDns(store, options.externalDns) : undefined;
  const detachCapi = options.capi ? attachCapiController(store, options.cloud ? { cloud: options.cloud } : {}) : undefined;
  const detachEndpoints = attachEndpointServiceController(store);
  for (const a of options.adopt ?? []) {
    const cp = `${a.namespace}-${a.name.replaceAll('.', '-')}`;
    planes.set(cp, {
      cpNamespace: cp,
      hc: { namespace: a.namespace, name: a.name },
      adopted: true,
      etcd: Object.assign(a.etcd, { imageCaBundle: trust.file }),
      detach: a.detach,
      unlog: memberLogs(logs, cp, a.etcd),
    });
  }

  /** One task per HostedCluster at a time; later requests wait for the running one. */
  const task = (key: string, fn: () => Promise<void>) => {
    const prev = inFlight.get(key) ?? Promise.resolve();
    const next = prev
      .then(() => (stopped ? undefined : fn()))
      .catch((err: unknown) => {
        if (!stopped) console.error(`hypershift operator stand-in: ${key}: ${(err as Error).message}`);
      });
    inFlight.set(key, next);
    void next.finally(() => {
      if (inFlight.get(key) === next) inFlight.delete(key);
    });
  };

  const create = async (requested: SimObject) => {
    const cp = controlPlaneNamespace(requested);
    const hc = store.get(HOSTED_CLUSTERS, requested.metadata.namespace, requested.metadata.name);
    if (planes.has(cp) || !hc || hc.metadata.deletionTimestamp || hc.metadata.uid !== requested.metadata.uid) return;
    const plane: Plane = {
      cpNamespace: cp,
      hc: { namespace: hc.metadata.namespace ?? '', name: hc.metadata.name },
      adopted: false,
      timeline: { created: Date.now() },
    };
    planes.set(cp, plane);
    if (!(hc.metadata.finalizers ?? []).includes(FINALIZER)) {
      store.mutate(HOSTED_CLUSTERS, hc.metadata.namespace, hc.metadata.name, (o) => {
        o.metadata.finalizers = [...(o.metadata.finalizers ?? []), FINALIZER];
      });
    }
    if (!store.get(NAMESPACES, undefined, cp)) store.create(NAMESPACES, namespaceObject(hc));
    ensureEncryptionKey(store, hc, cp);
    const managed = isManagedEtcd(hc);
    const replicas = replicasFor(hc);
    if (managed) {
      const kept = keptPorts.get(cp);
      plane.etcd = await startEtcdCluster({
        dir: path.join(options.dir, cp),
        members: replicas,
        bootstrap: false,
        ...(options.quotaBytes ? { quotaBytes: options.quotaBytes } : {}),
        ...(options.etcdVersion ? { etcdVersion: options.etcdVersion } : {}),
        ...(kept ? { ports: kept } : {}),
      });
      plane.etcd.imageCaBundle = trust.file;
      keptPorts.delete(cp);
      plane.unlog = memberLogs(logs, cp, plane.etcd);
    }
    await ensurePki(store, cp, plane.etcd?.tls);
    plane.pki = true;
    if (!store.get(HOSTED_CONTROL_PLANES, cp, hc.metadata.name)) store.create(HOSTED_CONTROL_PLANES, hostedControlPlaneObject(hc));
    for (const d of CP_DEPLOYMENTS) {
      if (!store.get(DEPLOYMENTS, cp, d)) store.create(DEPLOYMENTS, deploymentObject(cp, d, API_SERVERS.includes(d) ? replicas : 1));
    }
    for (const s of serviceObjects(cp, managed)) if (!store.get(SERVICES, cp, s.metadata.name)) store.create(SERVICES, s);
    for (const r of routeObjects(hc)) if (!store.get(ROUTES, cp, r.metadata.name)) store.create(ROUTES, r);
    await dataPlane(hc);
    if (plane.etcd && !stopped) {
      const url = restoreUrl(hc);
      if (!store.get(STATEFULSETS, cp, 'etcd')) {
        store.create(
          STATEFULSETS,
          statefulSetObject(cp, replicas, undefined, url ? { restoreUrl: url, initialCluster: initialCluster(cp, replicas) } : {}),
        );
      }
      const etcd = plane.etcd;
      plane.detach = attachEtcdController(store, etcd, cp, {
        pollMs: options.pollMs ?? 300,
        initBackoffMs: options.initBackoffMs ?? 10_000,
        runInit: async (i, pod) => {
          const env =
            ((pod['spec'] as { initContainers?: { name: string; env?: { name: string; value: string }[] }[] }).initContainers ?? []).find(
              (c) => c.name === ETCD_INIT,
            )?.env ?? [];
          const podUrl = env.find((e) => e.name === 'RESTORE_URL_ETCD')?.value ?? '';
          const t = plane.timeline!;
          t.initStarted ??= Date.now();
          const r = await runEtcdInit(etcd, i, cp, podUrl, {
            splitBrain,
          });
          // The run's log replaces the last one when it ends, so a reader never sees an empty log
          // between a failed run and its retry; the one before stays readable with ?previous=true.
          logs.restart(cp, pod.metadata.name, ETCD_INIT);
          logs.append(cp, pod.metadata.name, ETCD_INIT, r.log);
          if (r.code === 0) t.initFinished = Math.max(t.initFinished ?? 0, Date.now());
          return r.code;
        },
      });
    }
    updateStatus(plane);
  };

  /** The optional parts: CAPI and platform objects, the guest cluster and its kubeconfig Secrets. */
  const dataPlane = async (hc: SimObject) => {
    const pools = nodePoolsOf(store.list(NODEPOOLS, hc.metadata.namespace), hc);
    if (options.capi && !stopped) ensureCapiObjects(store, hc, pools, options.cloud);
    if (!stopped) safe(() => ensureEndpointServices(store, hc));
    options.cloud?.cloud.ensureGuestResources(guestKey(hc));
    if (!options.guests) return;
    const cp = controlPlaneNamespace(hc);
    // An adopted control plane (the seeded demo) gets the PKI its nodes join with (only what is absent).
    const adopted = planes.get(cp);
    if (adopted?.adopted && !adopted.pki) {
      await ensurePki(store, cp);
      adopted.pki = true;
    }
    const guest = await options.guests.ensure(hc, pools);
    if (stopped) return;
    await guest.attachControlPlane({
      store,
      namespace: cp,
      managedEtcd: isManagedEtcd(hc),
      ...(options.externalDns ? { ingressAddress: options.externalDns.ingressAddress } : {}),
    });
    const kubeconfig = await guest.kubeconfigFor({ store, namespace: cp });
    if (!stopped) safe(() => publishKubeconfig(store, hc, kubeconfig));
  };

  /**
   * The control-plane operator's PKI loop: a CA Secret deleted or replaced on a running control
   * plane gets a new CA, its leaves and trust bundles follow (pki.ts), and the admin kubeconfig is
   * published again from the system-admin-signer present.
   */
  const pkiQueued = new Set<string>();
  const reconcilePki = (cp: string) => {
    const plane = planes.get(cp);
    if (!plane?.pki || pkiQueued.has(cp)) return;
    pkiQueued.add(cp);
    const key = `${plane.hc.namespace}/${plane.hc.name}`;
    task(key, async () => {
      pkiQueued.delete(cp);
      const ns = store.get(NAMESPACES, undefined, cp);
      const hc = store.get(HOSTED_CLUSTERS, plane.hc.namespace, plane.hc.name);
      // Nothing is reconciled into a control plane on its way out (its namespace or HostedCluster deleted).
      if (!planes.has(cp) || deleting.has(key) || !ns || ns.metadata.deletionTimestamp || !hc || hc.metadata.deletionTimestamp) return;
      if (isPaused((hc['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil, new Date())) return;
      const changed = await ensurePki(store, cp, plane.etcd?.tls);
      if (changed.length) await dataPlane(hc);
    });
  };

  const teardown = async (hc: SimObject) => {
    const cp = controlPlaneNamespace(hc);
    const plane = planes.get(cp);
    const ns = hc.metadata.namespace ?? '';
    // cleanup-cloud-resources: the guest's volumes, load balancers and registry storage go before the control plane.
    if (hc.metadata.annotations?.[CLEANUP_CLOUD_RESOURCES] === 'true') options.cloud?.cloud.deleteGuestResources(guestKey(hc));
    if (options.capi) releaseCapiObjects(store, cp, options.cloud);
    releaseEndpointServices(store, cp);
    if (options.guests) safe(() => store.delete(adminKubeconfigSecret.resource, ns, adminKubeconfigSecret.name(hc)));
    for (const np of store.list(NODEPOOLS, ns)) {
      if ((np['spec'] as { clusterName?: string } | undefined)?.clusterName !== hc.metadata.name) continue;
      safe(() =>
        store.mutate(NODEPOOLS, ns, np.metadata.name, (o) => {
          o.metadata.finalizers = [];
        }),
      );
      safe(() => store.delete(NODEPOOLS, ns, np.metadata.name));
    }
    if (store.get(HOSTED_CONTROL_PLANES, cp, hc.metadata.name)) {
      safe(() =>
        store.mutate(HOSTED_CONTROL_PLANES, cp, hc.metadata.name, (o) => {
          o.metadata.finalizers = [];
        }),
      );
      safe(() => store.delete(HOSTED_CONTROL_PLANES, cp, hc.metadata.name));
    }
    const keep = hc.metadata.annotations?.[SKIP_DELETE_CP_NAMESPACE] === 'true';
    if (!keep && store.get(NAMESPACES, undefined, cp)) {
      safe(() => store.delete(NAMESPACES, undefined, cp));
      // Pods go at once; PVCs follow once their pods are gone (the etcd controller empties each volume).
      const deadline = Date.now() + 30_000;
      while (store.get(NAMESPACES, undefined, cp) && Date.now() < deadline && !stopped) await new Promise((r) => setTimeout(r, 50));
    }
    if (keep && plane?.etcd) {
      // The control plane's workloads go; the namespace, the PVCs (retention Retain) and their data stay.
      safe(() => store.delete(STATEFULSETS, cp, 'etcd'));
      for (const pod of store.list(PODS, cp, 'app=etcd')) safe(() => store.delete(PODS, cp, pod.metadata.name));
      for (const d of CP_DEPLOYMENTS) if (store.get(DEPLOYMENTS, cp, d)) safe(() => store.delete(DEPLOYMENTS, cp, d));
    }
    if (plane) {
      plane.detach?.();
      plane.unlog?.();
      if (keep && plane.etcd) {
        await Promise.all(Array.from({ length: plane.etcd.size }, (_, i) => plane.etcd!.kill(i)));
        keptPorts.set(cp, plane.etcd.ports());
        await plane.etcd.stop({ keepDir: true });
      } else await plane.etcd?.stop();
      planes.delete(cp);
    }
    // A member still starting (an etcd-init retry in back-off, a slow restore on a busy machine)
    // keeps its pod and volume past the wait above. Its members are stopped now, so nothing holds
    // them any more: release them as the kubelet and pvc-protection would, and the namespace goes.
    if (!keep && !stopped && store.get(NAMESPACES, undefined, cp)) {
      for (const resource of [PODS, PVCS]) {
        for (const o of store.list(resource, cp)) {
          safe(() =>
            store.mutate(resource, cp, o.metadata.name, (x) => {
              x.metadata.finalizers = [];
            }),
          );
          safe(() => store.delete(resource, cp, o.metadata.name));
        }
      }
    }
    if (!stopped && store.get(HOSTED_CLUSTERS, ns, hc.metadata.name)) {
      safe(() =>
        store.mutate(HOSTED_CLUSTERS, ns, hc.metadata.name, (o) => {
          o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
        }),
      );
    }
  };

  /** Conditions of a created control plane on its HostedControlPlane and HostedCluster. */
  const updateStatus = (plane: Plane) => {
    if (plane.adopted || stopped) return;
    writeControlPlaneStatus(store, plane.cpNamespace, plane.hc, plane.timeline);
  };

  const onHostedCluster = (hc: SimObject) => {
    const key = `${hc.metadata.namespace}/${hc.metadata.name}`;
    const cp = controlPlaneNamespace(hc);
    if (hc.metadata.deletionTimestamp) {
      if ((hc.metadata.finalizers ?? []).includes(FINALIZER) && !deleting.has(key)) {
        deleting.add(key);
        task(key, () => teardown(hc).finally(() => deleting.delete(key)));
      }
      return;
    }
    const plane = planes.get(cp);
    if (plane) updateStatus(plane);
    else if (!creating.has(key)) {
      // A control plane that was there before us and is not adopted (a seeded one) is left alone.
      if (preexisting.has(hc.metadata.uid ?? '')) return;
      // HyperShift returns before creating anything while a HostedCluster is paused: it only says so.
      if (isPaused((hc['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil, new Date())) {
        const paused = mergeConditions(conditionsOf(hc), [reconciliationCondition(hc)], hc.metadata.generation);
        if (JSON.stringify(paused) !== JSON.stringify(conditionsOf(hc))) {
          safe(() =>
            store.mutate(HOSTED_CLUSTERS, hc.metadata.namespace, hc.metadata.name, (o) => {
              if (!(o.metadata.finalizers ?? []).includes(FINALIZER)) o.metadata.finalizers = [...(o.metadata.finalizers ?? []), FINALIZER];
              o['status'] = { ...(o['status'] ?? {}), conditions: paused };
            }),
          );
        }
        return;
      }
      creating.add(key);
      task(key, () => create(hc).finally(() => creating.delete(key)));
    }
  };

  /**
   * A HostedCluster gone without the finalizer's teardown (a move removes the finalizers of a frozen
   * source): its control plane's controllers go with the control-plane namespace, as the
   * control-plane operator's pods do; a HostedCluster of that name created later gets a new one.
   */
  const onHostedClusterGone = (hc: SimObject) => {
    const cp = controlPlaneNamespace(hc);
    const key = `${hc.metadata.namespace}/${hc.metadata.name}`;
    if (!planes.has(cp) || deleting.has(key)) return;
    task(key, async () => {
      while (store.get(NAMESPACES, undefined, cp) && !stopped) await new Promise((r) => setTimeout(r, 50));
      const plane = planes.get(cp);
      if (!plane || stopped || store.get(HOSTED_CLUSTERS, hc.metadata.namespace, hc.metadata.name)?.metadata.uid !== undefined) return;
      planes.delete(cp);
      plane.detach?.();
      plane.unlog?.();
      if (!plane.adopted) await plane.etcd?.stop();
    });
  };

  let statusQueued = false;
  const queueStatus = () => {
    if (statusQueued) return;
    statusQueued = true;
    setImmediate(() => {
      statusQueued = false;
      for (const p of planes.values()) updateStatus(p);
    });
  };

  const unsubscribe = store.subscribe((e) => {
    if (stopped) return;
    if (same(e.resource, HOSTED_CLUSTERS) && e.type !== 'DELETED') onHostedCluster(e.object);
    else if (same(e.resource, HOSTED_CLUSTERS)) onHostedClusterGone(e.object);
    else if ((same(e.resource, STATEFULSETS) || same(e.resource, PODS)) && planes.has(e.object.metadata.namespace ?? '')) queueStatus();
    else if (same(e.resource, SECRETS) && planes.has(e.object.metadata.namespace ?? '')) reconcilePki(e.object.metadata.namespace ?? '');
  });
  const resync = setInterval(() => {
    for (const p of planes.values()) updateStatus(p);
    // A pause with a date ends without an event.
    for (const hc of store.list(HOSTED_CLUSTERS)) if (!planes.has(controlPlaneNamespace(hc))) onHostedCluster(hc);
  }, 1000);
  const detachPause = attachHyperShiftOperator(
    store,
    options.propagationDelayMs !== undefined ? { propagationDelayMs: options.propagationDelayMs } : {},
  );
  for (const hc of store.list(HOSTED_CLUSTERS)) {
    if (store.get(HOSTED_CONTROL_PLANES, controlPlaneNamespace(hc), hc.metadata.name) && !planes.has(controlPlaneNamespace(hc)))
      preexisting.add(hc.metadata.uid ?? '');
    onHostedCluster(hc);
    // An adopted control plane (the seeded demo) gets the optional parts too.
    if (planes.get(controlPlaneNamespace(hc))?.adopted && !hc.metadata.deletionTimestamp)
      task(`${hc.metadata.namespace}/${hc.metadata.name}`, () => dataPlane(hc));
  }

  const execHandler: ExecHandler = (call) => {
    const etcd = planes.get(call.namespace)?.etcd;
    if (!etcd) return Promise.reject(new Error(`no exec target for ${call.namespace}/${call.pod}/${call.container}`));
    return etcdExecHandler(etcd, call.namespace)(call);
  };

  return {
    execHandler,
    etcd: (cp) => planes.get(cp)?.etcd,
    setSplitBrainRestore(on) {
      splitBrain = on;
    },
    trustInEtcdImage: (caFile) => trust.add(caFile),
    etcdImageCaBundle: trust.file,
    timeline: (cp) => {
      const t = planes.get(cp)?.timeline;
      return t ? { ...t } : undefined;
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight.values()]);
    },
    ...(externalDns ? { externalDns } : {}),
    async stop() {
      stopped = true;
      externalDns?.stop();
      detachCapi?.();
      detachEndpoints();
      unsubscribe();
      clearInterval(resync);
      detachPause();
      await Promise.all([...inFlight.values()]);
      for (const p of planes.values()) {
        if (p.adopted) continue; // its owner stops it
        p.detach?.();
        p.unlog?.();
        await p.etcd?.stop();
      }
      planes.clear();
    },
  };
}
