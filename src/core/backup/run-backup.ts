/**
 * `backup`: a crash-safe, verified etcd snapshot of a hosted cluster to an object store, carried
 * out by the operation runner from the phases of phases.ts.
 *
 * Ordering is the safety mechanism:
 *  1. Everything that can fail without touching the cluster runs first (etcd health, the
 *     encryption key, deployments, the bucket), so most failures cost no downtime at all.
 *  2. The undo record (lock, previous pausedUntil, previous replicas) is written on the
 *     HostedCluster before the first change: `resume` can undo a run killed with SIGKILL.
 *  3. The pause is a deadline, not "true": if nobody runs `resume`, reconciliation restarts.
 *  4. The API servers come back right after the snapshot is taken: the upload runs with the
 *     API up, so downtime is the snapshot time only.
 *  5. backup.json is written last; a prefix without it is not a backup.
 * Any error, SIGINT or SIGTERM undoes the phases in reverse before the error surfaces.
 */
import { controlPlaneNamespace } from '../model.ts';
import type { BackupOperation } from '../operation/record.ts';
import { runWorkflow } from '../operation/runner.ts';
import { hostedClusterStore } from '../operation/store.ts';
import { backupWorkflow } from './phases.ts';
import { prefixOf, type BackupState } from './state.ts';
import type { BackupDeps, BackupRequest, BackupResult } from '../capture/request.ts';

export async function runBackup(req: BackupRequest, deps: BackupDeps): Promise<BackupResult> {
  const id = deps.newBackupId();
  const state: BackupState = {
    namespace: req.namespace,
    name: req.name,
    cpNamespace: controlPlaneNamespace(req.namespace, req.name),
    req,
    deps,
    id,
    apiDowntimeSeconds: null,
  };
  const operation: BackupOperation = {
    id,
    type: 'backup',
    startedAt: deps.clock.now().toISOString(),
    phase: 'started',
    toolVersion: deps.toolVersion,
  };
  const store = hostedClusterStore<'backup'>(deps.api, req.namespace, req.name, () => ({
    hc: state.pre!.hc,
    previousReplicas: state.pre!.replicas,
  }));
  const outcome = await runWorkflow(backupWorkflow, state, operation, {
    store,
    reporter: deps.reporter,
    clock: deps.clock,
    signal: deps.signal,
    step: deps.step,
    resumeCommand: `{cmd} resume ${req.name} -n ${req.namespace}`,
  });
  deps.step?.('done');
  return { manifest: state.manifest!, url: `${req.destination.store.url(prefixOf(state, req))}/`, phases: outcome.phases };
}
