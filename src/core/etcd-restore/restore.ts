/**
 * `etcd restore`: the in-place restore of a hosted cluster's etcd from one snapshot into EVERY
 * member volume (hypershift-domain.md §2.3-2.4), for quorum loss and on-premise clusters. With
 * the data in one volume only, the empty members can form a cluster of their own with the same
 * initial cluster and win the election (§3): this command never leaves a volume unrestored.
 *
 * Carried out by the operation runner from the phases of restore-phases.ts. Ordering is the
 * safety mechanism:
 *  1. Every check and the snapshot's verification run before the first change (restore-plan.ts).
 *  2. The operation record (lock, undo data: pause, API server and etcd replicas, image,
 *     snapshot identity) is written before the first change; every phase is recorded before
 *     the step it names, so `resume` knows the most that may have happened.
 *  3. Until phase etcd-started, any failure, SIGINT or SIGTERM rolls back (restore-end.ts): the
 *     old data back in every volume, replicas and pause as before. Old data is only moved aside.
 *  4. From etcd-started on, only forward: etcd and API servers back, verified by data, unpaused.
 */
import type { Clock, Cluster, Reporter } from '../ports.ts';
import type { EtcdRestoreOperation } from '../operation/record.ts';
import { runWorkflow, type PhaseTiming } from '../operation/runner.ts';
import { hostedClusterStore } from '../operation/store.ts';
import type { DataVerification } from '../etcd/verify-data.ts';
import { planEtcdRestore, type EtcdRestoreRequest, type PreparedRestore } from './restore-plan.ts';
import { etcdRestoreState, etcdRestoreWorkflow } from './restore-phases.ts';
import { BUMP_REVISION } from '../etcd/versions.ts';

export interface EtcdRestoreDeps extends Cluster {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  toolVersion: string;
  newId: () => string;
  /** Called after each phase (tests kill the process here). */
  step?: (name: string) => void;
  onBytes?: (n: number) => void;
  /** How long the pause lasts unless renewed (it is renewed while the run lives). */
  pauseTtlMs?: number;
}

export interface EtcdRestoreResult {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'EtcdRestoreResult';
  hostedCluster: { namespace: string; name: string; controlPlaneNamespace: string };
  operation: string;
  source: string;
  snapshot: { sha256: string; size: number; revision: number; totalKeys: number };
  tool: { name: string; version: string; bumpRevision: boolean };
  /**
   * How far the revision was moved past the snapshot's (--bump-revision, with --mark-compacted, so
   * watches of the old cluster fail as compacted and their clients re-list); null when the image's
   * tool cannot (etcd 3.4), which notes says.
   */
  revisionBump: number | null;
  members: number;
  apiDowntimeSeconds: number;
  notes: string[];
  actions: string[];
  /** Every phase the runner carried out (the plan check included), in order, with its duration. */
  phases: PhaseTiming[];
  verification: DataVerification['etcd'];
  /** Commands that remove the moved-aside data, when it was kept. */
  removeOldData: string[];
}

export async function runEtcdRestore(
  req: EtcdRestoreRequest,
  deps: EtcdRestoreDeps,
  prepared?: PreparedRestore,
): Promise<EtcdRestoreResult> {
  const p = prepared ?? (await planEtcdRestore(req, deps));
  const id = deps.newId();
  const state = etcdRestoreState(
    { ...deps, namespace: req.namespace, name: req.name, waitTimeoutMs: req.waitTimeoutMs },
    { previousPausedUntil: (p.hc['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ?? null, previousReplicas: p.apiReplicas },
    { req, prepared: p, onBytes: deps.onBytes, pauseTtlMs: deps.pauseTtlMs ?? 30 * 60_000 },
  );
  const operation: EtcdRestoreOperation = {
    id,
    type: 'etcd-restore',
    startedAt: deps.clock.now().toISOString(),
    phase: 'started',
    toolVersion: deps.toolVersion,
    source: p.plan.source,
    etcdReplicas: p.etcdReplicas,
    image: p.image,
    keepOldData: req.keepOldData,
    ...(p.info?.backupUrl ? { backup: p.info.backupUrl } : {}),
    ...(p.info?.backupId ? { backupId: p.info.backupId } : {}),
    ...(p.info ? { sha256: p.info.sha256, revision: p.info.revision, totalKeys: p.info.totalKeys } : {}),
    ...(req.source.kind === 'member' ? { sourceMember: req.source.pod } : {}),
  };
  const outcome = await runWorkflow(etcdRestoreWorkflow, state, operation, {
    store: hostedClusterStore<'etcd-restore'>(deps.api, req.namespace, req.name, () => ({ hc: p.hc, previousReplicas: p.apiReplicas })),
    reporter: deps.reporter,
    clock: deps.clock,
    signal: deps.signal,
    step: deps.step,
    resumeCommand: `{cmd} resume ${req.name} -n ${req.namespace}`,
  });
  const snapshot = state.info!;
  const finished = state.finished!;
  const tool = state.tool ?? { name: '', version: '', bumpRevision: false };
  const end = state.apiDowntimeEnd ?? deps.clock.now().getTime();
  return {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'EtcdRestoreResult',
    hostedCluster: { namespace: req.namespace, name: req.name, controlPlaneNamespace: p.cpNamespace },
    operation: id,
    source: snapshot.description,
    snapshot: { sha256: snapshot.sha256, size: snapshot.size, revision: snapshot.revision, totalKeys: snapshot.totalKeys },
    tool,
    revisionBump: tool.bumpRevision ? BUMP_REVISION : null,
    members: p.etcdReplicas,
    apiDowntimeSeconds: Math.round(end - (state.downtimeStart ?? end)) / 1000,
    notes: state.notes,
    actions: [...state.actions, `removed the record of operation ${id}`],
    phases: outcome.phases,
    verification: finished.verification.etcd,
    removeOldData: finished.oldDataKept,
  };
}
