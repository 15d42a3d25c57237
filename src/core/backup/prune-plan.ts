/**
 * The deciding half of `backup prune` (prune.ts): what is under the destination, and what goes.
 *
 * Contracts (prune.ts states the policy):
 *  - scan(): one listing; keys shaped `<root>/<namespace>/<name>/<id>/...` grouped by prefix, the
 *    filter applied, each backup.json read (a few at a time). One gone since the listing makes
 *    its prefix incomplete; one that cannot be read is kept and warned about. Staged plaintext
 *    copies (`<prefix>/.hcp-dr-staging/...`, bundle/staged-copies.ts) are set apart: they are no
 *    part of their backup (deleting it leaves them, a running restore may read one) and a prefix
 *    holding only them is no incomplete backup.
 *  - planPrune(): an item per prefix, in scan order, and the deletions planned: incomplete prefixes
 *    older than the grace period, and complete backups that no retention rule keeps (with what
 *    their backup.json records under --keys-to). Unreadable ones are kept. It deletes nothing.
 *  - assertNewestKept(): throws when the newest complete backup of a cluster would go (a bug).
 */
import type { ObjectLock, ObjectStore, Reporter, StoredObject } from '../ports.ts';
import { BackupFiles, backupIdTime, backupKey, isKeysObjectOf, parseBackupObjectKey, parseObjectUrl } from '../bundle/layout.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import { readManifest } from '../bundle/read.ts';
import { forEachBounded } from '../concurrency.ts';
import { applyRetention } from '../bundle/retention-apply.ts';
import { hiddenStaged, isStagedKeyOf } from '../bundle/staged-copies.ts';
import type { PlannedDeletion, PruneDeps, PruneItem, PruneRequest, PruneState } from './prune.ts';

/** A backup prefix as listed: its objects, and its backup.json once read (problem: why it could not be used). */
export interface Scanned {
  namespace: string;
  name: string;
  id: string;
  prefix: string;
  objects: StoredObject[];
  manifestKey?: string;
  manifest?: BackupManifest;
  problem?: string;
}

/** Items and planned deletions (see the contract above); `now` dates ages and the grace period. */
export function planPrune(
  scanned: readonly Scanned[],
  req: PruneRequest,
  store: ObjectStore,
  now: Date,
  reporter: Reporter,
): { items: PruneItem[]; planned: PlannedDeletion[] } {
  const planned: PlannedDeletion[] = [];
  const items: PruneItem[] = [];
  const candidates: Candidate[] = [];
  for (const s of scanned) {
    const idTime = backupIdTime(s.id)?.getTime() ?? 0;
    if (!s.manifestKey) {
      const item = itemOf(store, s, 'incomplete', new Date(idTime).toISOString(), idTime, now);
      const deletion = judgeIncomplete(s, item, now.getTime() - idTime >= req.incompleteGraceMs);
      if (deletion) planned.push(deletion);
      items.push(item);
      continue;
    }
    const created = s.manifest ? Date.parse(s.manifest.createdAt) : NaN;
    if (!s.manifest || Number.isNaN(created)) {
      const item = itemOf(store, s, 'unreadable', new Date(idTime).toISOString(), idTime, now);
      item.reasons = [s.problem ?? `backup.json has no valid createdAt`];
      items.push(item);
      continue;
    }
    const item = itemOf(store, s, 'complete', s.manifest.createdAt, created, now);
    candidates.push({ s, item, group: `${s.namespace}/${s.name}`, time: created, id: s.id });
    items.push(item);
  }
  planned.push(...judgeComplete(candidates, req, store.bucket, now, reporter));
  return { items, planned };
}

interface Candidate {
  s: Scanned;
  item: PruneItem;
  group: string;
  time: number;
  id: string;
}

/** A prefix without backup.json: kept while younger than the grace period, planned for deletion after. */
function judgeIncomplete(s: Scanned, item: PruneItem, pastGrace: boolean): PlannedDeletion | undefined {
  if (!pastGrace) {
    item.reasons = [`incomplete, younger than the grace period (may be running)`];
    return undefined;
  }
  item.action = 'delete';
  item.reasons = ['incomplete (no backup.json), older than the grace period'];
  return { item, manifestKey: undefined, external: new Map(), rest: s.objects.map((o) => o.key) };
}

/** Complete backups through the retention rules, per cluster: the kept ones get the rules' reasons, the rest a deletion. */
function judgeComplete(candidates: Candidate[], req: PruneRequest, bucket: string, now: Date, reporter: Reporter): PlannedDeletion[] {
  const planned: PlannedDeletion[] = [];
  for (const d of applyRetention(candidates, req.policy, now)) {
    const { s, item } = d.item;
    if (d.keep) {
      item.reasons = [...d.reasons];
      continue;
    }
    item.action = 'delete';
    item.reasons = ['no rule keeps it'];
    const external = externalObjects(s, bucket, reporter);
    item.externalObjects = [...external].flatMap(([b, keys]) => keys.map((k) => `s3://${b}/${k}`));
    const manifestKey = s.manifestKey as string;
    planned.push({ item, manifestKey, external, rest: s.objects.map((o) => o.key).filter((k) => k !== manifestKey) });
  }
  return planned;
}

/** A prefix's item before any decision: kept, no reasons yet; its objects and bytes counted. */
function itemOf(store: ObjectStore, s: Scanned, state: PruneState, createdAt: string, time: number, now: Date): PruneItem {
  return {
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
  };
}

/**
 * Every backup prefix under the search prefix, with its objects and (when it has one) its
 * backup.json read; and, apart, the staged copies under them.
 */
export async function scan(
  req: PruneRequest,
  deps: PruneDeps,
  search: string,
): Promise<{ scanned: Scanned[]; staged: StoredObject[]; hiddenStaged: StoredObject[] }> {
  const { store } = req.source;
  const byPrefix = new Map<string, Scanned>();
  const staged: StoredObject[] = [];
  const listed = await store.list(search);
  const backupOf = (key: string) => {
    const at = parseBackupObjectKey(req.source.prefix, key);
    if (!at) return undefined;
    if (req.filter.namespace && at.namespace !== req.filter.namespace) return undefined;
    if (req.filter.name && at.name !== req.filter.name) return undefined;
    return at;
  };
  for (const o of listed) {
    const at = backupOf(o.key);
    if (!at) continue;
    if (isStagedKeyOf(at.prefix, o.key)) {
      staged.push(o);
      continue;
    }
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
  const isStaged = (key: string) => {
    const at = backupOf(key);
    return at !== undefined && isStagedKeyOf(at.prefix, key);
  };
  return {
    scanned,
    staged,
    hiddenStaged: await hiddenStaged(store, search, { current: new Set(listed.map((o) => o.key)), isStaged, reporter: deps.reporter }),
  };
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
export function manifestLockOf(scanned: readonly Scanned[], p: PlannedDeletion): ObjectLock | undefined {
  const lock = scanned.find((s) => s.manifestKey !== undefined && s.manifestKey === p.manifestKey)?.manifest?.lock;
  return lock ? { mode: lock.mode, retainUntil: new Date(lock.retainUntil) } : undefined;
}

/** The invariant the rules promise: the newest complete backup of every cluster stays. */
export function assertNewestKept(items: readonly PruneItem[]): void {
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
