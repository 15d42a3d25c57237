/**
 * The backup as a restore needs it: verified end to end first (backup verify: SHA-256, etcd's
 * trailer, the bbolt revision and key count, backup.json's records, the key's digest), then its
 * manifests and stored Secrets/ConfigMaps read. Reads only; the stored objects hold secret
 * material and are never printed.
 */
import { createHash } from 'node:crypto';
import { PreconditionError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { ObjectStore, Reporter } from '../ports.ts';
import { BackupFiles, backupKey, joinKey, parseObjectUrl } from '../bundle/layout.ts';
import { carriedObjects } from '../bundle/requirements.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import { readManifest, readText } from '../bundle/read.ts';
import { plainStore, requireReadable, storedRecord } from '../bundle/encoded.ts';
import type { Keyring } from '../crypto/age-keys.ts';
import { verifyStoredBackup, type BackupVerification } from '../bundle/verify.ts';
import { checkBackup, refuseUnsound } from '../bundle/check.ts';
import { parseManifests } from '../objects/documents.ts';
import type { RestoreBundle } from '../contracts/restore.ts';

export interface BundleSource {
  store: ObjectStore;
  /** Key prefix of one backup, without slashes at the ends. */
  prefix: string;
  /** Opens another bucket (a backup taken with --keys-to). */
  openBucket(bucket: string): Promise<ObjectStore>;
  /** Opens an encrypted backup (--decrypt-with); a compressed or encrypted one is read decoded (bundle/encoded.ts). */
  keyring?: Keyring | undefined;
}

export interface BundleOptions {
  reporter: Reporter;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** Download and check every byte even when the stored snapshot's ETag and size match backup.json. */
  verifySnapshot?: boolean;
  /** Read the control-plane objects a move's backup carries (--with-nodes); refused when it has none. */
  controlPlaneObjects?: boolean;
}

export async function readBundle(
  source: BundleSource,
  options: BundleOptions,
): Promise<{ bundle: RestoreBundle; verification: BackupVerification | null }> {
  const src = await decodedSource(source, options.signal);
  const at = (rel: string) => (src.prefix ? `${src.prefix}/${rel}` : rel);
  const url = src.store.url(src.prefix ? `${src.prefix}/` : '');
  let verification: BackupVerification | null = null;
  // The one reader of a backup (format, identity, files), on the quick path too: only the snapshot's bytes may be skipped.
  const checked = await checkBackup(src.store, src.prefix, options.signal);
  const refusal = refuseUnsound(checked);
  if (refusal) throw refusal;
  const manifest = checked.manifest as BackupManifest;
  if (!options.verifySnapshot && (await storedAsWritten(src, manifest)))
    options.reporter.info(
      `the stored snapshot is the one the backup wrote and checked in transit (ETag ${manifest.snapshot.etag}, ${manifest.snapshot.size} bytes): not downloaded again (--verify-snapshot checks every byte)`,
    );
  else verification = await verifyStored(src, options);
  const one = async (rel: string, kind: string): Promise<KubeObject> => {
    const docs = parseManifests(await readText(src.store, at(rel), options.signal), src.store.url(at(rel)));
    const obj = docs.find((d) => d.kind === kind);
    if (!obj)
      throw new PreconditionError(`failed to read backup ${url}: ${rel} holds no ${kind}`, {
        hint: 'the backup is damaged; pick another one',
      });
    return obj;
  };
  // Everything below is independent reads: in parallel, each a round trip to the store.
  const buckets = new Map<string, Promise<ObjectStore>>();
  const storeFor = (bucket: string) => {
    if (bucket === src.store.bucket) return Promise.resolve(src.store);
    const opened = buckets.get(bucket) ?? src.openBucket(bucket);
    buckets.set(bucket, opened);
    return opened;
  };
  const carried = async (entry: ReturnType<typeof carriedObjects>[number]): Promise<RestoreBundle['objects'][number]> => {
    const location = parseObjectUrl(entry.url);
    if (!location)
      throw new PreconditionError(
        `failed to read backup ${url}: ${entry.kind} ${entry.namespace}/${entry.name} is stored at "${entry.url}", not an s3:// object URL`,
      );
    const text = await readText(await storeFor(location.bucket), location.key, options.signal);
    if (entry.sha256 && createHash('sha256').update(text).digest('hex') !== entry.sha256) {
      throw new PreconditionError(
        `failed to verify backup ${url}: the stored ${entry.kind} ${entry.namespace}/${entry.name} (${entry.url}) changed since the backup (SHA-256 differs)`,
        {
          hint: 'a changed key or PKI Secret would leave the restored data unreadable; find the original or pick another backup',
        },
      );
    }
    const obj = parseManifests(text, `${entry.role} object ${entry.namespace}/${entry.name}`).find((d) => d.kind === entry.kind);
    if (!obj) throw new PreconditionError(`failed to read backup ${url}: ${entry.url} holds no ${entry.kind}`);
    obj.metadata.namespace = entry.namespace;
    return { role: entry.role, object: obj };
  };
  const [hostedCluster, nodePools, objects, controlPlane] = await Promise.all([
    one(manifest.manifests.hostedCluster, 'HostedCluster'),
    Promise.all(manifest.manifests.nodePools.map((rel) => one(rel, 'NodePool'))),
    Promise.all(carriedObjects(manifest).map(carried)),
    options.controlPlaneObjects ? readControlPlane(src, manifest, url, options.signal) : Promise.resolve(undefined),
  ]);
  return { bundle: { url, manifest, hostedCluster, nodePools, objects, ...(controlPlane ? { controlPlane } : {}) }, verification };
}

/**
 * The source as the readers below use it: a plain backup as it is; a compressed or encrypted one
 * (backup.json `storage`) with its identity checked first (refused before anything else is read),
 * its store and other buckets decoding (plainStore), and the raw store kept for the byte-level check.
 */
async function decodedSource(src: BundleSource, signal?: AbortSignal): Promise<BundleSource & { raw?: ObjectStore }> {
  const read = await readManifest(src.store, backupKey(joinKey(src.prefix), BackupFiles.manifest), signal);
  if (!read.ok || !read.manifest.storage) return src;
  requireReadable(read.manifest, src.keyring, `backup ${src.store.url(src.prefix ? `${src.prefix}/` : '')}`);
  return {
    ...src,
    raw: src.store,
    store: plainStore(src.store, src.keyring),
    openBucket: async (bucket) => plainStore(await src.openBucket(bucket), src.keyring),
  };
}

async function verifyStored(src: BundleSource & { raw?: ObjectStore }, options: BundleOptions): Promise<BackupVerification> {
  // SHA-256 against backup.json proves the bytes; etcd's own hash would only repeat it, slower.
  // An encoded backup: the stored bytes read raw and decoded in the stream (VerifyOptions.decoding).
  const verification = await verifyStoredBackup(src.raw ?? src.store, src.prefix, {
    ...(src.raw ? { decoding: src.keyring ? { keyring: src.keyring } : {} } : {}),
    reporter: options.reporter,
    etcdHash: false,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  });
  if (verification.verdict !== 'Restorable') {
    throw new PreconditionError(`failed to verify backup ${verification.source}: ${verification.reasons.join('; ')}`, {
      hint: 'this backup cannot restore a cluster; pick another with "{cmd} backup list --from s3://..." (nothing was changed)',
    });
  }
  return verification;
}

/**
 * Whether the snapshot object is still the one the backup wrote: the store's ETag and size as
 * backup.json recorded them when the backup streamed it, SHA-256 and etcd's trailer checked on the
 * way. A copy, an overwrite or a backup without the record (older ones) is downloaded and checked.
 */
async function storedAsWritten(src: BundleSource, manifest: BackupManifest): Promise<boolean> {
  const { etag, size, file } = manifest.snapshot;
  if (!etag) return false;
  const key = src.prefix ? `${src.prefix}/${file || BackupFiles.snapshot}` : file || BackupFiles.snapshot;
  const stored = await src.store.head(key);
  // An encoded backup: the ETag is of the stored bytes, their size is backup.json's storage record's.
  const storedSize = storedRecord(manifest, src.store.url(key))?.storedSize ?? size;
  return stored !== undefined && stored.etag === etag && stored.size === storedSize;
}

/** The CAPI and platform objects of manifests/control-plane.yaml (the HostedControlPlane is the operator's: left out). */
async function readControlPlane(src: BundleSource, manifest: BackupManifest, url: string, signal?: AbortSignal): Promise<KubeObject[]> {
  const rel = manifest.manifests.controlPlane;
  if (!rel)
    throw new PreconditionError(`failed to read backup ${url}: it carries no control-plane objects (manifests/control-plane.yaml)`, {
      hint: 'only the backup of a move carries them; restore without --with-nodes (the NodePools then provision new machines)',
    });
  const key = src.prefix ? `${src.prefix}/${rel}` : rel;
  return parseManifests(await readText(src.store, key, signal), src.store.url(key)).filter((o) => o.kind !== 'HostedControlPlane');
}
