/**
 * What a backup's phases (phases.ts, quiesce-phases.ts) share: the run's state, rebuilt from the
 * record for `resume`, and the small helpers every phase uses.
 */
import { backupPrefix } from '../bundle/layout.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import type { Pause } from '../controlplane/quiesce.ts';
import type { SnapshotStatus } from '../etcd/etcdctl.ts';
import type { PodRef } from '../etcd/pod-snapshot.ts';
import type { Preflight } from '../capture/plan.ts';
import type { BackupDeps, BackupRequest } from '../capture/request.ts';

export interface BackupState {
  namespace: string;
  name: string;
  cpNamespace: string;
  /** Absent in `resume`: the store is not recorded (no credentials on the cluster). */
  req?: BackupRequest;
  deps: Omit<BackupDeps, 'step' | 'toolVersion' | 'newBackupId'>;
  id: string;
  pre?: Preflight;
  /** The pod and file of the snapshot, once chosen (recorded before the file is written). */
  member?: string;
  snapshotPath?: string;
  /** The undo data of the pause and scale-down while it is live on the cluster. */
  quiesceUndo?: { previousPausedUntil: string | null | undefined; previousReplicas: Record<string, number> | undefined };
  pause?: Pause;
  downtimeStart?: number;
  apiDowntimeSeconds: number | null;
  status?: SnapshotStatus;
  manifest?: BackupManifest;
}

export const prefixOf = (s: BackupState, req: BackupRequest) => backupPrefix(req.destination.prefix, s.namespace, s.name, s.id);

export const podOf = (s: BackupState, signal: AbortSignal | undefined): PodRef => ({
  exec: s.deps.exec,
  namespace: s.cpNamespace,
  pod: s.member ?? '',
  ...(signal ? { signal } : {}),
});

/** A value the phase order guarantees; its absence is a bug, not a user error. */
export const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`backup state has no ${what}`);
  return value;
};
