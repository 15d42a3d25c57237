/** The RestoreResult a restore reports (`-o json`), planned or done, from what the run learned. */
import type { Clock, KubeApi } from '../ports.ts';
import { nextSteps } from './next-steps.ts';
import type { Preflight } from './preflight.ts';
import type { RestoreRecord } from './record.ts';
import { RESTORE_API_VERSION, type PlannedObject, type RestoreBundle, type RestoreResult } from '../contracts/restore.ts';
import type { DataVerification } from '../etcd/verify-data.ts';

/** What a run knows when it reports: the backup, where it restores to, the preflight, when it began. */
export interface RestoreRunFacts {
  bundle: RestoreBundle;
  namespace: string;
  name: string;
  cp: string;
  pre: Preflight;
  startedAt: Date;
}

export function restoreResult(
  base: RestoreRunFacts,
  api: KubeApi,
  clock: Clock,
  objects: PlannedObject[],
  verification: DataVerification | null,
  record: RestoreRecord | null,
  repair: RestoreResult['repair'] = null,
): RestoreResult {
  const { bundle, namespace, name, cp, pre } = base;
  const m = bundle.manifest;
  const now = clock.now();
  const seconds = (from: string | Date) => Math.max(0, Math.round((now.getTime() - new Date(from).getTime()) / 100) / 10);
  const verified = verification?.state === 'Restored';
  return {
    apiVersion: RESTORE_API_VERSION,
    kind: 'RestoreResult',
    hostedCluster: { namespace, name, controlPlaneNamespace: cp, platform: m.hostedCluster.platform },
    target: api.describeTarget(),
    backup: {
      url: bundle.url,
      id: m.id,
      createdAt: m.createdAt,
      source: { namespace: m.hostedCluster.namespace, name: m.hostedCluster.name },
      revision: m.snapshot.revision,
      totalKeys: m.snapshot.totalKeys,
      sha256: m.snapshot.sha256,
      sizeBytes: m.snapshot.size,
    },
    rpoSeconds: Math.round(seconds(m.createdAt)),
    verdict: verification
      ? { state: verification.state, reason: verification.reason, hint: verification.hint }
      : {
          state: 'Planned',
          reason: `dry run: ${objects.filter((o) => o.action === 'create').length} objects to create${pre.toDelete.length ? `, ${pre.toDelete.length} to delete first` : ''}`,
          hint: 'run without --dry-run to restore',
        },
    preflight: pre.checks,
    warnings: pre.warnings,
    objects,
    replaced: pre.toDelete,
    etcd: verification?.etcd ?? null,
    timing: {
      startedAt: base.startedAt.toISOString(),
      firstChangeAt: record?.firstChangeAt ?? null,
      verifiedAt: verified ? now.toISOString() : null,
      restoreSeconds: verified && record ? seconds(record.firstChangeAt) : null,
      totalSeconds: seconds(base.startedAt),
    },
    nextSteps: verified ? nextSteps(m.hostedCluster.platform, namespace, name, pre.sameManagementCluster) : [],
    repair,
  };
}
