/**
 * `backup --all`: the single-backup workflow (runBackup, planBackup) over every selected
 * HostedCluster, with at most `concurrency` backups at a time. A cluster that fails is recorded
 * with its cause and hint and the others go on; a signal stops new backups from starting while
 * the running ones roll back (or stay resumable) exactly as a single backup does.
 *
 * Skipped, not failed: HostedClusters with Unmanaged etcd (nothing of theirs is backed up by
 * hcp-dr) and HostedClusters being deleted. The outcome (fleetOutcome, fleet-outcome.ts) is exit
 * 0 when every selected cluster succeeded, 5 when a failed cluster's rollback failed too (it needs
 * `resume`), 6 when some failed, 130 when interrupted.
 */
import { ExitCode, PreconditionError } from '../errors.ts';
import { Resources, type KubeObject } from '../model.ts';
import type { KubeApi, Reporter } from '../ports.ts';
import { mapReleasing } from '../concurrency.ts';
import { sharedManagementIdentity } from '../capture/capture.ts';
import { planBackup } from '../capture/plan.ts';
import { checkDestinations } from '../capture/preflight.ts';
import { runBackup } from './run-backup.ts';
import { itemError } from './fleet-outcome.ts';
import type { BackupDeps, BackupRequest } from '../capture/request.ts';

export { FleetPartialFailureError, fleetOutcome } from './fleet-outcome.ts';

export interface FleetSelection {
  /** One namespace; every namespace when absent. */
  namespace?: string;
  /** A label selector on the HostedClusters (kubectl's -l syntax). */
  labelSelector?: string;
}

export interface FleetBackupRequest {
  selection: FleetSelection;
  /** Backups running at the same time (at least 1). */
  concurrency: number;
  /** What every cluster's backup shares: mode, destinations, encryption, pause and wait bounds. */
  template: Omit<BackupRequest, 'namespace' | 'name'>;
  /** Run each cluster's preflight and plan only; change nothing. */
  dryRun?: boolean;
}

export interface FleetDeps extends Omit<BackupDeps, 'onProgress' | 'step'> {
  /** A cluster's backup reached a step boundary (as BackupDeps.step), for -v and tests. */
  step?: (cluster: string, name: string) => void;
}

export type FleetItemState = 'Succeeded' | 'Planned' | 'Failed' | 'Skipped' | 'Interrupted' | 'NotStarted';

export interface FleetItemError {
  code: string;
  exitCode: number;
  message: string;
  hint: string | null;
}

export interface FleetBackupItem {
  namespace: string;
  name: string;
  state: FleetItemState;
  /** The backup taken (Succeeded), else null. */
  backup: { id: string; url: string; createdAt: string; sizeBytes: number; revision: number } | null;
  /** Why it was skipped, or what the plan would do (Planned); else null. */
  detail: string | null;
  error: FleetItemError | null;
  seconds: number | null;
}

export interface FleetBackupResult {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: 'FleetBackupResult';
  mode: BackupRequest['mode'];
  dryRun: boolean;
  destination: string;
  selection: { namespace: string | null; labelSelector: string | null };
  concurrency: number;
  startedAt: string;
  finishedAt: string;
  summary: Record<'total' | 'succeeded' | 'planned' | 'failed' | 'skipped' | 'interrupted' | 'notStarted', number>;
  items: FleetBackupItem[];
}

/** The selected HostedClusters, sorted by namespace/name. */
export async function selectHostedClusters(api: KubeApi, selection: FleetSelection): Promise<KubeObject[]> {
  const found = await api.list(
    Resources.hostedCluster,
    selection.namespace,
    selection.labelSelector ? { labelSelector: selection.labelSelector } : undefined,
  );
  return found.sort((a, b) => refOf(a).localeCompare(refOf(b)));
}

const refOf = (hc: KubeObject) => `${hc.metadata.namespace ?? ''}/${hc.metadata.name ?? ''}`;

/** Why a selected HostedCluster is not backed up at all, if it is not. */
function skipReason(hc: KubeObject): string | undefined {
  if (hc.metadata.deletionTimestamp) return 'the HostedCluster is being deleted';
  const etcd = (hc['spec'] as { etcd?: { managementType?: string } } | undefined)?.etcd;
  if (etcd?.managementType === 'Unmanaged') return 'etcd is Unmanaged: it is not run by HyperShift, hcp-dr does not back it up';
  return undefined;
}

/**
 * Backs up every selected HostedCluster, `concurrency` at a time, and reports each one's result;
 * throws only when nothing is selected or the destination fails its check (before any cluster is
 * touched). The management cluster's identity is read once for all of them.
 */
export async function runFleetBackup(req: FleetBackupRequest, deps: FleetDeps): Promise<FleetBackupResult> {
  const startedAt = deps.clock.now();
  const clusters = await selectHostedClusters(deps.api, req.selection);
  const toBackUp = clusters.filter((hc) => skipReason(hc) === undefined);
  await checkFleet(req, deps, clusters, toBackUp);
  const shared: FleetDeps = { ...deps, managementIdentity: deps.managementIdentity ?? sharedManagementIdentity(deps.api) };
  const items = await mapReleasing(clusters, Math.max(1, req.concurrency), (hc, release) => backUpOne(req, shared, hc, release));
  return fleetResult(req, startedAt, deps.clock.now(), items);
}

