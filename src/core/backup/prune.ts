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
 *  - dryRun deletes nothing and reports the same decisions.
 */
import type { Clock, ObjectLock, ObjectStore, OpenedStore, Reporter, StoredObject } from '../ports.ts';
import {
  BackupFiles,
  backupIdTime,
  backupKey,
  isKeysObjectOf,
  listPrefix,
  parseBackupObjectKey,
  parseObjectUrl,
} from '../bundle/layout.ts';
import { BACKUP_API_VERSION, type BackupManifest } from '../bundle/manifest.ts';
import { readManifest } from '../bundle/read.ts';
import { forEachBounded } from '../concurrency.ts';
import type { ListFilter } from '../bundle/list.ts';
import { applyRetention, describeRetention, type RetentionPolicy } from '../bundle/retention.ts';
import { deletePlanned } from './prune-delete.ts';
import { holdLockedBackups } from './prune-lock.ts';
import { pruneIncompleteUploads, type PrunedUploads } from '../bundle/uploads.ts';

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
  summary: { kept: number; deleted: number; incompleteDeleted: number; objectsDeleted: number; bytesDeleted: number };
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

interface Scanned {
  namespace: string;
  name: string;
  id: string;
  prefix: string;
  objects: StoredObject[];
  manifestKey?: string;
  manifest?: BackupManifest;
  problem?: string;
}

