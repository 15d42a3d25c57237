/**
 * Conditions the operator stand-in reports on a HostedControlPlane and its HostedCluster, computed the
 * way HyperShift computes them (hypershift-domain.md §1.7, §1.10):
 *  - EtcdAvailable: True (QuorumAvailable) when the etcd StatefulSet's readyReplicas >= replicas/2+1,
 *    else False (EtcdWaitingForQuorum). It looks at pod readiness only, so a split brain (three
 *    one-member clusters, OCPBUGS-99534) is reported as available: that is the point.
 *  - EtcdSnapshotRestored, only while a restoreSnapshotURL is set and the condition is still absent
 *    (it is decided once): False with the termination reason when an etcd-init container exited
 *    non-zero; True (AsExpected) when every pod is ready and every etcd-init finished with 0.
 *  - Available: follows EtcdAvailable. ReconciliationActive: False (ReconciliationPaused) while
 *    spec.pausedUntil pauses, else True.
 * lastTransitionTime changes only when a condition's status changes. Once EtcdSnapshotRestored is True,
 * etcd-init leaves the StatefulSet template, as HyperShift does.
 */
import { HOSTED_CLUSTERS, HOSTED_CONTROL_PLANES, isPaused } from './controllers.ts';
import { PODS, STATEFULSETS } from '../etcd/controller.ts';
import { ETCD_INIT } from '../etcd/k8s-objects.ts';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';
import { restoreUrl } from './control-plane.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  state?: { terminated?: { exitCode?: number; reason?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export function conditionsOf(o: SimObject | undefined): Condition[] {
  return (o?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? [];
}

export function findCondition(o: SimObject | undefined, type: string): Condition | undefined {
  return conditionsOf(o).find((c) => c.type === type);
}

/** `current` with `next` merged in, keeping lastTransitionTime where the status did not change. */
export function mergeConditions(current: Condition[], next: Condition[], generation?: number): Condition[] {
  const out = [...current];
  for (const c of next) {
    const i = out.findIndex((o) => o.type === c.type);
    const prev = i >= 0 ? out[i] : undefined;
    const merged: Condition = {
      ...c,
      lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? now()) : now(),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    if (i >= 0) out[i] = merged;
    else out.push(merged);
  }
  return out;
}

function initStatusOf(pod: SimObject): ContainerStatus | undefined {
  return ((pod['status'] as { initContainerStatuses?: ContainerStatus[] } | undefined)?.initContainerStatuses ?? []).find(
    (s) => s.name === ETCD_INIT,
  );
}

