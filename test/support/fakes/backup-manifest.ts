/**
 * A backup.json for tests that write backups into a bucket by hand (prune, list, staged copies):
 * every required field with a neutral value, the hosted cluster `clusters/<name>`, no secrets, the
 * snapshot a 5-byte placeholder. Callers override what their test is about.
 */
import { BackupFiles } from '../../../src/core/bundle/layout.ts';
import { BACKUP_API_VERSION, BACKUP_KIND, type BackupManifest } from '../../../src/core/bundle/manifest.ts';

export function backupManifest(
  id: string,
  createdAt: string,
  cluster: { namespace?: string; name: string },
  overrides: Partial<BackupManifest> = {},
): BackupManifest {
  const namespace = cluster.namespace ?? 'clusters';
  return {
    apiVersion: BACKUP_API_VERSION,
    kind: BACKUP_KIND,
    id,
    toolVersion: '0.3.0',
    format: 2,
    createdAt,
    hostedCluster: {
      namespace,
      name: cluster.name,
      uid: 'u',
      infraID: 'i',
      releaseImage: 'r',
      platform: 'None',
      controlPlaneNamespace: `${namespace}-${cluster.name}`,
      apiServerHostname: null,
    },
    etcd: { version: '3.5.9', member: 'etcd-0', memberId: 'abc', storage: null },
    snapshot: { file: BackupFiles.snapshot, sha256: '0'.repeat(64), size: 5, revision: 1, totalKeys: 1, hash: 1 },
    mode: 'online',
    apiDowntimeSeconds: null,
    encryption: { type: 'none' },
    secrets: [],
    configMaps: [],
    references: [],
    manifests: { hostedCluster: BackupFiles.hostedCluster, nodePools: [] },
    serverSideEncryption: null,
    ...overrides,
  };
}
