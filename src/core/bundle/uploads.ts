/**
 * Incomplete multipart uploads under a destination: what a killed upload leaves (its parts take
 * space and cost money, and no listing of objects shows them). `backup list` reports them;
 * `backup prune` aborts those older than a safe age (a younger one may be a backup still
 * uploading). Stores that do not list uploads are skipped: the report is then absent, not empty.
 */
import type { IncompleteUpload, ObjectStore, Reporter } from '../ports.ts';

export interface IncompleteUploadItem {
  /** s3://bucket/key of the object being uploaded. */
  url: string;
  uploadId: string;
  initiated: string | null;
  ageSeconds: number | null;
  bytes: number | null;
}

export interface IncompleteUploads {
  count: number;
  /** Bytes of the parts where the store says (null when it says for none). */
  bytes: number | null;
  oldestAgeSeconds: number | null;
  items: IncompleteUploadItem[];
}

function itemOf(store: ObjectStore, u: IncompleteUpload, now: number): IncompleteUploadItem {
  const at = u.initiated?.getTime();
  return {
    url: store.url(u.key),
    uploadId: u.uploadId,
    initiated: at === undefined ? null : new Date(at).toISOString(),
    ageSeconds: at === undefined ? null : Math.max(0, Math.round((now - at) / 1000)),
    bytes: u.bytes ?? null,
  };
}

function summarise(items: IncompleteUploadItem[]): IncompleteUploads {
  const known = items.filter((i) => i.bytes !== null);
  const ages = items.map((i) => i.ageSeconds).filter((a): a is number => a !== null);
  return {
    count: items.length,
    bytes: known.length ? known.reduce((n, i) => n + (i.bytes ?? 0), 0) : null,
    oldestAgeSeconds: ages.length ? Math.max(...ages) : null,
    items,
  };
}

async function listed(store: ObjectStore, prefix: string): Promise<IncompleteUpload[] | undefined> {
  return store.listIncompleteUploads ? store.listIncompleteUploads(prefix) : undefined;
}

/** The incomplete uploads under `prefix`, or undefined when the store does not list them. */
export async function findIncompleteUploads(store: ObjectStore, prefix: string, now: Date): Promise<IncompleteUploads | undefined> {
  const uploads = await listed(store, prefix);
  return uploads && summarise(uploads.map((u) => itemOf(store, u, now.getTime())));
}

export interface PrunedUploads {
  /** Uploads at least this old are aborted (a younger one may still be running). */
  minAgeSeconds: number;
  aborted: IncompleteUploads;
  kept: number;
}

/** Aborts (unless dryRun) the uploads under `prefix` older than minAgeMs; undefined when the store does not list them. */
export async function pruneIncompleteUploads(
  store: ObjectStore,
  prefix: string,
  options: { now: Date; minAgeMs: number; dryRun: boolean; reporter: Reporter; signal?: AbortSignal },
): Promise<PrunedUploads | undefined> {
  const uploads = await listed(store, prefix);
  if (!uploads) return undefined;
  const now = options.now.getTime();
  const old = uploads.filter((u) => u.initiated !== undefined && now - u.initiated.getTime() >= options.minAgeMs);
  for (const u of old) {
    options.signal?.throwIfAborted();
    if (options.dryRun || !store.abortIncompleteUpload) continue;
    await store.abortIncompleteUpload(u);
    options.reporter.info(`aborted the incomplete upload of ${store.url(u.key)} (started ${u.initiated?.toISOString()})`);
  }
  return {
    minAgeSeconds: Math.round(options.minAgeMs / 1000),
    aborted: summarise(old.map((u) => itemOf(store, u, now))),
    kept: uploads.length - old.length,
  };
}
