/**
 * Reading backup.json (and other small files of a bundle) back from a store.
 * Contract: readText refuses anything over 1 MiB (RemoteError); readManifest answers
 * {ok: true, manifest} or {ok: false, missing, reason} rather than throwing for a missing or
 * foreign file, and checks only what every format has (kind, apiVersion, id, createdAt,
 * hostedCluster, snapshot): fields of later formats are optional to readers (see formatOf).
 */
import { NotFoundError, RemoteError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { BACKUP_API_VERSION, BACKUP_KIND, type BackupManifest } from './manifest.ts';

/** backup.json is a few KiB; anything much larger is not ours. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

export async function readText(store: ObjectStore, key: string, signal?: AbortSignal): Promise<string> {
  const stream = await store.get(key, signal ? { signal } : {});
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MANIFEST_BYTES) {
      stream.destroy();
      throw new RemoteError(`failed to read ${store.url(key)}: larger than ${MAX_MANIFEST_BYTES} bytes, not a backup manifest`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export type ManifestRead = { ok: true; manifest: BackupManifest } | { ok: false; missing: boolean; reason: string };

/** backup.json at `key`: parsed and shape-checked, or why not (missing vs. unreadable). */
export async function readManifest(store: ObjectStore, key: string, signal?: AbortSignal): Promise<ManifestRead> {
  let text: string;
  try {
    text = await readText(store, key, signal);
  } catch (err) {
    if (err instanceof NotFoundError) return { ok: false, missing: true, reason: `no ${key.split('/').pop()} at ${store.url(key)}` };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, missing: false, reason: `${store.url(key)} is not valid JSON: ${(err as Error).message}` };
  }
  const problem = manifestProblem(parsed);
  if (problem) return { ok: false, missing: false, reason: `${store.url(key)} ${problem}` };
  return { ok: true, manifest: parsed as BackupManifest };
}

function manifestProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'is not a JSON object';
  const m = value as Record<string, unknown>;
  if (m['kind'] !== BACKUP_KIND || m['apiVersion'] !== BACKUP_API_VERSION) {
    return `is not an hcp-dr backup manifest (kind ${JSON.stringify(m['kind'])}, apiVersion ${JSON.stringify(m['apiVersion'])}; expected ${BACKUP_KIND} ${BACKUP_API_VERSION})`;
  }
  const snap = m['snapshot'] as Record<string, unknown> | undefined;
  const hc = m['hostedCluster'] as Record<string, unknown> | undefined;
  if (!snap || typeof snap['file'] !== 'string' || typeof snap['sha256'] !== 'string' || typeof snap['size'] !== 'number') {
    return 'has no valid "snapshot" section (file, sha256, size)';
  }
  if (!hc || typeof hc['namespace'] !== 'string' || typeof hc['name'] !== 'string') return 'has no valid "hostedCluster" section';
  if (typeof m['id'] !== 'string' || typeof m['createdAt'] !== 'string') return 'has no id or createdAt';
  return undefined;
}
