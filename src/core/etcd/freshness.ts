/**
 * Backup freshness for `etcd status --backups s3://...`: the newest complete backup of a hosted
 * cluster in a bucket (a prefix holding backup.json, as `backup list` shows them), its age, and
 * whether it is older than --max-backup-age. HyperShift's own EtcdBackupSucceeded condition never
 * turns False when backups stop, so the age is what tells a stale backup.
 * URLs are the backup's s3:// prefix, never a pre-signed URL.
 */
import type { BackupList } from '../bundle/list.ts';
import type { DrillSummary } from '../bundle/drill-record.ts';

export interface NewestBackup {
  id: string;
  /** s3://bucket/.../<namespace>/<name>/<id>/: what verify and restore take. */
  url: string;
  createdAt: string;
  /** Age at the time of the status; null when backup.json's createdAt cannot be read. */
  ageSeconds: number | null;
  /** Its last `drill` (drill.json); absent when never drilled. */
  drill?: DrillSummary;
}

export interface BackupFreshness {
  /** What was searched, e.g. s3://bucket/prefix/. */
  source: string;
  newest: NewestBackup | null;
  /** --max-backup-age in seconds; null without it (then nothing is stale). */
  maxAgeSeconds: number | null;
  /** The newest backup is older than maxAgeSeconds, of unknown age, or missing. */
  stale: boolean;
  reason: string;
}

/** The freshness of namespace/name's backups in a listing (newest first, as listBackups sorts it). */
export function freshnessOf(list: BackupList, namespace: string, name: string, maxAgeSeconds?: number): BackupFreshness {
  const item = list.items.find((i) => i.namespace === namespace && i.name === name);
  const max = maxAgeSeconds ?? null;
  const base = { source: list.source, maxAgeSeconds: max };
  if (!item) {
    return {
      ...base,
      newest: null,
      stale: max !== null,
      reason: `no complete backup of ${namespace}/${name} under ${list.source}`,
    };
  }
  const ageSeconds = item.ageSeconds < 0 ? null : item.ageSeconds;
  const newest: NewestBackup = {
    id: item.id,
    url: item.url,
    createdAt: item.createdAt,
    ageSeconds,
    ...(item.drill ? { drill: item.drill } : {}),
  };
  if (ageSeconds === null) {
    return { ...base, newest, stale: max !== null, reason: `the newest backup ${item.url} has no readable createdAt` };
  }
  const stale = max !== null && ageSeconds > max;
  return {
    ...base,
    newest,
    stale,
    reason: stale
      ? `the newest backup of ${namespace}/${name} is ${ageText(ageSeconds)} old, more than --max-backup-age ${ageText(max)}: ${item.url}`
      : `the newest backup of ${namespace}/${name} is ${ageText(ageSeconds)} old: ${item.url}`,
  };
}

/** 90061 -> "1d1h1m1s": exact, so a message never rounds a stale age below its bound. */
export function ageText(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(seconds));
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join('');
}
