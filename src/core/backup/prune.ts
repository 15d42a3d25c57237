/**
 * `backup prune`: applies a retention policy (retention.ts) to the backups under a destination,
 * per hosted cluster, and deletes what no rule keeps (prune-delete.ts), with what they recorded
 * under --keys-to.
 *
 * Contracts:
 *  - One listing of the destination; a prefix `<root>/<namespace>/<name>/<id>/` (id as
 *    bundle/layout.ts makes them) is a complete backup when it holds backup.json. Keys that do
 *    not have that shape are never touched.
 *  - Complete backups are dated by backup.json's createdAt (what `backup list` shows). The
 *    newest complete backup of each cluster is always kept. A backup.json that cannot be read,
 *    or has no valid createdAt, is kept and reported: prune never deletes what it cannot date.
 *  - A prefix without backup.json is a running or a failed backup. It is kept while younger than
 *    the grace period and deleted after: debris of a run that was killed. Its age runs from
 *    the time in its id (when that run started, on the clock of the machine that ran it), not
 *    from the store's LastModified: another clock, and one a test cannot set. prune does not read the clusters'
 *    operation records (it needs no kubeconfig): the grace period is what protects a running
 *    backup, so it must exceed the longest backup run.
 *  - A deleted complete backup takes with it the objects its backup.json records outside its
 *    prefix (the Secrets written under --keys-to), but only those lying where the layout puts a
 *    backup's keys (`<keys root>/<namespace>/<name>/<id>/...`); anything else recorded there is
 *    left and warned about. Only keys and URLs are handled: no stored object is ever read but
 *    backup.json, so no secret material is ever printed.
 *  - Incomplete multipart uploads under the search prefix (a killed upload's parts) older than the
 *    grace period are aborted, after the backups (uploads.ts); younger ones may be running.
 *  - Staged plaintext copies under the backups (a restore's or a render's decoded snapshot) are
 *    deleted once the URL signed for them has expired, whatever the policy, and reported apart
 *    (`staged`); one still valid is never touched, even when its backup is deleted
 *    (bundle/staged-copies.ts).
 *  - dryRun deletes nothing and reports the same decisions.
 * The pieces: scan and decide (prune-plan.ts), hold what Object Lock retains (prune-lock.ts),
 * delete (prune-delete.ts), abort old multipart uploads (bundle/uploads.ts).
 */
import type { Clock, ObjectStore, OpenedStore, Reporter } from '../ports.ts';
import { listPrefix } from '../bundle/layout.ts';
import { BACKUP_API_VERSION } from '../bundle/manifest.ts';
import type { ListFilter } from '../bundle/list.ts';
import { describeRetention, type RetentionPolicy } from '../bundle/retention.ts';
import { deletePlanned } from './prune-delete.ts';
import { holdLockedBackups } from './prune-lock.ts';
import { assertNewestKept, manifestLockOf, planPrune, scan } from './prune-plan.ts';
import { pruneIncompleteUploads, type PrunedUploads } from '../bundle/uploads.ts';
import { pruneStaged, type StagedPruneItem } from '../bundle/staged-copies.ts';

export interface PruneRequest {
  source: OpenedStore;
  filter: ListFilter;
  policy: RetentionPolicy;
  /** A prefix without backup.json younger than this is left alone (it may be a running backup). */
  incompleteGraceMs: number;
  dryRun: boolean;
  /** Delete backups under a governance-mode Object Lock before their date (x-amz-bypass-governance-retention). */
  bypassGovernance?: boolean;
}

export interface PruneDeps {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal;
  /** Opens another bucket of the same store (a backup's --keys-to objects). */
  openBucket(bucket: string): Promise<ObjectStore>;
  /** backup.json files read in parallel (default 8). */
  concurrency?: number;
}

/** complete: has a readable backup.json; incomplete: no backup.json; unreadable: a backup.json that cannot be used. */
export type PruneState = 'complete' | 'incomplete' | 'unreadable';

