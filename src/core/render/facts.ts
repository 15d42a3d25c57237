/**
 * What a backup says a restored HostedCluster must keep: read from backup.json, applied by
 * the render over whatever `create cluster --render` produced.
 */
import { PreconditionError } from '../errors.ts';
import { BACKUP_API_VERSION, BACKUP_KIND, type BackupManifest } from '../bundle/manifest.ts';

export interface RestoreFacts {
  /** For messages: where the facts come from, e.g. `backup s3://b/p/clusters/demo/<id>/`. */
  origin: string;
  namespace?: string;
  name?: string;
  /** Cloud resources are tagged with it; a new infraID orphans them. */
  infraID?: string;
  /** Clients and nodes reach the API under this name; DR keeps it. */
  apiServerHostname?: string;
  /** spec.etcd.managed.storage as captured (restoreSnapshotURL ignored): immutable, and the snapshot must fit. */
  etcdStorage?: Record<string, unknown>;
  encryption?: BackupManifest['encryption'];
  releaseImage?: string;
  platform?: string;
}

const NOT_A_BACKUP_HINT = 'pass a backup URL that "{cmd} backup list --from s3://<bucket>/<prefix>" shows';

/** Parses backup.json; anything that is not an hcp-dr backup manifest is a PreconditionError. */
export function parseBackupManifest(text: string, url: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PreconditionError(`failed to read backup manifest ${url}: not JSON (${(err as Error).message})`, { hint: NOT_A_BACKUP_HINT });
  }
  const m = value as Partial<BackupManifest> | null;
  if (!m || m.apiVersion !== BACKUP_API_VERSION || m.kind !== BACKUP_KIND) {
    throw new PreconditionError(
      `failed to read backup manifest ${url}: not an hcp-dr backup (apiVersion/kind ${String(m?.apiVersion)}/${String(m?.kind)})`,
      { hint: NOT_A_BACKUP_HINT },
    );
  }
  if (!m.hostedCluster || !m.snapshot || !m.encryption || !m.etcd) {
    throw new PreconditionError(`failed to read backup manifest ${url}: hostedCluster, etcd, snapshot or encryption is missing`, {
      hint: NOT_A_BACKUP_HINT,
    });
  }
  return m as BackupManifest;
}

export function factsFromBackup(m: BackupManifest, origin: string): RestoreFacts {
  const hc = m.hostedCluster;
  const facts: RestoreFacts = { origin, namespace: hc.namespace, name: hc.name, encryption: m.encryption };
  if (hc.infraID) facts.infraID = hc.infraID;
  if (hc.apiServerHostname) facts.apiServerHostname = hc.apiServerHostname;
  if (hc.releaseImage) facts.releaseImage = hc.releaseImage;
  if (hc.platform) facts.platform = hc.platform;
  if (m.etcd.storage && typeof m.etcd.storage === 'object') {
    const { restoreSnapshotURL: _ignored, ...storage } = m.etcd.storage;
    facts.etcdStorage = storage;
  }
  return facts;
}
