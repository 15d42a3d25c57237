/**
 * backup.json: what a backup is, as every reader (list, verify, export, render, restore) sees
 * it. Where its files are is layout.ts's business. backup.json is written LAST: a prefix
 * without it is not a backup, is never listed as one, and is what `resume` may clean up.
 * The schema only ever gains fields; readers accept manifests that lack the newer ones.
 */

export const BACKUP_API_VERSION = 'hcp-dr.openshift.io/v1alpha1';
export const BACKUP_KIND = 'EtcdBackup';

export type BackupMode = 'quiesce' | 'online';

/**
 * The format of backup.json and its bundle. 1 (the field absent): the encryption key and the
 * PKI Secrets only. 2: also every Secret and ConfigMap the HostedCluster and its NodePools
 * reference (`configMaps`, `references`, Secrets with role "reference").
 */
export const BACKUP_FORMAT = 2;

/** Why a restore needs a stored Secret: the etcd encryption key, a PKI Secret of the control plane, or a reference of the spec. */
export type StoredSecretRole = 'encryption-key' | 'pki' | 'reference';

export interface StoredSecretRef {
  namespace: string;
  name: string;
  role: StoredSecretRole;
  /** Full object URL (s3://bucket/key) of the stored Secret manifest. */
  url: string;
  /** Fields that reference it ("HostedCluster spec.pullSecret"); format 2. */
  referencedBy?: string[];
  /** SHA-256 of the stored file; format 2. */
  sha256?: string;
}

/** A stored ConfigMap (format 2): always beside the snapshot, never under --keys-to. */
export interface StoredConfigMapRef {
  namespace: string;
  name: string;
  url: string;
  referencedBy: string[];
  sha256: string;
}

/** One Secret or ConfigMap the HostedCluster or a NodePool references, and whether the backup carries it (format 2). */
export interface ReferenceRecord {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  referencedBy: string[];
  /** False when it did not exist at backup time: a restore needs it created first. */
  carried: boolean;
}

/**
 * The Secrets of the control-plane namespace: which ones the backup carries (their URLs are in
 * `secrets`, role "pki") and which it left out and why (bundle/control-plane-secrets.ts). Names
 * only, never contents. Absent in backups that carried root-ca, etcd-signer and sa-signing-key only.
 */
export interface ControlPlaneSecretsRecord {
  namespace: string;
  carried: string[];
  excluded: { name: string; reason: string }[];
}

export interface BackupManifest {
  apiVersion: typeof BACKUP_API_VERSION;
  kind: typeof BACKUP_KIND;
  /** `<UTC time>-<short id>`, e.g. 20261121T160800Z-3f9a1c; also the last path segment. */
  id: string;
  toolVersion: string;
  /** BACKUP_FORMAT of the writer; absent means 1. */
  format?: number;
  createdAt: string;
  hostedCluster: {
    namespace: string;
    name: string;
    uid: string;
    infraID: string;
    releaseImage: string;
    platform: string;
    controlPlaneNamespace: string;
    /** The API server hostname (services[APIServer].servicePublishingStrategy), when fixed. */
    apiServerHostname: string | null;
  };
  etcd: {
    /**
     * Server version of the member the snapshot was taken from ("3.6.17"): the snapshot's etcd version.
     * restore and etcd restore refuse it into an etcd of an older minor unless --force.
     */
    version: string;
    /** The member the snapshot came from (pod name) and its hex ID. */
    member: string;
    memberId: string;
    /** spec.etcd.managed.storage as captured (storage class, size). */
    storage: Record<string, unknown> | null;
    /** The etcd StatefulSet's image at backup time (what `drill` runs); absent in older backups. */
    image?: string;
  };
  snapshot: {
    file: string;
    sha256: string;
    size: number;
    revision: number;
    totalKeys: number;
    /** etcd's own hash from `snapshot status`. */
    hash: number;
    /**
     * The store's ETag for the snapshot as written (absent in older backups and where the store gives none):
     * a restore whose HEAD answers the same ETag and size knows the object is the one this backup
     * wrote and checked in transit, without downloading it.
     */
    etag?: string;
  };
  mode: BackupMode;
  /** Seconds the API servers were down (quiesce mode); null for online backups. */
  apiDowntimeSeconds: number | null;
  encryption:
    | { type: 'aescbc'; activeKeySecret: string; keyUrl: string; keySha256: string }
    | { type: 'kms'; kms: Record<string, unknown> }
    | { type: 'none' };
  secrets: StoredSecretRef[];
  /** Absent before format 2. */
  configMaps?: StoredConfigMapRef[];
  /** Every reference of the HostedCluster and its NodePools; absent before format 2. */
  references?: ReferenceRecord[];
  /**
   * The management cluster the backup was taken on: the kube-system namespace's UID and, on
   * OpenShift, the infrastructure name. A restore compares it with its target (same vs another
   * management cluster). Absent in older backups.
   */
  managementCluster?: { kubeSystemUid: string; infrastructureName?: string };
  /** What of the control-plane namespace is carried (names); absent in older backups. */
  controlPlaneSecrets?: ControlPlaneSecretsRecord;
  /** controlPlane: the control-plane objects a move carries (HostedControlPlane, CAPI and platform objects), when captured. */
  manifests: { hostedCluster: string; nodePools: string[]; controlPlane?: string };
  serverSideEncryption: { type: 'AES256' | 'aws:kms'; kmsKeyId?: string } | null;
  /**
   * S3 Object Lock (backup --lock-days): every object of the backup, backup.json included, was
   * stored with this retention; none can be deleted before retainUntil (an ISO time), governance
   * mode except with the bypass. Absent: written without a lock (a bucket default may still apply).
   */
  lock?: BackupLock;
  /**
   * Client-side encoding (backup --compress, --encrypt-to): how every object but backup.json is
   * stored. Absent: stored as written. backup.json itself is never encoded and holds no secret.
   */
  storage?: StorageRecord;
}

/** What `backup --compress/--encrypt-to` did to the backup's objects; public keys and digests only. */
export interface StorageRecord {
  /** zstd: compressed before encryption (Node's zlib). */
  compression?: 'zstd';
  /** The zstd level it was compressed at (absent in backups before it was recorded: level 3). */
  compressionLevel?: number;
  /** age (age-encryption.org/v1), to these X25519 recipients (public keys); any one identity decrypts. */
  encryption?: { format: 'age'; recipients: string[] };
  objects: StoredObjectRecord[];
}

export interface StoredObjectRecord {
  /** s3://bucket/key of the object (the keys' bucket with --keys-to). */
  url: string;
  /** SHA-256 and size of the plain bytes (what a reader gets after decryption and decompression). */
  sha256: string;
  size: number;
  /** SHA-256 and size of the bytes in the bucket: `sha256sum` of the object checks them without a key. */
  storedSha256: string;
  storedSize: number;
  /** Size after compression, before encryption (with compression only). */
  compressedSize?: number;
}

export interface BackupLock {
  mode: 'governance' | 'compliance';
  retainUntil: string;
}

/** The bundle format of a manifest (1 when it predates the field). */
export function formatOf(m: Pick<BackupManifest, 'format'>): number {
  return typeof m.format === 'number' && m.format >= 1 ? m.format : 1;
}
