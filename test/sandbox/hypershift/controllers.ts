/**
 * Simulated controllers the DR workflows depend on, driving the simulator's store as real
 * controllers drive kube-apiserver:
 *  - deployments: status follows spec.replicas (pods "start" at once);
 *  - a HyperShift operator stand-in: copies HostedCluster spec.pausedUntil to the
 *    HostedControlPlane (after a short delay, as the real copy is asynchronous) and, while the
 *    control plane is not paused, scales the API server deployments back to their desired
 *    replicas, as the control-plane operator does; once the pause is over (a pausedUntil date passed,
 *    or the field was removed) it brings Deployment control-plane-operator back to 1 replica, as the
 *    HyperShift operator reconciles it again.
 */
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';

export const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };
export const HOSTED_CLUSTERS: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
export const HOSTED_CONTROL_PLANES: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedcontrolplanes' };
export const API_SERVERS = ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver'];

const same = (a: GroupResource, b: GroupResource) => a.group === b.group && a.plural === b.plural;

/** HyperShift's pause semantics (support/util/pausereconcile.go). */
export function isPaused(pausedUntil: unknown, now: Date): boolean {
  if (typeof pausedUntil !== 'string') return false;
  if (/^(true|True)$/.test(pausedUntil)) return true;
  if (/^(false|False)$/.test(pausedUntil)) return false;
  const until = Date.parse(pausedUntil);
  return Number.isFinite(until) && now.getTime() < until;
}

export function attachDeploymentController(store: SimStore): () => void {
  const reconcile = (d: SimObject) => {
    const want = (d['spec'] as { replicas?: number } | undefined)?.replicas ?? 1;
    const status = (d['status'] ?? {}) as Record<string, unknown>;
    if (status['replicas'] === want && status['readyReplicas'] === want && status['observedGeneration'] === d.metadata.generation) return;
    store.mutate(DEPLOYMENTS, d.metadata.namespace, d.metadata.name, (o) => {
      o['status'] = {
        ...(o['status'] as object),
        observedGeneration: o.metadata.generation,
        replicas: want,
        readyReplicas: want,
        availableReplicas: want,
        updatedReplicas: want,
      };
    });
  };
  for (const d of store.list(DEPLOYMENTS)) reconcile(d);
  return store.subscribe((e) => {
    if (same(e.resource, DEPLOYMENTS) && e.type !== 'DELETED') reconcile(e.object);
  });
}

export interface OperatorOptions {
  /** Delay before the pause reaches the HostedControlPlane. */
  propagationDelayMs?: number;
  /** How often the stand-in re-checks (pause deadlines expire without an event). */
  resyncMs?: number;
  now?: () => Date;
}

export function attachHyperShiftOperator(store: SimStore, options: OperatorOptions = {}): () => void {
  const delay = options.propagationDelayMs ?? 150;
  const now = options.now ?? (() => new Date());
  const timers = new Set<NodeJS.Timeout>();

  const desiredReplicas = (hc: SimObject) =>
    (hc['spec'] as { controllerAvailabilityPolicy?: string })?.controllerAvailabilityPolicy === 'SingleReplica' ? 1 : 3;
  const cpNamespace = (hc: SimObject) => `${hc.metadata.namespace}-${hc.metadata.name.replaceAll('.', '-')}`;

  const copyPause = (hc: SimObject) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      const current = store.get(HOSTED_CLUSTERS, hc.metadata.namespace, hc.metadata.name);
      const hcp = current && store.get(HOSTED_CONTROL_PLANES, cpNamespace(current), current.metadata.name);
      if (!current || !hcp) return;
      const value = (current['spec'] as { pausedUntil?: string }).pausedUntil;
      if ((hcp['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil === value) return;
      store.mutate(HOSTED_CONTROL_PLANES, hcp.metadata.namespace, hcp.metadata.name, (o) => {
        const spec = (o['spec'] ?? {}) as Record<string, unknown>;
        if (value === undefined) delete spec['pausedUntil'];
        else spec['pausedUntil'] = value;
        o['spec'] = spec;
      });
    }, delay);
    timers.add(timer);
  };

  /** The control-plane operator: only while its HostedControlPlane is not paused. */
  const restoreApiServers = () => {
    // Runs every resyncMs over every hosted cluster: reads without copies, then changes what differs.
    const changes: { ns: string; name: string; want: number }[] = [];
    store.peekAll(HOSTED_CLUSTERS, (hc) => {
      const ns = cpNamespace(hc);
      const pausedUntil = store.peek(HOSTED_CONTROL_PLANES, ns, hc.metadata.name, (hcp) => ({
        value: (hcp['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil,
      }));
      if (!pausedUntil || isPaused(pausedUntil.value, now())) return;
      // The HyperShift operator reconciles the control-plane operator's Deployment again once the pause
      // is over (a pausedUntil date passed, or the field was removed): it runs 1 replica.
      if (!isPaused((hc['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil, now())) {
        const cpo = store.peek(DEPLOYMENTS, ns, 'control-plane-operator', (d) => (d['spec'] as { replicas?: number }).replicas);
        if (cpo === 0) changes.push({ ns, name: 'control-plane-operator', want: 1 });
      }
      const want = desiredReplicas(hc);
      for (const name of API_SERVERS) {
        const replicas = store.peek(DEPLOYMENTS, ns, name, (d) => (d['spec'] as { replicas?: number }).replicas);
        if (replicas !== undefined && replicas !== want) changes.push({ ns, name, want });
      }
    });
    for (const { ns, name, want } of changes) {
      store.mutate(DEPLOYMENTS, ns, name, (o) => {
        (o['spec'] as Record<string, unknown>)['replicas'] = want;
      });
    }
  };

  const unsubscribe = store.subscribe((e) => {
    if (same(e.resource, HOSTED_CLUSTERS) && e.type !== 'DELETED') copyPause(e.object);
    if (same(e.resource, DEPLOYMENTS) || same(e.resource, HOSTED_CONTROL_PLANES)) queueMicrotask(restoreApiServers);
  });
  const resync = setInterval(restoreApiServers, options.resyncMs ?? 200);
  return () => {
    unsubscribe();
    clearInterval(resync);
    for (const t of timers) clearTimeout(t);
  };
}