/** Where the selection looked, for messages: "in namespace x matching a=b". */
function selectionText(selection: FleetSelection): string {
  return [
    selection.namespace ? `in namespace ${selection.namespace}` : 'in any namespace',
    ...(selection.labelSelector ? [`matching ${selection.labelSelector}`] : []),
  ].join(' ');
}

/**
 * Refuses an empty selection (exit 3), then checks the destination once with one cheap listing,
 * before any cluster is touched: a missing bucket or wrong credentials fail the run once (exit 1
 * or 3) instead of once per cluster. Says what the run will do.
 */
async function checkFleet(req: FleetBackupRequest, deps: FleetDeps, clusters: KubeObject[], toBackUp: KubeObject[]): Promise<void> {
  const where = selectionText(req.selection);
  if (clusters.length === 0) {
    throw new PreconditionError(`failed to back up the fleet: no HostedCluster ${where} on ${deps.api.describeTarget()}`, {
      hint: 'check -n and -l (without them every namespace is searched), and --context',
    });
  }
  const first = toBackUp[0];
  if (first) await checkDestinations({ ...req.template, namespace: first.metadata.namespace ?? '', name: first.metadata.name ?? '' });
  deps.reporter.info(
    `${req.dryRun ? 'planning' : 'backing up'} ${toBackUp.length} of ${clusters.length} HostedClusters ${where} (${req.template.mode}, ${Math.min(req.concurrency, Math.max(1, toBackUp.length))} at a time)`,
  );
}

/**
 * One cluster's item: Skipped (with the reason), NotStarted once the run is interrupted, Planned
 * (dry run), Succeeded, or Failed/Interrupted with its error. Never throws: a failure is the item's.
 */
async function backUpOne(req: FleetBackupRequest, deps: FleetDeps, hc: KubeObject, release: () => void): Promise<FleetBackupItem> {
  const namespace = hc.metadata.namespace ?? '';
  const name = hc.metadata.name ?? '';
  const base = { namespace, name, backup: null, detail: null, error: null, seconds: null };
  const skipped = skipReason(hc);
  if (skipped) {
    deps.reporter.info(`${namespace}/${name}: skipped: ${skipped}`);
    return { ...base, state: 'Skipped', detail: skipped };
  }
  if (deps.signal?.aborted) return { ...base, state: 'NotStarted' };
  const started = deps.clock.now().getTime();
  const seconds = () => Math.round((deps.clock.now().getTime() - started) / 100) / 10;
  const request: BackupRequest = { ...req.template, namespace, name };
  const reporter = prefixed(deps.reporter, `${namespace}/${name}: `);
  try {
    if (req.dryRun) {
      const plan = await planBackup(request, { ...deps, reporter });
      return { ...base, state: 'Planned', detail: `snapshot from ${plan.member}; downtime: ${plan.expectedDowntime}`, seconds: seconds() };
    }
    const result = await runBackup(request, {
      ...deps,
      reporter,
      step: (step) => deps.step?.(`${namespace}/${name}`, step),
      onSnapshotStored: release,
    });
    const m = result.manifest;
    deps.reporter.info(`${namespace}/${name}: backed up to ${result.url}`);
    return {
      ...base,
      state: 'Succeeded',
      backup: { id: m.id, url: result.url, createdAt: m.createdAt, sizeBytes: m.snapshot.size, revision: m.snapshot.revision },
      seconds: seconds(),
    };
  } catch (err) {
    const error = itemError(err);
    // Cut by the signal (rolled back), unless its rollback failed: that cluster needs resume.
    const interrupted = deps.signal?.aborted === true && error.exitCode !== ExitCode.partialFailure;
    reporter.warn(`${interrupted ? 'interrupted' : 'failed'}: ${error.message}`);
    return { ...base, state: interrupted ? 'Interrupted' : 'Failed', error, seconds: seconds() };
  }
}

/** The run's result: the items in selection order and their count per state. */
function fleetResult(req: FleetBackupRequest, startedAt: Date, finishedAt: Date, items: FleetBackupItem[]): FleetBackupResult {
  const count = (state: FleetItemState) => items.filter((i) => i.state === state).length;
  return {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'FleetBackupResult',
    mode: req.template.mode,
    dryRun: req.dryRun === true,
    destination: `${req.template.destination.store.url(req.template.destination.prefix)}`,
    selection: { namespace: req.selection.namespace ?? null, labelSelector: req.selection.labelSelector ?? null },
    concurrency: req.concurrency,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    summary: {
      total: items.length,
      succeeded: count('Succeeded'),
      planned: count('Planned'),
      failed: count('Failed'),
      skipped: count('Skipped'),
      interrupted: count('Interrupted'),
      notStarted: count('NotStarted'),
    },
    items,
  };
}

/** A reporter whose lines name the cluster they are about: backups run side by side. */
function prefixed(reporter: Reporter, prefix: string): Reporter {
  return {
    info: (m) => reporter.info(prefix + m),
    warn: (m) => reporter.warn(prefix + m),
    debug: (m) => reporter.debug(prefix + m),
  };
}