export async function pruneBackups(req: PruneRequest, deps: PruneDeps): Promise<PruneResult> {
  const { store } = req.source;
  const now = deps.clock.now();
  const search = listPrefix(req.source.prefix, req.filter.namespace, req.filter.name);
  const scanned = await scan(req, deps, search);

  const planned: PlannedDeletion[] = [];
  const items: PruneItem[] = [];
  const base = (s: Scanned, state: PruneState, createdAt: string, time: number): PruneItem => ({
    url: store.url(`${s.prefix}/`),
    namespace: s.namespace,
    name: s.name,
    id: s.id,
    state,
    createdAt,
    ageSeconds: Math.max(0, Math.round((now.getTime() - time) / 1000)),
    action: 'keep',
    reasons: [],
    objects: s.objects.length,
    bytes: s.objects.reduce((sum, o) => sum + o.size, 0),
    externalObjects: [],
  });

  // Complete backups: the retention rules, per cluster.
  const candidates: { s: Scanned; item: PruneItem; group: string; time: number; id: string }[] = [];
  for (const s of scanned) {
    const idTime = backupIdTime(s.id)?.getTime() ?? 0;
    if (!s.manifestKey) {
      const item = base(s, 'incomplete', new Date(idTime).toISOString(), idTime);
      if (now.getTime() - idTime < req.incompleteGraceMs) {
        item.reasons = [`incomplete, younger than the grace period (may be running)`];
      } else {
        item.action = 'delete';
        item.reasons = ['incomplete (no backup.json), older than the grace period'];
        planned.push({ item, manifestKey: undefined, external: new Map(), rest: s.objects.map((o) => o.key) });
      }
      items.push(item);
      continue;
    }
    const created = s.manifest ? Date.parse(s.manifest.createdAt) : NaN;
    if (!s.manifest || Number.isNaN(created)) {
      const item = base(s, 'unreadable', new Date(idTime).toISOString(), idTime);
      item.reasons = [s.problem ?? `backup.json has no valid createdAt`];
      items.push(item);
      continue;
    }
    const item = base(s, 'complete', s.manifest.createdAt, created);
    candidates.push({ s, item, group: `${s.namespace}/${s.name}`, time: created, id: s.id });
    items.push(item);
  }
  for (const d of applyRetention(candidates, req.policy, now)) {
    const { s, item } = d.item;
    if (d.keep) {
      item.reasons = [...d.reasons];
      continue;
    }
    item.action = 'delete';
    item.reasons = ['no rule keeps it'];
    const external = externalObjects(s, store.bucket, deps.reporter);
    item.externalObjects = [...external].flatMap(([bucket, keys]) => keys.map((k) => `s3://${bucket}/${k}`));
    const manifestKey = s.manifestKey as string;
    planned.push({ item, manifestKey, external, rest: s.objects.map((o) => o.key).filter((k) => k !== manifestKey) });
  }
  assertNewestKept(items);
  const lockable = await holdLockedBackups(store, planned, {
    now,
    bypassGovernance: req.bypassGovernance === true,
    reporter: deps.reporter,
    manifestLock: (p) => manifestLockOf(scanned, p),
  });

  items.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`) || b.id.localeCompare(a.id));
  if (!req.dryRun) await deletePlanned(store, lockable.planned, deps, lockable.deleteOptions);
  const uploads = await pruneIncompleteUploads(store, search, {
    now,
    minAgeMs: req.incompleteGraceMs,
    dryRun: req.dryRun,
    reporter: deps.reporter,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const deleted = lockable.planned.map((p) => p.item);
  return {
    apiVersion: BACKUP_API_VERSION,
    kind: 'BackupPrune',
    source: store.url(search),
    policy: describeRetention(req.policy),
    incompleteGraceSeconds: Math.round(req.incompleteGraceMs / 1000),
    dryRun: req.dryRun,
    items,
    summary: {
      kept: items.length - deleted.length,
      deleted: deleted.filter((i) => i.state === 'complete').length,
      incompleteDeleted: deleted.filter((i) => i.state === 'incomplete').length,
      objectsDeleted: deleted.reduce((n, i) => n + i.objects + i.externalObjects.length, 0),
      bytesDeleted: deleted.reduce((n, i) => n + i.bytes, 0),
    },
    ...(uploads ? { incompleteUploads: uploads } : {}),
  };
}

/** Every backup prefix under the search prefix, with its objects and (when it has one) its backup.json read. */
async function scan(req: PruneRequest, deps: PruneDeps, search: string): Promise<Scanned[]> {
  const { store } = req.source;
  const byPrefix = new Map<string, Scanned>();
  for (const o of await store.list(search)) {
    const at = parseBackupObjectKey(req.source.prefix, o.key);
    if (!at) continue;
    if (req.filter.namespace && at.namespace !== req.filter.namespace) continue;
    if (req.filter.name && at.name !== req.filter.name) continue;
    const s = byPrefix.get(at.prefix) ?? { namespace: at.namespace, name: at.name, id: at.id, prefix: at.prefix, objects: [] };
    s.objects.push(o);
    if (o.key === backupKey(at.prefix, BackupFiles.manifest)) s.manifestKey = o.key;
    byPrefix.set(at.prefix, s);
  }
  const scanned = [...byPrefix.values()];
  const withManifest = scanned.filter((s) => s.manifestKey);
  await forEachBounded(withManifest, deps.concurrency ?? 8, async (s) => {
    const read = await readManifest(store, s.manifestKey as string, deps.signal);
    if (read.ok) s.manifest = read.manifest;
    else if (read.missing)
      s.manifestKey = undefined; // gone since the listing: now incomplete
    else {
      s.problem = `unreadable backup.json: ${read.reason}`;
      deps.reporter.warn(`keeping ${store.url(`${s.prefix}/`)}: ${read.reason}`);
    }
  });
  return scanned;
}

/** The objects backup.json records outside the backup's prefix that lie where --keys-to puts them, by bucket. */
function externalObjects(s: Scanned, bucket: string, reporter: Reporter): Map<string, string[]> {
  const m = s.manifest as BackupManifest;
  const urls = new Set<string>([
    ...m.secrets.map((x) => x.url),
    ...(m.configMaps ?? []).map((x) => x.url),
    ...(m.encryption.type === 'aescbc' && m.encryption.keyUrl ? [m.encryption.keyUrl] : []),
  ]);
  const out = new Map<string, string[]>();
  for (const url of urls) {
    const at = parseObjectUrl(url);
    if (at && at.bucket === bucket && at.key.startsWith(`${s.prefix}/`)) continue; // under the prefix: listed already
    if (!at || !isKeysObjectOf(at.key, s.namespace, s.name, s.id)) {
      reporter.warn(`leaving ${url} in place: backup.json of ${s.prefix} records it outside the backup layout`);
      continue;
    }
    out.set(at.bucket, [...(out.get(at.bucket) ?? []), at.key]);
  }
  return out;
}

/** The lock backup.json records for a planned deletion, as a retention. */
function manifestLockOf(scanned: Scanned[], p: PlannedDeletion): ObjectLock | undefined {
  const lock = scanned.find((s) => s.manifestKey !== undefined && s.manifestKey === p.manifestKey)?.manifest?.lock;
  return lock ? { mode: lock.mode, retainUntil: new Date(lock.retainUntil) } : undefined;
}

/** The invariant the rules promise: the newest complete backup of every cluster stays. */
function assertNewestKept(items: PruneItem[]): void {
  const newest = new Map<string, PruneItem>();
  for (const i of items) {
    if (i.state !== 'complete') continue;
    const key = `${i.namespace}/${i.name}`;
    const seen = newest.get(key);
    const [t, st] = [Date.parse(i.createdAt), seen ? Date.parse(seen.createdAt) : -Infinity];
    if (!seen || t > st || (t === st && i.id > seen.id)) newest.set(key, i);
  }
  for (const [cluster, i] of newest) {
    if (i.action !== 'keep') throw new Error(`refusing to delete ${i.url}, the newest backup of ${cluster}: this is a bug in hcp-dr`);
  }
}
