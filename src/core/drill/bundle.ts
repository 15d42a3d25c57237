/**
 * What a drill reads from the backup besides the snapshot: backup.json, the AES-CBC key and the
 * carried CA and service-account Secrets. Held in memory only, never written or printed. Secrets
 * stored in another bucket (--keys-to) are reported as not read rather than fetched with other
 * credentials.
 */
import { NotFoundError, PreconditionError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { loadAllYaml } from '../yaml.ts';
import { BackupFiles, backupKey, parseObjectUrl } from '../bundle/layout.ts';
import type { BackupManifest, StoredSecretRef } from '../bundle/manifest.ts';
import { readManifest, readText } from '../bundle/read.ts';
import { CONTROL_PLANE_CA_SECRETS, SERVICE_ACCOUNT_KEY_SECRET } from '../bundle/control-plane-secrets.ts';

export interface DrillBundle {
  manifest: BackupManifest;
  /** The AES-CBC key (32 bytes), when the backup is aescbc and the key was readable. */
  aescbcKey?: Buffer;
  /** Why the key is absent: "kms", "none", or a reading problem. */
  keyProblem?: string;
  /** Carried CA Secrets: name -> ca.crt and ca.key (PEM), or why they could not be read. */
  cas: { name: string; cert?: string; key?: string; problem?: string }[];
  /** The service-account key pair, when carried. */
  serviceAccount?: { privateKey?: string; publicKey?: string; problem?: string };
}

/** backup.json at `prefix`; PreconditionError when there is none (nothing to drill). */
export async function readDrillManifest(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<BackupManifest> {
  const read = await readManifest(store, backupKey(prefix, BackupFiles.manifest), signal);
  if (!read.ok)
    throw new PreconditionError(`failed to drill ${store.url(prefix)}/: ${read.reason}`, {
      hint: 'pass a backup prefix as "backup list" prints it: s3://<bucket>/<prefix>/<namespace>/<name>/<id>/',
    });
  return read.manifest;
}

/** The key and the carried Secrets, read concurrently (each a small object of its own). */
export async function readDrillBundle(store: ObjectStore, manifest: BackupManifest, signal?: AbortSignal): Promise<DrillBundle> {
  const enc = manifest.encryption ?? { type: 'none' };
  const carried = (manifest.secrets ?? []).filter((s) => s.role === 'pki');
  const caRefs = CONTROL_PLANE_CA_SECRETS.flatMap((name) => carried.filter((s) => s.name === name).slice(0, 1));
  const saRef = carried.find((s: StoredSecretRef) => s.name === SERVICE_ACCOUNT_KEY_SECRET);
  const [keySecret, caSecrets, saSecret] = await Promise.all([
    enc.type === 'aescbc' ? secretData(store, enc.keyUrl, signal) : undefined,
    Promise.all(caRefs.map((ref) => secretData(store, ref.url, signal))),
    saRef ? secretData(store, saRef.url, signal) : undefined,
  ]);
  const out: DrillBundle = { manifest, cas: [] };
  if (enc.type === 'aescbc') {
    const key = keySecret?.data?.['key'];
    if (key) out.aescbcKey = Buffer.from(key, 'base64');
    else out.keyProblem = keySecret?.problem ?? `the key Secret ${enc.keyUrl} has no data.key`;
  } else out.keyProblem = enc.type;
  caRefs.forEach((ref, i) => {
    const s = caSecrets[i]!;
    const cert = s.data?.['ca.crt'];
    const key = s.data?.['ca.key'];
    out.cas.push({
      name: ref.name,
      ...(cert ? { cert: Buffer.from(cert, 'base64').toString('utf8') } : {}),
      ...(key ? { key: Buffer.from(key, 'base64').toString('utf8') } : {}),
      ...(s.problem ? { problem: s.problem } : !cert || !key ? { problem: 'lacks ca.crt or ca.key' } : {}),
    });
  });
  if (saSecret) {
    const priv = saSecret.data?.['service-account.key'];
    const pub = saSecret.data?.['service-account.pub'];
    out.serviceAccount = {
      ...(priv ? { privateKey: Buffer.from(priv, 'base64').toString('utf8') } : {}),
      ...(pub ? { publicKey: Buffer.from(pub, 'base64').toString('utf8') } : {}),
      ...(saSecret.problem
        ? { problem: saSecret.problem }
        : !priv || !pub
          ? { problem: 'lacks service-account.key or service-account.pub' }
          : {}),
    };
  }
  return out;
}

/** A stored Secret manifest's data, or why it could not be read (another bucket, missing, not a Secret). */
async function secretData(
  store: ObjectStore,
  url: string,
  signal?: AbortSignal,
): Promise<{ data?: Record<string, string>; problem?: string }> {
  const at = parseObjectUrl(url);
  if (!at || at.bucket !== store.bucket) return { problem: `${url} is in another bucket (--keys-to): not read` };
  try {
    const [doc] = loadAllYaml(await readText(store, at.key, signal), url) as { kind?: string; data?: Record<string, string> }[];
    if (doc?.kind !== 'Secret') return { problem: `${url} is not a Secret manifest` };
    return { data: doc.data ?? {} };
  } catch (err) {
    if (err instanceof NotFoundError) return { problem: `${url} is missing` };
    return { problem: `${url}: ${(err as Error).message}` };
  }
}
