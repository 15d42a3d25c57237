/**
 * Reads what `export` carries from a backup bundle (src/core/bundle/): backup.json
 * first (a prefix without it is not a backup), then the HostedCluster and NodePool manifests
 * and the Secrets and ConfigMaps the bundle holds. Referenced objects the bundle does not hold
 * (before backup.json format 2: pull secret, SSH key, ConfigMaps) are reported as missing: the
 * tree lists them as required.
 */
import type { Readable } from 'node:stream';
import { NotFoundError, PreconditionError, causeText } from '../errors.ts';
import { controlPlaneNamespace, type KubeObject } from '../model.ts';
import type { ObjectStore } from '../ports.ts';
import { loadAllYaml } from '../yaml.ts';
import { BackupFiles, backupKey, parseObjectUrl } from '../bundle/layout.ts';
import { BACKUP_KIND, type BackupManifest } from '../bundle/manifest.ts';
import { checkBackup, refuseUnsound } from '../bundle/check.ts';
import { collectReferences } from '../controlplane/references.ts';
import type { ExportInput, MissingRef } from './types.ts';

export interface BackupSourceOptions {
  /** Key prefix of the backup (…/<namespace>/<name>/<id>), without trailing slash. */
  prefix: string;
  withControlPlane: boolean;
}

async function readText(store: ObjectStore, key: string): Promise<string> {
  const stream: Readable = await store.get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

async function readObject(store: ObjectStore, key: string): Promise<KubeObject> {
  const docs = loadAllYaml(await readText(store, key), store.url(key));
  const obj = docs[0] as KubeObject | undefined;
  if (!obj || typeof obj !== 'object' || !obj.metadata)
    throw new PreconditionError(`failed to read ${store.url(key)}: not a Kubernetes object`, {
      hint: 'check the backup with "{cmd} backup verify"',
    });
  return obj;
}

/** The --to root a backup's prefix (<root>/<namespace>/<name>/<id>) was written under. */
function backupRoot(prefix: string): string {
  return prefix.split('/').slice(0, -3).join('/');
}

/** backup.json of the backup at `prefix`, refused (with where to look instead) when missing, unreadable or not hcp-dr's. */
async function readBackupManifest(store: ObjectStore, prefix: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readText(store, backupKey(prefix, BackupFiles.manifest))) as BackupManifest;
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new PreconditionError(`failed to export from ${store.url(prefix + '/')}: no ${BackupFiles.manifest} (not a complete backup)`, {
        hint: `list complete backups with "{cmd} backup list --from ${store.url(backupRoot(prefix))}"`,
      });
    }
    if (err instanceof SyntaxError)
      throw new PreconditionError(
        `failed to export from ${store.url(prefix + '/')}: ${BackupFiles.manifest} is not valid JSON: ${causeText(err)}`,
        { hint: `check the backup with "{cmd} backup verify ${store.url(prefix + '/')}"` },
      );
    throw err;
  }
  if (manifest.kind !== BACKUP_KIND || !manifest.hostedCluster) {
    throw new PreconditionError(
      `failed to export from ${store.url(prefix + '/')}: ${BackupFiles.manifest} is not an hcp-dr backup manifest`,
      { hint: `pass a URL that "{cmd} backup list --from ${store.url(backupRoot(prefix))}" shows` },
    );
  }
  return manifest;
}

export async function loadFromBackup(store: ObjectStore, opts: BackupSourceOptions): Promise<ExportInput> {
  const prefix = opts.prefix.replace(/\/+$/, '');
  const manifest = await readBackupManifest(store, prefix);
  // The one reader of a backup: format, identity (path, backup.json, manifests) and files, as `backup verify` checks them.
  const refusal = refuseUnsound(await checkBackup(store, prefix));
  if (refusal) throw refusal;
  const { namespace, name } = manifest.hostedCluster;
  const hostedCluster = await readObject(store, backupKey(prefix, manifest.manifests.hostedCluster));
  const nodePools = await Promise.all(manifest.manifests.nodePools.map((k) => readObject(store, backupKey(prefix, k))));
  const warnings: string[] = [];
  const cpNamespace = manifest.hostedCluster.controlPlaneNamespace || controlPlaneNamespace(namespace, name);
  const stored = new Map<string, KubeObject>();
  const storedConfigMaps = new Map<string, KubeObject>();
  for (const [kind, refs, into] of [
    ['Secret', manifest.secrets ?? [], stored],
    ['ConfigMap', manifest.configMaps ?? [], storedConfigMaps],
  ] as const) {
    for (const ref of refs) {
      const location = parseObjectUrl(ref.url);
      if (!location || location.bucket !== store.bucket) {
        warnings.push(`${kind} ${ref.namespace}/${ref.name} is stored in another bucket (${ref.url.replace(/\/[^/]*$/, '/')}): not read`);
        continue;
      }
      into.set(`${ref.namespace}/${ref.name}`, await readObject(store, location.key));
    }
  }
  const refs = collectReferences(hostedCluster, nodePools);
  const references: KubeObject[] = [];
  const missing: MissingRef[] = [];
  for (const ref of refs) {
    const obj = (ref.kind === 'Secret' ? stored : storedConfigMaps).get(`${namespace}/${ref.name}`);
    if (obj) references.push(obj);
    else missing.push({ ...ref, namespace });
  }
  const controlPlane: KubeObject[] = [];
  if (opts.withControlPlane) {
    controlPlane.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: cpNamespace } });
    for (const [key, obj] of [...stored.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (key.startsWith(`${cpNamespace}/`)) controlPlane.push(obj);
    }
    warnings.push(
      'a backup bundle holds no control-plane objects besides its PKI Secrets: only those are exported with --with-control-plane',
    );
  }
  return {
    origin: {
      source: 'backup',
      location: store.url(prefix + '/'),
      backupId: manifest.id,
      backupCreatedAt: manifest.createdAt,
      etcdRevision: manifest.snapshot?.revision ?? null,
      snapshotSha256: manifest.snapshot?.sha256 ?? null,
    },
    namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    hostedCluster,
    nodePools,
    references,
    refs,
    missing,
    controlPlane,
    warnings,
  };
}
