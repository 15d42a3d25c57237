/**
 * Pods for Deployments that mount an etcd member's PVC (the docs' `etcd-data` access Deployment,
 * hypershift-domain.md §2.3-2.4): the simulator's Deployment controller only writes status, so this
 * creates and removes their pods, as the Deployment and ReplicaSet controllers together would
 * (one pod per replica, named <deployment>-<hash>-<suffix>, owned by the Deployment; deleted with it
 * or when scaled down; a deleted pod is replaced). The helper-pod kubelet then runs them. Other
 * Deployments (the API servers) are left alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';
import { helperVolume } from './volumes.ts';

const PODS: GroupResource = { group: '', version: 'v1', plural: 'pods' };
const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };

interface Template {
  metadata?: { labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

const templateOf = (d: SimObject): Template => (d['spec'] as { template?: Template } | undefined)?.template ?? {};
const ownedBy = (p: SimObject, uid: string | undefined) =>
  (p.metadata.ownerReferences as { uid?: string }[] | undefined)?.some((o) => o.uid === uid) ?? false;

/** Keeps the pods of volume-mounting Deployments in `namespace`; returns its stop function. */
export function attachDeploymentPods(store: SimStore, namespace: string, size: number): () => void {
  let queued = false;
  let stopped = false;

  const mountsMemberVolume = (d: SimObject) =>
    helperVolume({ apiVersion: 'v1', kind: 'Pod', metadata: { name: d.metadata.name }, spec: templateOf(d).spec }, size) !== undefined;

  const reconcile = () => {
    queued = false;
    if (stopped) return;
    const deployments = store.list(DEPLOYMENTS, namespace).filter(mountsMemberVolume);
    const pods = store.list(PODS, namespace);
    for (const d of deployments) {
      const t = templateOf(d);
      const hash = createHash('sha256').update(JSON.stringify(t)).digest('hex').slice(0, 10);
      const mine = pods.filter((p) => ownedBy(p, d.metadata.uid) && !p.metadata.deletionTimestamp);
      const want = d.metadata.deletionTimestamp ? 0 : ((d['spec'] as { replicas?: number }).replicas ?? 1);
      // A changed template replaces the pods (recreate): old ones go first.
      const current = mine.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
      for (const p of mine.filter((q) => !current.includes(q)).concat(current.slice(want))) {
        try {
          store.delete(PODS, namespace, p.metadata.name);
        } catch {
          /* gone meanwhile */
        }
      }
      for (let k = current.length; k < want; k++) {
        store.create(PODS, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${d.metadata.name}-${hash}-${randomBytes(3).toString('hex').slice(0, 5)}`,
            namespace,
            labels: { ...t.metadata?.labels, 'pod-template-hash': hash },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true }],
          },
          spec: structuredClone(t.spec ?? {}),
        });
      }
    }
    // Garbage collection: volume-mounting pods of a Deployment that is gone.
    const live = new Set(store.list(DEPLOYMENTS, namespace).map((d) => d.metadata.uid));
    for (const p of pods.filter((q) => helperVolume(q, size) !== undefined)) {
      const owner = (p.metadata.ownerReferences as { kind?: string; uid?: string }[] | undefined)?.find((o) => o.kind === 'Deployment');
      if (owner && !live.has(owner.uid)) {
        try {
          store.delete(PODS, namespace, p.metadata.name);
        } catch {
          /* gone meanwhile */
        }
      }
    }
  };
  const kick = () => {
    if (queued || stopped) return;
    queued = true;
    setImmediate(reconcile);
  };
  const unsubscribe = store.subscribe((e) => {
    if (e.object.metadata.namespace !== namespace) return;
    if (e.resource.plural === 'deployments' || (e.resource.plural === 'pods' && e.type === 'DELETED')) kick();
  });
  kick();
  return () => {
    stopped = true;
    unsubscribe();
  };
}