/** The conditions of a HostedControlPlane from its etcd StatefulSet and pods. */
export function controlPlaneConditions(
  hcp: SimObject,
  sts: SimObject | undefined,
  pods: SimObject[],
  restoreUrl: string | undefined,
): Condition[] {
  const out: Condition[] = [];
  const replicas = (sts?.['spec'] as { replicas?: number } | undefined)?.replicas ?? 0;
  const ready = (sts?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
  if (sts) {
    const quorum = Math.floor(replicas / 2) + 1;
    out.push(
      ready >= quorum && replicas > 0
        ? { type: 'EtcdAvailable', status: 'True', reason: 'QuorumAvailable', message: '' }
        : {
            type: 'EtcdAvailable',
            status: 'False',
            reason: 'EtcdWaitingForQuorum',
            message: `Waiting for etcd to reach quorum (${ready} of ${replicas} members ready)`,
          },
    );
  }
  if (sts && restoreUrl && !findCondition(hcp, 'EtcdSnapshotRestored')) {
    const failed = pods
      .map((p) => ({ p, t: initStatusOf(p)?.lastState?.terminated ?? initStatusOf(p)?.state?.terminated }))
      .find(({ t }) => t?.exitCode !== undefined && t.exitCode !== 0);
    if (failed) {
      out.push({
        type: 'EtcdSnapshotRestored',
        status: 'False',
        reason: failed.t?.reason ?? 'Error',
        message: `container ${ETCD_INIT} of pod ${failed.p.metadata.name} exited with code ${failed.t?.exitCode}`,
      });
    } else if (replicas > 0 && ready === replicas && pods.length === replicas && pods.every((p) => initStatusOf(p)?.ready === true)) {
      out.push({ type: 'EtcdSnapshotRestored', status: 'True', reason: 'AsExpected', message: '' });
    }
  }
  const etcd = out.find((c) => c.type === 'EtcdAvailable');
  if (etcd) {
    out.push(
      etcd.status === 'True'
        ? { type: 'Available', status: 'True', reason: 'AsExpected', message: '' }
        : { type: 'Available', status: 'False', reason: 'EtcdWaitingForQuorum', message: etcd.message },
    );
  }
  return out;
}

/** ReconciliationActive for a HostedCluster or HostedControlPlane from its spec.pausedUntil. */
export function reconciliationCondition(o: SimObject): Condition {
  const until = (o['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil;
  if (isPaused(until, new Date())) {
    return {
      type: 'ReconciliationActive',
      status: 'False',
      reason: 'ReconciliationPaused',
      message: /^(true|True)$/.test(until ?? '') ? 'Reconciliation paused until field removed' : `Reconciliation paused until: ${until}`,
    };
  }
  return { type: 'ReconciliationActive', status: 'True', reason: 'AsExpected', message: 'Reconciliation active on resource' };
}

export interface ControlPlaneTimeline {
  /** The operator began creating the control plane. */
  created: number;
  /** The first etcd-init run started / the last one ended (absent without a restore). */
  initStarted?: number;
  initFinished?: number;
  /** The etcd StatefulSet first reported every replica ready. */
  etcdReady?: number;
  /** EtcdSnapshotRestored was first set True on the HostedControlPlane. */
  snapshotRestored?: number;
}

/** Writes the conditions of control plane `cp` (HostedCluster `ref`) onto both objects; notes the timeline. */
export function writeControlPlaneStatus(
  store: SimStore,
  cp: string,
  ref: { namespace: string; name: string },
  timeline?: ControlPlaneTimeline,
): void {
  const hcp = store.get(HOSTED_CONTROL_PLANES, cp, ref.name);
  const hc = store.get(HOSTED_CLUSTERS, ref.namespace, ref.name);
  if (!hcp || !hc || hc.metadata.deletionTimestamp) return;
  const sts = store.get(STATEFULSETS, cp, 'etcd');
  const pods = store.list(PODS, cp, 'app=etcd').filter((p) => !p.metadata.deletionTimestamp);
  const write = (r: GroupResource, o: SimObject, conds: Condition[]) => {
    const merged = mergeConditions(conditionsOf(o), conds, o.metadata.generation);
    if (JSON.stringify(merged) === JSON.stringify(conditionsOf(o))) return;
    try {
      store.mutate(r, o.metadata.namespace, o.metadata.name, (x) => {
        x['status'] = { ...(x['status'] ?? {}), conditions: merged };
      });
    } catch {
      /* changed or gone meanwhile: the next pass writes it */
    }
  };
  write(HOSTED_CONTROL_PLANES, hcp, [...controlPlaneConditions(hcp, sts, pods, restoreUrl(hcp)), reconciliationCondition(hcp)]);
  const hcpNow = store.get(HOSTED_CONTROL_PLANES, cp, ref.name);
  const restored = conditionsOf(hcpNow).some((c) => c.type === 'EtcdSnapshotRestored' && c.status === 'True');
  const want = (sts?.['spec'] as { replicas?: number } | undefined)?.replicas;
  if (
    timeline &&
    timeline.etcdReady === undefined &&
    want &&
    (sts?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas === want
  )
    timeline.etcdReady = Date.now();
  if (timeline && timeline.snapshotRestored === undefined && restored) timeline.snapshotRestored = Date.now();
  const mirrored = conditionsOf(hcpNow)
    .filter((c) => ['EtcdAvailable', 'EtcdSnapshotRestored', 'Available'].includes(c.type))
    .map(({ type, status, reason, message }) => ({ type, status, reason, message }));
  write(HOSTED_CLUSTERS, hc, [...mirrored, reconciliationCondition(hc)]);
  type Template = { template: { spec: { initContainers?: { name: string }[] } } };
  if (restored && sts && ((sts['spec'] as Template).template.spec.initContainers ?? []).some((c) => c.name === ETCD_INIT)) {
    try {
      store.mutate(STATEFULSETS, cp, 'etcd', (o) => {
        const t = (o['spec'] as Template).template.spec;
        t.initContainers = (t.initContainers ?? []).filter((c) => c.name !== ETCD_INIT);
      });
    } catch {
      /* gone meanwhile */
    }
  }
}
