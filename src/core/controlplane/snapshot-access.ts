/**
 * Whether a restore can get its snapshot: the checks restore's and move's preflights share.
 * HyperShift's etcd-init fetches restoreSnapshotURL with plain curl, and the HostedCluster CRD
 * takes one item of at most 1024 characters matching ^(https|s3)://, so only an https URL
 * pre-signed with credentials that live long enough restores anything. A URL is a credential:
 * messages show it redacted and never whole.
 */
import { redactUrl } from '../redact.ts';
import type { ObjectStore } from '../ports.ts';

/** items MaxLength of spec.etcd.managed.storage.restoreSnapshotURL in both CRDs (as render's checkSnapshotUrl). */
export const MAX_SNAPSHOT_URL_LENGTH = 1024;

export interface UrlProblem {
  /** What is wrong, for "failed to ...: <cause>". */
  cause: string;
  hint: string;
}

/** Why a pre-signed snapshot URL cannot restore a cluster, or undefined when it can. */
export function snapshotUrlProblem(url: string): UrlProblem | undefined {
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'https')
    return {
      cause: `the store gives "${redactUrl(url).slice(0, 80)}...", and the HostedCluster CRD and etcd-init need an https:// URL`,
      hint: 'use an https S3 endpoint (--endpoint https://...)',
    };
  if (url.length > MAX_SNAPSHOT_URL_LENGTH)
    return {
      cause: `the URL is ${url.length} characters and the HostedCluster CRD accepts at most ${MAX_SNAPSHOT_URL_LENGTH}`,
      hint: 'sign with long-lived credentials (a session token makes pre-signed URLs much longer), or use a shorter bucket name and prefix',
    };
  return undefined;
}

/**
 * Pre-signs a URL for `key` exactly as the restore will sign the snapshot (same store, so the
 * same credentials, endpoint and lifetime) and checks it. The key need not exist: signing is
 * local, and its length depends on the key's length only, so pass the longest key the restore uses.
 * `url` is a credential: for snapshot-trust.ts's probe only, never shown.
 */
export async function probeSnapshotUrl(
  store: ObjectStore,
  key: string,
  expiresInSeconds: number,
): Promise<{ length: number; problem: UrlProblem | undefined; url: string }> {
  const url = await store.presignGet(key, expiresInSeconds);
  return { length: url.length, problem: snapshotUrlProblem(url), url };
}

/**
 * Writes a small object under `prefix`, reads it back and deletes it: the bucket is writable and
 * readable with these credentials. Returns the failure as text (never throws for a store error).
 */
export async function probeBucket(store: ObjectStore, prefix: string, id: string): Promise<string | undefined> {
  const key = `${prefix ? `${prefix}/` : ''}.hcp-dr-probe-${id}`;
  const body = `hcp-dr preflight probe ${id}\n`;
  try {
    await store.put(key, body);
    const stream = await store.get(key);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
    if (Buffer.concat(chunks).toString() !== body) return `${store.url(key)} read back other bytes than were written`;
    return undefined;
  } catch (err) {
    return `${store.url(key)}: ${(err as Error).message}`;
  } finally {
    await store.delete(key).catch(() => undefined);
  }
}
