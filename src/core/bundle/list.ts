/**
 * `backup list`: the complete backups under a destination. A backup is a prefix
 * <prefix>/<namespace>/<name>/<id>/ holding backup.json (written last; see bundle/layout.ts);
 * prefixes without it (running or interrupted backups) are never listed. Newest first. A backup
 * with a staged plaintext copy of its snapshot beside it (a restore's or render's, staging.ts)
 * names each copy with its expiry: plaintext of an encrypted backup exists in the bucket.
 */
import type { Clock, OpenedStore, Reporter } from '../ports.ts';
import { listPrefix, parseBackupObjectKey, parseManifestKey } from './layout.ts';
import { BACKUP_API_VERSION, type BackupLock, type BackupMode } from './manifest.ts';
import { readManifest } from './read.ts';
import { forEachBounded } from '../concurrency.ts';
import { DRILL_FILE, readDrillSummary, type DrillSummary } from './drill-record.ts';
import { findIncompleteUploads, type IncompleteUploads } from './uploads.ts';
import { describeStaged, hiddenCopy, hiddenStaged, isStagedKeyOf, type StagedCopy } from './staged-copies.ts';

export interface BackupListItem {
  /** The backup's prefix, s3://bucket/.../<id>/: what verify and restore take. */
  url: string;
  id: string;
  namespace: string;
  name: string;
  createdAt: string;
  ageSeconds: number;
  mode: BackupMode;
  revision: number;
  totalKeys: number;
  size: number;
  etcdVersion: string;
  toolVersion: string;
  /** S3 Object Lock as backup.json records it (backup --lock-days); absent when written without. */
  lock?: BackupLock;
  /** Client-side encoding as backup.json records it (backup --compress/--encrypt-to): public keys only. */
  compression?: 'zstd';
  encryption?: { format: 'age'; recipients: string[] };
  /** The last `drill` of this backup (drill.json beside backup.json); absent when never drilled. */
  drill?: DrillSummary;
  /** Staged plaintext copies of its snapshot (bundle/staging.ts), each with when `backup prune` may delete it; absent when none. */
  stagedCopies?: StagedCopy[];
}

export interface BackupList {
  apiVersion: typeof BACKUP_API_VERSION;
  kind: 'BackupList';
  /** What was searched, e.g. s3://bucket/prefix/ns/. */
  source: string;
  items: BackupListItem[];
  /** backup.json files that could not be read as manifests. */
  skipped: { url: string; reason: string }[];
  /** Multipart uploads under the search prefix never completed nor aborted (absent: the store does not list them). */
  incompleteUploads?: IncompleteUploads;
}

export interface ListFilter {
  namespace?: string;
  name?: string;
}

export interface ListDeps {
  clock: Clock;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Manifests read in parallel (default 8). */
  concurrency?: number;
  /** Also report the incomplete multipart uploads under the prefix (`backup list`; a freshness check does not need them). */
  withIncompleteUploads?: boolean;
  /** Also look for staged copies only a delete marker hides (one ListObjectVersions on a versioned bucket; `backup list`). */
  withHiddenStaged?: boolean;
}

export async function listBackups(dest: OpenedStore, filter: ListFilter, deps: ListDeps): Promise<BackupList> {
  const { store } = dest;
  // Narrow the listing when the filter allows it; the name alone cannot narrow (namespace comes first).
  const search = listPrefix(dest.prefix, filter.namespace, filter.name);
  const objects = await store.list(search);
  const found: { key: string; prefix: string }[] = [];
  for (const o of objects) {
    const at = parseManifestKey(dest.prefix, o.key);
    if (!at) continue;
    if (filter.namespace && at.namespace !== filter.namespace) continue;
    if (filter.name && at.name !== filter.name) continue;
    found.push({ key: o.key, prefix: at.prefix });
  }
  // drill.json is read only where the listing shows one: no request per backup that was never drilled.
  const drilled = new Set(objects.filter((o) => o.key.endsWith(`/${DRILL_FILE}`)).map((o) => o.key.slice(0, -DRILL_FILE.length - 1)));
  const now = deps.clock.now().getTime();
  const listedPrefixes = new Set(found.map((f) => f.prefix));
  const hidden = deps.withHiddenStaged
    ? await hiddenStaged(store, search, {
        current: new Set(objects.map((o) => o.key)),
        isStaged: (key) => {
          const at = parseBackupObjectKey(dest.prefix, key);
          return at !== undefined && listedPrefixes.has(at.prefix) && isStagedKeyOf(at.prefix, key);
        },
        ...(deps.reporter ? { reporter: deps.reporter } : {}),
      })
    : [];
  const items: BackupListItem[] = [];
  const skipped: BackupList['skipped'] = [];
  await forEachBounded(found, deps.concurrency ?? 8, async (f) => {
    const read = await readManifest(store, f.key, deps.signal);
    const url = store.url(`${f.prefix}/`);
    if (!read.ok) {
      skipped.push({ url, reason: read.reason });
      deps.reporter?.warn(`skipping ${url}: ${read.reason}`);
      return;
    }
    const m = read.manifest;
    const created = Date.parse(m.createdAt);
    const drill = drilled.has(f.prefix) ? await readDrillSummary(store, f.prefix, deps.signal) : undefined;
    const staged = objects.filter((o) => isStagedKeyOf(f.prefix, o.key));
    const stagedCopies = [
      ...(staged.length > 0 ? await describeStaged(store, staged) : []),
      ...hidden.filter((h) => isStagedKeyOf(f.prefix, h.key)).map((h) => hiddenCopy(store, h)),
    ];
    items.push({
      url,
      id: m.id,
      namespace: m.hostedCluster.namespace,
      name: m.hostedCluster.name,
      createdAt: m.createdAt,
      ageSeconds: Number.isNaN(created) ? -1 : Math.max(0, Math.round((now - created) / 1000)),
      mode: m.mode,
      revision: m.snapshot.revision,
      totalKeys: m.snapshot.totalKeys,
      size: m.snapshot.size,
      etcdVersion: m.etcd?.version ?? '',
      toolVersion: m.toolVersion ?? '',
      ...(m.lock ? { lock: m.lock } : {}),
      ...(m.storage?.compression ? { compression: m.storage.compression } : {}),
      ...(m.storage?.encryption ? { encryption: m.storage.encryption } : {}),
      ...(drill ? { drill } : {}),
      ...(stagedCopies.length > 0 ? { stagedCopies } : {}),
    });
  });
  items.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  skipped.sort((a, b) => a.url.localeCompare(b.url));
  const uploads = deps.withIncompleteUploads ? await findIncompleteUploads(store, search, deps.clock.now()) : undefined;
  return {
    apiVersion: BACKUP_API_VERSION,
    kind: 'BackupList',
    source: store.url(search),
    items,
    skipped,
    ...(uploads ? { incompleteUploads: uploads } : {}),
  };
}
