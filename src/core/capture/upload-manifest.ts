/**
 * backup.json of a stored backup: what was captured, what was written where (with SHA-256s), the
 * snapshot's identity as etcd reported it, and how the objects are stored (lock, codec). Pure:
 * built from what the upload measured and recorded, written by upload.ts last.
 */
import type { SnapshotStatus } from '../etcd/etcdctl.ts';
import { describeHostedCluster, type Capture } from './capture.ts';
import { BackupFiles } from '../bundle/layout.ts';
import {
  BACKUP_API_VERSION,
  BACKUP_FORMAT,
  BACKUP_KIND,
  type BackupManifest,
  type StoredConfigMapRef,
  type StoredObjectRecord,
  type StoredSecretRef,
} from '../bundle/manifest.ts';
import { ZSTD_LEVEL, type Codec } from '../crypto/codec.ts';
import type { BackupRequest, SnapshotMember } from './request.ts';

export interface ManifestParts {
  req: BackupRequest;
  capture: Capture;
  id: string;
  toolVersion: string;
  createdAt: Date;
  /** The control-plane namespace the snapshot was taken in. */
  controlPlaneNamespace: string;
  member: SnapshotMember;
  etcdVersion: string;
  etcdImage?: string | undefined;
  status: SnapshotStatus;
  /** The snapshot object as streamed: SHA-256 and size of its plain bytes, the store's ETag. */
  snapshot: { sha256: string; size: number; etag?: string | undefined };
  apiDowntimeSeconds: number | null;
  secrets: StoredSecretRef[];
  keyRef: { url: string; sha256: string } | undefined;
  configMaps: StoredConfigMapRef[];
  nodePools: string[];
  controlPlane: string | undefined;
  lock: { mode: 'governance' | 'compliance'; retainUntil: Date } | undefined;
  /** The codec every object but backup.json went through, and each object's storage record. */
  codec: Codec | undefined;
  objects: StoredObjectRecord[];
}

export function buildManifest(p: ManifestParts): BackupManifest {
  const { capture, req } = p;
  const spec = (capture.hostedCluster['spec'] ?? {}) as { etcd?: { managed?: { storage?: Record<string, unknown> } } };
  return {
    apiVersion: BACKUP_API_VERSION,
    kind: BACKUP_KIND,
    id: p.id,
    toolVersion: p.toolVersion,
    format: BACKUP_FORMAT,
    createdAt: p.createdAt.toISOString(),
    hostedCluster: describeHostedCluster(
      { ...capture.hostedCluster, metadata: { ...capture.hostedCluster.metadata, uid: capture.uid } },
      p.controlPlaneNamespace,
    ),
    etcd: {
      version: p.etcdVersion,
      member: p.member.pod,
      memberId: p.member.memberId,
      storage: spec.etcd?.managed?.storage ?? null,
      ...(p.etcdImage ? { image: p.etcdImage } : {}),
    },
    snapshot: {
      file: BackupFiles.snapshot,
      sha256: p.snapshot.sha256,
      size: p.snapshot.size,
      revision: p.status.revision,
      totalKeys: p.status.totalKey,
      hash: p.status.hash,
      ...(p.snapshot.etag ? { etag: p.snapshot.etag } : {}),
    },
    mode: req.mode,
    apiDowntimeSeconds: p.apiDowntimeSeconds,
    encryption: encryptionOf(capture, p.keyRef),
    secrets: p.secrets,
    configMaps: p.configMaps,
    references: capture.references,
    controlPlaneSecrets: capture.controlPlaneSecrets,
    ...(capture.managementCluster ? { managementCluster: capture.managementCluster } : {}),
    manifests: {
      hostedCluster: BackupFiles.hostedCluster,
      nodePools: p.nodePools,
      ...(p.controlPlane ? { controlPlane: p.controlPlane } : {}),
    },
    serverSideEncryption: req.serverSideEncryption ?? null,
    ...(p.lock ? { lock: { mode: p.lock.mode, retainUntil: p.lock.retainUntil.toISOString() } } : {}),
    ...(p.codec ? { storage: storageOf(p.codec, p.objects) } : {}),
  };
}

/** The AES-CBC key's stored copy (its URL and SHA-256), else the capture's encryption as it is. */
function encryptionOf(capture: Capture, keyRef: ManifestParts['keyRef']): BackupManifest['encryption'] {
  if (capture.encryption.type !== 'aescbc') return capture.encryption;
  return {
    type: 'aescbc',
    activeKeySecret: capture.encryption.activeKeySecret,
    keyUrl: keyRef?.url ?? '',
    keySha256: keyRef?.sha256 ?? '',
  };
}

function storageOf(codec: Codec, objects: StoredObjectRecord[]): NonNullable<BackupManifest['storage']> {
  return {
    ...(codec.compress ? { compression: codec.compress, compressionLevel: ZSTD_LEVEL } : {}),
    ...(codec.recipients?.length ? { encryption: { format: 'age' as const, recipients: [...codec.recipients] } } : {}),
    objects,
  };
}
