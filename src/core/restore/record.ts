/**
 * The restore's operation record. It is written ON the HostedCluster in the same request that
 * creates it (so it cannot be missing once the cluster exists), advanced as the restore goes,
 * and removed once the data is verified. A run killed at any point leaves either no
 * HostedCluster (a re-run applies again; every earlier object is accepted as identical) or a
 * HostedCluster carrying this record, from which a re-run or `resume` finishes the wait and
 * the verification.
 */
import { Annotations, Resources, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { RestoreAnnotations } from './types.ts';

export type RestorePhase = 'created' | 'restored' | 'verified';

export interface RestoreRecord {
  id: string;
  type: 'restore';
  startedAt: string;
  phase: RestorePhase;
  /** s3:// URL of the backup (its prefix, trailing slash). */
  backup: string;
  backupId: string;
  /** When the first object was created: the start of the time to a verified restore. */
  firstChangeAt: string;
  /** What verification compares with, so `resume` needs nothing but the cluster. */
  backupCreatedAt: string;
  revision: number;
  totalKeys: number;
}

export function recordAnnotations(record: RestoreRecord): Record<string, string> {
  return { [Annotations.operation]: JSON.stringify(record) };
}

/** The restore record on a HostedCluster, or undefined (none, or another operation's). */
export function readRestoreRecord(hc: KubeObject | undefined): RestoreRecord | undefined {
  const raw = hc?.metadata.annotations?.[Annotations.operation];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<RestoreRecord>;
    return parsed.type === 'restore' && typeof parsed.backup === 'string' ? (parsed as RestoreRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Another hcp-dr operation (a backup, say) recorded on the HostedCluster. */
export function otherOperation(hc: KubeObject | undefined): string | undefined {
  const raw = hc?.metadata.annotations?.[Annotations.operation];
  return raw && !readRestoreRecord(hc) ? raw : undefined;
}

/** The backup a HostedCluster was restored from by hcp-dr (record or, after it, the stamp). */
export function restoredFrom(hc: KubeObject | undefined): string | undefined {
  return readRestoreRecord(hc)?.backup ?? hc?.metadata.annotations?.[RestoreAnnotations.restoredFrom];
}

export async function advanceRecord(api: KubeApi, namespace: string, name: string, record: RestoreRecord, phase: RestorePhase): Promise<RestoreRecord> {
  const next = { ...record, phase };
  await api.mergePatch(Resources.hostedCluster, namespace, name, { metadata: { annotations: recordAnnotations(next) } });
  return next;
}

export async function releaseRecord(api: KubeApi, namespace: string, name: string): Promise<void> {
  await api.mergePatch(Resources.hostedCluster, namespace, name, { metadata: { annotations: { [Annotations.operation]: null } } });
}
