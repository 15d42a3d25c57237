/**
 * The backup as a restore needs it: verified end to end first (backup verify: SHA-256, etcd's
 * trailer, the bbolt revision and key count, backup.json's records, the key's digest), then its
 * manifests and stored Secrets/ConfigMaps read. Reads only; the stored objects hold secret
 * material and are never printed.
 */
import { PreconditionError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { ObjectStore, Reporter } from '../ports.ts';
import { BackupFiles } from '../bundle/layout.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import { readText } from '../bundle/read.ts';
import { verifyStoredBackup, type BackupVerification } from '../bundle/verify.ts';
import { parseManifests } from '../render/documents.ts';
import type { RestoreBundle } from './types.ts';

export interface BundleSource {
  store: ObjectStore;
  /** Key prefix of one backup, without slashes at the ends. */
  prefix: string;
  /** Opens another bucket (a backup taken with --keys-to). */
  openBucket(bucket: string): Promise<ObjectStore>;
}

export interface BundleOptions {
  reporter: Reporter;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

/** One entry of backup.json that names a stored object: secrets[] and any later sections. */
interface StoredEntry {
  namespace: string;
  name: string;
  role: string;
  url: string;
}

export async function readBundle(src: BundleSource, options: BundleOptions): Promise<{ bundle: RestoreBundle; verification: BackupVerification }> {
  const verification = await verifyStoredBackup(src.store, src.prefix, {
    reporter: options.reporter,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  });
  if (verification.verdict !== 'Restorable') {
    throw new PreconditionError(`failed to verify backup ${verification.source}: ${verification.reasons.join('; ')}`, {
      hint: 'this backup cannot restore a cluster; pick another with "{cmd} backup list --from s3://..." (nothing was changed)',
    });
  }
  const at = (rel: string) => (src.prefix ? `${src.prefix}/${rel}` : rel);
  const url = src.store.url(src.prefix ? `${src.prefix}/` : '');
  const manifest = JSON.parse(await readText(src.store, at(BackupFiles.manifest), options.signal)) as BackupManifest;
  const one = async (rel: string, kind: string): Promise<KubeObject> => {
    const docs = parseManifests(await readText(src.store, at(rel), options.signal), src.store.url(at(rel)));
    const obj = docs.find((d) => d.kind === kind);
    if (!obj) throw new PreconditionError(`failed to read backup ${url}: ${rel} holds no ${kind}`, { hint: 'the backup is damaged; pick another one' });
    return obj;
  };
  const hostedCluster = await one(manifest.manifests.hostedCluster, 'HostedCluster');
  const nodePools = await Promise.all(manifest.manifests.nodePools.map((rel) => one(rel, 'NodePool')));

  const objects: RestoreBundle['objects'] = [];
  for (const entry of storedEntries(manifest)) {
    const location = /^s3:\/\/([^/]+)\/(.+)$/.exec(entry.url);
    if (!location) throw new PreconditionError(`failed to read backup ${url}: ${entry.namespace}/${entry.name} is stored at "${entry.url}", not an s3:// object URL`);
    const [, bucket = '', key = ''] = location;
    const store = bucket === src.store.bucket ? src.store : await src.openBucket(bucket);
    const docs = parseManifests(await readText(store, key, options.signal), `${entry.role} object ${entry.namespace}/${entry.name}`);
    const obj = docs.find((d) => d.kind === 'Secret' || d.kind === 'ConfigMap');
    if (!obj) throw new PreconditionError(`failed to read backup ${url}: ${entry.url} holds no Secret or ConfigMap`);
    obj.metadata.namespace = entry.namespace;
    objects.push({ role: entry.role, object: obj });
  }
  return { bundle: { url, manifest, hostedCluster, nodePools, objects }, verification };
}

/** Every stored object backup.json names; sections added by later versions are read the same way. */
function storedEntries(manifest: BackupManifest): StoredEntry[] {
  const sections = [manifest.secrets, (manifest as unknown as Record<string, unknown>)['configMaps'], (manifest as unknown as Record<string, unknown>)['references']];
  const seen = new Set<string>();
  const out: StoredEntry[] = [];
  for (const section of sections) {
    if (!Array.isArray(section)) continue;
    for (const e of section as Partial<StoredEntry>[]) {
      if (typeof e.url !== 'string' || typeof e.name !== 'string' || typeof e.namespace !== 'string') continue;
      if (seen.has(e.url)) continue;
      seen.add(e.url);
      out.push({ namespace: e.namespace, name: e.name, role: e.role ?? 'reference', url: e.url });
    }
  }
  return out;
}
