/**
 * The one reader of a backup: the checks `backup verify` makes on backup.json, the manifests and
 * the other files, made by every command that reads a backup (restore and move's restore, etcd
 * restore, render and export --from-backup) before it uses anything from it. Only the byte-level
 * re-read of the snapshot is left to the caller (verify.ts streams it; restore may skip it when
 * the ETag proves the object is the one the backup wrote): never these.
 *
 * Checks, each a VerifyCheck:
 *  - manifest: backup.json is an hcp-dr backup manifest (kind, apiVersion, shape);
 *  - format: written in a format this hcp-dr reads (a newer one names the version that wrote it);
 *  - identity: the cluster backup.json names is the one of the path (<root>/<ns>/<name>/<id>/)
 *    and of the HostedCluster and NodePool manifests it stores;
 *  - files: every file backup.json names is there (same bucket), the encryption key unchanged.
 */
import { NotFoundError, PreconditionError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { ObjectStore } from '../ports.ts';
import { loadAllYaml } from '../yaml.ts';
import { BackupFiles, backupKey, isRelativeKey, joinKey } from './layout.ts';
import { BACKUP_FORMAT, formatOf, type BackupManifest } from './manifest.ts';
import { readManifest, readText } from './read.ts';
import { fileChecks } from './files.ts';

export interface BundleCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BackupCheck {
  /** s3://bucket/prefix/ of the backup. */
  source: string;
  /** null when backup.json could not be read as a manifest. */
  manifest: BackupManifest | null;
  checks: BundleCheck[];
  /** The details of the failed checks (empty: sound). */
  reasons: string[];
}

/**
 * Reads backup.json under `prefix` and checks it, the manifests and the files against each other.
 * Throws (PreconditionError) only when there is no backup.json at all; the rest is the result.
 */
export async function checkBackup(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<BackupCheck> {
  const base = joinKey(prefix);
  const at = (rel: string) => backupKey(base, rel);
  const source = store.url(base ? `${base}/` : '');
  const read = await readManifest(store, at(BackupFiles.manifest), signal);
  if (!read.ok && read.missing) {
    throw new PreconditionError(`not a backup: no backup.json at ${source}`, {
      hint: 'pass the prefix of one backup, as "{cmd} backup list --from s3://<bucket>/<prefix>" prints it; a prefix without backup.json is an unfinished backup',
    });
  }
  if (!read.ok) return done(source, null, [{ name: 'manifest', ok: false, detail: read.reason }]);
  const m = read.manifest;
  const checks: BundleCheck[] = [
    { name: 'manifest', ok: true, detail: `backup.json of ${m.hostedCluster.namespace}/${m.hostedCluster.name}, id ${m.id}` },
  ];
  const format = formatOf(m);
  if (format > BACKUP_FORMAT) {
    checks.push({
      name: 'format',
      ok: false,
      detail: `backup.json is format ${format}, written by hcp-dr ${m.toolVersion || '(unknown version)'}; this hcp-dr reads formats up to ${BACKUP_FORMAT}`,
    });
    return done(source, m, checks);
  }
  if (typeof m.manifests?.hostedCluster !== 'string' || !Array.isArray(m.manifests.nodePools)) {
    checks.push({ name: 'manifests', ok: false, detail: 'backup.json names no HostedCluster and NodePool manifests (manifests section)' });
    return done(source, m, checks);
  }
  if (!isRelativeKey(m.snapshot.file))
    checks.push({
      name: 'snapshot',
      ok: false,
      detail: `backup.json names the snapshot "${m.snapshot.file}", which is not a file of this backup`,
    });
  checks.push(await identityCheck(store, base, m, signal));
  checks.push(...(await fileChecks(store, m, at, signal)));
  return done(source, m, checks);
}

/** The check's refusal, for commands that change something: one line, a hint that runs. */
export function refuseUnsound(c: BackupCheck): PreconditionError | undefined {
  if (c.reasons.length === 0) return undefined;
  const format = c.checks.find((x) => x.name === 'format' && !x.ok);
  return new PreconditionError(`failed to verify backup ${c.source}: ${c.reasons.join('; ')}`, {
    hint: format
      ? `upgrade to hcp-dr ${c.manifest?.toolVersion || '(backup.json "toolVersion")'} or newer ("kubectl krew upgrade hcp-dr"), then run this command again; nothing was changed`
      : `this backup cannot be used as it is; check it with "{cmd} backup verify ${c.source}" and pick another with "{cmd} backup list --from ${c.source.replace(/(\/[^/]+){3}\/?$/, '')}" (nothing was changed)`,
  });
}

function done(source: string, manifest: BackupManifest | null, checks: BundleCheck[]): BackupCheck {
  return { source, manifest, checks, reasons: checks.filter((c) => !c.ok).map((c) => c.detail) };
}

/** backup.json, its path and its stored manifests name one cluster. */
async function identityCheck(store: ObjectStore, base: string, m: BackupManifest, signal?: AbortSignal): Promise<BundleCheck> {
  const { namespace, name } = m.hostedCluster;
  const problems: string[] = [];
  const parts = base.split('/').filter(Boolean);
  // <root>/<namespace>/<name>/<id>: a backup copied elsewhere keeps these three segments.
  if (parts.length >= 3) {
    const [ns, n, id] = parts.slice(-3);
    if (id === m.id && (ns !== namespace || n !== name)) problems.push(`its path names ${ns}/${n}`);
  }
  const manifests = [m.manifests?.hostedCluster, ...(m.manifests?.nodePools ?? [])];
  if (manifests.some((rel) => typeof rel !== 'string' || !isRelativeKey(rel)))
    problems.push('backup.json names manifests outside the backup');
  else {
    const objects = await Promise.all(manifests.map((rel) => firstObject(store, backupKey(base, rel), signal)));
    // A file that is not a Kubernetes object is the reader's to refuse (it holds no HostedCluster): only names are compared here.
    const [hc, ...pools] = objects.map((o) => (o?.metadata && typeof o.metadata === 'object' ? o : undefined));
    if (hc && (hc.metadata?.namespace ?? namespace) !== namespace)
      problems.push(`its HostedCluster manifest is of namespace ${hc.metadata.namespace}`);
    if (hc && hc.metadata?.name !== name) problems.push(`its HostedCluster manifest is ${hc.metadata?.namespace}/${hc.metadata?.name}`);
    for (const np of pools) {
      const cluster = (np?.['spec'] as { clusterName?: string } | undefined)?.clusterName;
      if (np && ((np.metadata?.namespace ?? namespace) !== namespace || (cluster !== undefined && cluster !== name)))
        problems.push(`NodePool ${np.metadata?.namespace}/${np.metadata?.name} belongs to ${np.metadata?.namespace}/${cluster ?? '?'}`);
    }
  }
  return problems.length === 0
    ? { name: 'identity', ok: true, detail: `path, backup.json and manifests name ${namespace}/${name}` }
    : { name: 'identity', ok: false, detail: `backup.json names ${namespace}/${name}, but ${problems.join('; ')}` };
}

/** The first object of a stored manifest; undefined when missing or unreadable (the files check names it). */
async function firstObject(store: ObjectStore, key: string, signal?: AbortSignal): Promise<KubeObject | undefined> {
  try {
    const docs = loadAllYaml(await readText(store, key, signal), store.url(key));
    const obj = docs[0] as KubeObject | undefined;
    return obj && typeof obj === 'object' ? obj : undefined;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    return undefined;
  }
}
