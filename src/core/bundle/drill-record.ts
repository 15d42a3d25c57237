/**
 * drill.json: the result of `hcp-dr drill`, written beside a backup's backup.json. Readers of a
 * backup (list, verify, etcd status --backups) show its summary; only the drill writes it. A
 * missing or foreign drill.json is "never drilled", not an error.
 */
import { NotFoundError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { backupKey } from './layout.ts';
import { readText } from './read.ts';

export const DRILL_FILE = 'drill.json';
export const DRILL_KIND = 'EtcdBackupDrill';

/** The short summary `backup list`, `backup verify` and `etcd status --backups` show for a drill.json. */
export interface DrillSummary {
  result: 'Passed' | 'Failed';
  finishedAt: string;
  rtoSeconds: number;
  /** Names of the failed checks. */
  failed: string[];
}

export function summarizeDrill(value: unknown): DrillSummary | undefined {
  const d = value as
    | {
        kind?: unknown;
        result?: unknown;
        finishedAt?: unknown;
        rto?: { rtoSeconds?: unknown };
        checks?: { name?: unknown; result?: unknown }[];
      }
    | undefined;
  if (!d || d.kind !== DRILL_KIND || (d.result !== 'Passed' && d.result !== 'Failed') || typeof d.finishedAt !== 'string') return undefined;
  return {
    result: d.result,
    finishedAt: d.finishedAt,
    rtoSeconds: typeof d.rto?.rtoSeconds === 'number' ? d.rto.rtoSeconds : 0,
    failed: Array.isArray(d.checks) ? d.checks.filter((c) => c?.result === 'fail').map((c) => String(c.name)) : [],
  };
}

/** The drill.json beside the backup at `prefix`, summarized; undefined when there is none (or it is not one). */
export async function readDrillSummary(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<DrillSummary | undefined> {
  let text: string;
  try {
    text = await readText(store, backupKey(prefix, DRILL_FILE), signal);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  try {
    return summarizeDrill(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** "Passed 2026-12-07T07:40:00Z (RTO 4.2s)", "Failed ... (secrets-decrypt)": one cell or line. */
export function drillText(d: DrillSummary | undefined): string {
  if (!d) return 'never';
  const at = d.finishedAt.replace(/\.\d{3}Z$/, 'Z');
  return d.result === 'Passed' ? `Passed ${at} (RTO ${d.rtoSeconds.toFixed(1)}s)` : `Failed ${at} (${d.failed.join(', ') || 'error'})`;
}