export interface PruneItem {
  /** The backup's prefix URL, s3://bucket/.../<id>/. */
  url: string;
  namespace: string;
  name: string;
  id: string;
  state: PruneState;
  /** backup.json's createdAt for a complete backup, the id's time otherwise. */
  createdAt: string;
  ageSeconds: number;
  action: 'keep' | 'delete';
  /** Why: the rules that keep it (newest, last, daily, ...), or why it goes. */
  reasons: string[];
  /** Objects (and their bytes) under the prefix. */
  objects: number;
  bytes: number;
  /** Objects recorded in backup.json outside the prefix (--keys-to), deleted with the backup. */
  externalObjects: string[];
  /** Kept because the store retains it under S3 Object Lock until this time (prune-lock.ts). */
  retainedUntil?: string;
}

export interface PruneResult {
  apiVersion: typeof BACKUP_API_VERSION;
  kind: 'BackupPrune';
  /** What was searched, e.g. s3://bucket/prefix/. */
  source: string;
  policy: string;
  incompleteGraceSeconds: number;
  dryRun: boolean;
  items: PruneItem[];
  /** Staged plaintext copies found under the backups, each kept until its URL expired, then deleted. */
  staged: StagedPruneItem[];
  summary: {
    kept: number;
    deleted: number;
    incompleteDeleted: number;
    objectsDeleted: number;
    bytesDeleted: number;
    /** Staged copies deleted (with dryRun: that would be). */
    stagedDeleted: number;
  };
  /** Incomplete multipart uploads aborted (absent: the store does not list them). */
  incompleteUploads?: PrunedUploads;
}

/** What a deletion needs besides the item: the keys under the prefix, backup.json first when present. */
export interface PlannedDeletion {
  item: PruneItem;
  /** backup.json's key, deleted before anything else (undefined for an incomplete prefix). */
  manifestKey: string | undefined;
  /** Recorded objects outside the prefix, by bucket. */
  external: Map<string, string[]>;
  /** Every other key under the prefix. */
  rest: string[];
}

/** See the contracts above: list, decide, hold locked backups, delete (unless dryRun), abort old uploads. */
export async function pruneBackups(req: PruneRequest, deps: PruneDeps): Promise<PruneResult> {
  const { store } = req.source;
  const now = deps.clock.now();
  const search = listPrefix(req.source.prefix, req.filter.namespace, req.filter.name);
  const { scanned, staged, hiddenStaged } = await scan(req, deps, search);
  const { items, planned } = planPrune(scanned, req, store, now, deps.reporter);
  assertNewestKept(items);
  const lockable = await holdLockedBackups(store, planned, {
    now,
    bypassGovernance: req.bypassGovernance === true,
    reporter: deps.reporter,
    manifestLock: (p) => manifestLockOf(scanned, p),
  });

  items.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`) || b.id.localeCompare(a.id));
  if (!req.dryRun) await deletePlanned(store, lockable.planned, deps, lockable.deleteOptions);
  const stagedItems = await pruneStaged(store, staged, { now, dryRun: req.dryRun, reporter: deps.reporter, hidden: hiddenStaged });
  const uploads = await pruneIncompleteUploads(store, search, {
    now,
    minAgeMs: req.incompleteGraceMs,
    dryRun: req.dryRun,
    reporter: deps.reporter,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  return {
    apiVersion: BACKUP_API_VERSION,
    kind: 'BackupPrune',
    source: store.url(search),
    policy: describeRetention(req.policy),
    incompleteGraceSeconds: Math.round(req.incompleteGraceMs / 1000),
    dryRun: req.dryRun,
    items,
    staged: stagedItems,
    summary: summaryOf(
      items,
      lockable.planned.map((p) => p.item),
      stagedItems,
    ),
    ...(uploads ? { incompleteUploads: uploads } : {}),
  };
}

/** The counts of a run: items kept, backups and incomplete prefixes deleted, with their objects and bytes. */
function summaryOf(items: readonly PruneItem[], deleted: readonly PruneItem[], staged: readonly StagedPruneItem[]): PruneResult['summary'] {
  const stagedDeleted = staged.filter((c) => c.action === 'delete');
  return {
    kept: items.length - deleted.length,
    deleted: deleted.filter((i) => i.state === 'complete').length,
    incompleteDeleted: deleted.filter((i) => i.state === 'incomplete').length,
    objectsDeleted: deleted.reduce((n, i) => n + i.objects + i.externalObjects.length, 0) + stagedDeleted.length,
    bytesDeleted: deleted.reduce((n, i) => n + i.bytes, 0) + stagedDeleted.reduce((n, c) => n + c.size, 0),
    stagedDeleted: stagedDeleted.length,
  };
}
