/**
 * The restore's operation record (type 'restore' of the shared record, core/operation/record.ts).
 * It is written ON the HostedCluster in the same request that creates it (so it cannot be
 * missing once the cluster exists), advanced as the restore goes, and removed once the data is
 * verified (the runner records each phase through store.ts). A run killed at any point leaves either no HostedCluster (a re-run applies again;
 * every earlier object is accepted as identical) or a HostedCluster carrying this record, from
 * which a re-run or `resume` finishes the wait and the verification. It names the objects the
 * run created before the HostedCluster, so nothing half-applied goes unnamed.
 */
import { Annotations, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { operationAnnotations, readOperation, releaseOperation, type RestoreOperation } from '../operation/record.ts';
import { RestoreAnnotations } from '../contracts/restore.ts';

export interface RestoreRecord extends RestoreOperation {
  /** s3:// URL of the backup (its prefix, trailing slash); never a pre-signed URL. */
  backup: string;
  backupId: string;
  /** When the first object was created: the start of the time to a verified restore. */
  firstChangeAt: string;
  /** What verification compares with, so `resume` needs nothing but the cluster. */
  backupCreatedAt: string;
  revision: number;
  totalKeys: number;
  /** Live keys at the snapshot's revision, when backup.json records them. */
  liveKeys?: number;
}

export type RestorePhase = RestoreRecord['phase'];

export function recordAnnotations(record: RestoreRecord): Record<string, string> {
  return operationAnnotations(record);
}

/**
 * Phase names of the table before the runner (OperationPhases.restore then listed `secrets` and
 * `verified`): no version wrote either on a cluster (records said hosted-cluster, waiting or
 * verifying), but a record naming one is read as the phase that now covers it.
 */
const OLD_PHASES: Record<string, RestorePhase> = { secrets: 'cluster-data', verified: 'verifying' };

/** The restore record on a HostedCluster, or undefined (none, unreadable, or another operation's). */
export function readRestoreRecord(hc: KubeObject | undefined): RestoreRecord | undefined {
  if (!hc) return undefined;
  try {
    const op = readOperation(hc)?.operation;
    if (op?.type !== 'restore' || typeof op.backup !== 'string') return undefined;
    const phase = OLD_PHASES[op.phase] ?? op.phase;
    return { ...(op as RestoreRecord), phase };
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

export async function releaseRecord(api: KubeApi, namespace: string, name: string): Promise<void> {
  await releaseOperation(api, namespace, name);
}
