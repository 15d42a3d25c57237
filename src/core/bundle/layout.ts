/**
 * The backup bundle's layout in an object store: the ONE place that builds backup ids,
 * prefixes and file names. Everything else asks this module, so backup, list, verify,
 * export, render and restore agree on where things are.
 *
 *   <root>/<namespace>/<name>/<id>/            a backup (<id> = <UTC time>-<6 hex>)
 *     backup.json                              written LAST: a prefix without it is no backup
 *     snapshot.db                              the etcd snapshot (bbolt + SHA-256 trailer)
 *     manifests/hostedcluster.yaml             the HostedCluster as captured (server fields stripped)
 *     manifests/nodepools/<nodepool>.yaml
 *     manifests/control-plane.yaml             a move's: HostedControlPlane, CAPI and platform objects
 *     secrets/<name>.yaml                      Secrets (key, PKI, referenced); secrets/<namespace>/<name>.yaml
 *                                              when two carried Secrets share a name
 *     configmaps/<name>.yaml                   referenced ConfigMaps (backup.json format 2)
 *   <keys root>/<namespace>/<name>/<id>/secrets/...   the Secrets instead, with --keys-to
 *
 * Contract: readers never compute a Secret's or ConfigMap's key: they take the URL backup.json
 * records (it may name another bucket). Ids sort by time. Keys never start or end with '/'.
 */

/** File names inside a backup prefix. */
export const BackupFiles = {
  manifest: 'backup.json',
  snapshot: 'snapshot.db',
  hostedCluster: 'manifests/hostedcluster.yaml',
  nodePool: (name: string) => `manifests/nodepools/${name}.yaml`,
  /** The control-plane objects a move carries, one multi-document YAML (cleaned as export cleans). */
  controlPlane: 'manifests/control-plane.yaml',
  /** Secrets are stored as Secret manifests (YAML), one per file. */
  secret: (name: string) => `secrets/${name}.yaml`,
  /** The same, qualified by namespace when two carried Secrets share a name. */
  namespacedSecret: (namespace: string, name: string) => `secrets/${namespace}/${name}.yaml`,
  configMap: (name: string) => `configmaps/${name}.yaml`,
} as const;

/** The file of each carried Secret, in order: secrets/<name>.yaml, or secrets/<namespace>/<name>.yaml for a name two of them share. */
export function secretFiles(secrets: readonly { namespace: string; name: string }[]): string[] {
  const count = new Map<string, number>();
  for (const s of secrets) count.set(s.name, (count.get(s.name) ?? 0) + 1);
  return secrets.map((s) =>
    (count.get(s.name) ?? 0) > 1 ? BackupFiles.namespacedSecret(s.namespace, s.name) : BackupFiles.secret(s.name),
  );
}

/** `<UTC time>-<6 hex>`, e.g. 20261121T160800Z-3f9a1c: sorts by time, unique enough for one cluster's backups. */
export function newBackupId(now: Date, random: () => number = Math.random): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  const suffix = Math.floor(random() * 0x1000000)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${suffix}`;
}

/** Shown where the id is not known yet (a dry-run plan). */
export const BACKUP_ID_PLACEHOLDER = '<UTC time>-<id>';

/** Joins key segments, dropping empty ones and stray slashes at their ends. */
export function joinKey(...parts: (string | undefined)[]): string {
  return parts
    .map((p) => (p ?? '').replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
}

/** The key prefix of one backup: `<root>/<namespace>/<name>/<id>` (no trailing slash). */
export function backupPrefix(root: string, namespace: string, name: string, id: string): string {
  return joinKey(root, namespace, name, id);
}

/** Where the Secrets of a backup go under a --keys-to root: the same relative path as the backup. */
export function keysPrefix(keysRoot: string, namespace: string, name: string, id: string): string {
  return backupPrefix(keysRoot, namespace, name, id);
}

/** The key of a file of the backup at `prefix` (`rel` is one of BackupFiles). */
export function backupKey(prefix: string, rel: string): string {
  return joinKey(prefix, rel);
}

/** The root (what --to named) of a backup prefix `<root>/<namespace>/<name>/<id>`; '' for the bucket root or a shorter prefix. */
export function backupRootOf(prefix: string): string {
  const parts = joinKey(prefix).split('/').filter(Boolean);
  return parts.length > 3 ? parts.slice(0, -3).join('/') : '';
}

/** A key that stays inside its backup: no absolute path, no '.', '..' or empty segment. */
export function isRelativeKey(rel: string): boolean {
  return rel !== '' && !rel.startsWith('/') && !rel.split('/').some((s) => s === '' || s === '.' || s === '..');
}

/** Where listing starts: the root, narrowed by namespace and (with a namespace) name. */
export function listPrefix(root: string, namespace?: string, name?: string): string {
  const narrowed = joinKey(root, namespace, namespace ? name : undefined);
  return narrowed ? `${narrowed}/` : '';
}

export interface ManifestLocation {
  namespace: string;
  name: string;
  id: string;
  /** The backup's prefix (key of its folder, no trailing slash). */
  prefix: string;
}

/** For a listed key under `root`: the backup it is the backup.json of, or undefined. */
export function parseManifestKey(root: string, key: string): ManifestLocation | undefined {
  const base = joinKey(root);
  if (base && !key.startsWith(`${base}/`)) return undefined;
  const parts = (base ? key.slice(base.length + 1) : key).split('/');
  if (parts.length !== 4 || parts[3] !== BackupFiles.manifest) return undefined;
  const [namespace, name, id] = parts as [string, string, string, string];
  if (!namespace || !name || !id) return undefined;
  return { namespace, name, id, prefix: key.slice(0, -(BackupFiles.manifest.length + 1)) };
}

/** The bucket and key of an s3:// object URL as backup.json records them; undefined for anything else. */
export function parseObjectUrl(url: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return match ? { bucket: match[1] as string, key: match[2] as string } : undefined;
}

/** The UTC time a backup id starts with (`20261121T160800Z-3f9a1c` -> 2026-11-21T16:08:00Z); undefined for anything else. */
export function backupIdTime(id: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{6}$/.exec(id);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const time = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return time.getUTCMonth() === mo - 1 && time.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? time : undefined;
}

/** For a listed key under `root`: the backup prefix `<root>/<namespace>/<name>/<id>` holding it (id as newBackupId makes them), or undefined. */
export function parseBackupObjectKey(root: string, key: string): ManifestLocation | undefined {
  const base = joinKey(root);
  if (base && !key.startsWith(`${base}/`)) return undefined;
  const parts = (base ? key.slice(base.length + 1) : key).split('/');
  if (parts.length < 4 || parts.slice(3).some((p) => p === '')) return undefined;
  const [namespace, name, id] = parts as [string, string, string];
  if (!namespace || !name || !backupIdTime(id)) return undefined;
  return { namespace, name, id, prefix: backupPrefix(base, namespace, name, id) };
}

/**
 * Whether `key` (in any bucket) lies where a backup's Secrets go under some --keys-to root:
 * `<keys root>/<namespace>/<name>/<id>/...`. What backup.json records is checked against this
 * before a recorded object outside the backup's own prefix is deleted.
 */
export function isKeysObjectOf(key: string, namespace: string, name: string, id: string): boolean {
  const tail = `${keysPrefix('', namespace, name, id)}/`;
  const at = key.indexOf(tail);
  if (at < 0 || (at > 0 && key[at - 1] !== '/')) return false;
  const root = at > 0 ? key.slice(0, at - 1) : '';
  return key.startsWith(`${keysPrefix(root, namespace, name, id)}/`) && isRelativeKey(key.slice(at + tail.length));
}
