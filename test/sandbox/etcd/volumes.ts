/**
 * Who holds each etcd member's volume (PVC data-etcd-N, ReadWriteOnce), shared by the StatefulSet
 * controller (pod etcd-N) and the helper-pod kubelet (helper-pods.ts) of one EtcdCluster. A volume
 * has at most one holder, a pod name; a second pod that wants it waits (Multi-Attach) until the
 * holder releases it. Release listeners let a waiting pod start at once.
 */
import type { EtcdCluster } from './cluster.ts';
import type { SimObject } from '../api/types.ts';

export class VolumeHolders {
  private readonly holders = new Map<number, string>();
  private readonly listeners = new Set<(volume: number) => void>();

  /** Pod `pod` takes volume i; true when it holds it now (already holding counts). */
  claim(i: number, pod: string): boolean {
    const cur = this.holders.get(i);
    if (cur !== undefined && cur !== pod) return false;
    this.holders.set(i, pod);
    return true;
  }

  /** Pod `pod` lets go of volume i (no-op when it does not hold it). */
  release(i: number, pod: string): void {
    if (this.holders.get(i) !== pod) return;
    this.holders.delete(i);
    for (const fn of this.listeners) fn(i);
  }

  holder(i: number): string | undefined {
    return this.holders.get(i);
  }

  /** The volume pod `pod` holds, if any. */
  volumeOf(pod: string): number | undefined {
    for (const [i, p] of this.holders) if (p === pod) return i;
    return undefined;
  }

  onRelease(fn: (volume: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

const registry = new WeakMap<EtcdCluster, VolumeHolders>();

/** The volume table of `cluster` (one per cluster, created on first use). */
export function volumeHolders(cluster: EtcdCluster): VolumeHolders {
  let v = registry.get(cluster);
  if (!v) {
    v = new VolumeHolders();
    registry.set(cluster, v);
  }
  return v;
}

/** The StatefulSet pod name that holds member i's volume while it runs. */
export const memberPod = (i: number): string => `etcd-${i}`;

interface VolumeSpec {
  volumes?: { name: string; persistentVolumeClaim?: { claimName?: string } }[];
}

/** The member index whose PVC data-etcd-N pod `pod` mounts, if it is a helper pod (not etcd-N) of a cluster of `size` members. */
export function helperVolume(pod: SimObject, size: number): number | undefined {
  if (/^etcd-\d+$/.test(pod.metadata.name)) return undefined;
  for (const v of (pod['spec'] as VolumeSpec | undefined)?.volumes ?? []) {
    const m = /^data-etcd-(\d+)$/.exec(v.persistentVolumeClaim?.claimName ?? '');
    if (m && Number(m[1]) < size) return Number(m[1]);
  }
  return undefined;
}
