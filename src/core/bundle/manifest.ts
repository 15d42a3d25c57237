/**
 * backup.json: what a backup is, as every reader (list, verify, export, render, restore) sees
 * it. Where its files are is layout.ts's business. backup.json is written LAST: a prefix
 * without it is not a backup, is never listed as one, and is what `resume` may clean up.
 * The schema only ever gains fields; readers accept manifests that lack the newer ones.
 */

export const BACKUP_API_VERSION = 'hcp-dr.openshift.io/v1alpha1';
export const BACKUP_KIND = 'EtcdBackup';

export type BackupMode = 'quiesce' | 'online';

export interface StoredSecretRef {
  namespace: string;
  name: string;
  /** Why a restore needs it: encryption-key, pki. */
  role: 'encryption-key' | 'pki';
  /** Full object URL (s3://bucket/key) of the stored Secret manifest. */
  url: string;
}

export interface BackupManifest {
  apiVersion: typeof BACKUP_API_VERSION;
  kind: typeof BACKUP_KIND;
  /** `<UTC time>-<short id>`, e.g. 20261121T160800Z-3f9a1c; also the last path segment. */
  id: string;
  toolVersion: string;
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
    version: string;
    /** The member the snapshot came from (pod name) and its hex ID. */
    member: string;
    memberId: string;
    /** spec.etcd.managed.storage as captured (storage class, size). */
    storage: Record<string, unknown> | null;
  };
  snapshot: {
    file: string;
    sha256: string;
    size: number;
    revision: number;
    totalKeys: number;
    /** etcd's own hash from `snapshot status`. */
    hash: number;
  };
  mode: BackupMode;
  /** Seconds the API servers were down (quiesce mode); null for online backups. */
  apiDowntimeSeconds: number | null;
  encryption:
    | { type: 'aescbc'; activeKeySecret: string; keyUrl: string; keySha256: string }
    | { type: 'kms'; kms: Record<string, unknown> }
    | { type: 'none' };
  secrets: StoredSecretRef[];
  manifests: { hostedCluster: string; nodePools: string[] };
  serverSideEncryption: { type: 'AES256' | 'aws:kms'; kmsKeyId?: string } | null;
}
