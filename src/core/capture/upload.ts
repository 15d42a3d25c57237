/**
 * Moves a taken snapshot and its restore inputs into the object store. The snapshot streams
 * from the pod straight into the store (stream-upload.ts); the restore inputs (upload-objects.ts)
 * are written while it streams, or after it under Object Lock, where an object written beside a
 * stream that then fails could not be deleted by the rollback. backup.json goes last, once every
 * other object is stored (upload-manifest.ts).
 */
import { RemoteError } from '../errors.ts';
import type { SnapshotStatus } from '../etcd/etcdctl.ts';
import type { KubeObject } from '../model.ts';
import type { Capture } from './capture.ts';
import { BackupFiles, backupKey } from '../bundle/layout.ts';
import type { BackupManifest, StoredObjectRecord } from '../bundle/manifest.ts';
import type { PodRef } from '../etcd/pod-snapshot.ts';
import { streamPodFileToStore } from './stream-upload.ts';
import { isPlainCodec, type Codec } from '../crypto/codec.ts';
import type { PutOptions } from '../ports.ts';
import { configMapRefs, objectsOf, planRestoreInputs, putObjects, secretRefs } from './upload-objects.ts';
import { buildManifest } from './upload-manifest.ts';
import type { BackupDeps, BackupRequest, SnapshotMember } from './request.ts';

export interface UploadInput {
  req: BackupRequest;
  deps: BackupDeps;
  capture: Capture;
  pod: PodRef;
  path: string;
  prefix: string;
  id: string;
  status: SnapshotStatus;
  member: SnapshotMember;
  apiDowntimeSeconds: number | null;
  etcdVersion: string;
  /** The etcd StatefulSet's image (backup.json etcd.image, what `drill` runs). */
  etcdImage?: string | undefined;
  /** A move's control-plane objects, stored as manifests/control-plane.yaml. */
  controlPlaneObjects?: readonly KubeObject[];
  /** Remove the snapshot file from the pod in the exec that reads it (StoredBackup.snapshotRemoved says whether it went). */
  removeSnapshotAfterRead?: boolean;
}

export interface StoredBackup {
  manifest: BackupManifest;
  /** The snapshot file is gone from the pod (only with removeSnapshotAfterRead); else the caller removes it. */
  snapshotRemoved: boolean;
}

/** How every object of one backup is written. */
interface Writing {
  /** Signal and Object Lock retention of every object. */
  putOptions: PutOptions;
  lock: { mode: 'governance' | 'compliance'; retainUntil: Date } | undefined;
  /** --compress/--encrypt-to: every object but backup.json goes through it, each one recorded. */
  codec: Codec | undefined;
}

/** storeBackup for a caller that removes the snapshot file itself. */
export async function uploadBackup(input: UploadInput): Promise<BackupManifest> {
  return (await storeBackup(input)).manifest;
}

/**
 * Stores the snapshot and the restore inputs, then backup.json. Rejects, with the snapshot's
 * error before an input's, only once every write it started has settled (the rollback then
 * deletes what is there); backup.json is never written after a failure.
 */
export async function storeBackup(input: UploadInput): Promise<StoredBackup> {
  const writing = writingOf(input);
  const plan = planRestoreInputs(input);
  const objects = objectsOf(plan);
  const snapshot = streamSnapshotObject(input, writing).then((streamed) => {
    input.deps.onSnapshotStored?.();
    return streamed;
  });
  const inputs = writing.lock
    ? snapshot.then(() => putObjects(objects, writing.putOptions, writing.codec))
    : putObjects(objects, writing.putOptions, writing.codec);
  const [streamed, stored] = await Promise.allSettled([snapshot, inputs]);
  if (streamed.status === 'rejected') throw streamed.reason;
  if (stored.status === 'rejected') throw stored.reason;
  const { secrets, keyRef } = secretRefs(plan, input.capture);
  const manifest = buildManifest({
    req: input.req,
    capture: input.capture,
    id: input.id,
    toolVersion: input.deps.toolVersion,
    createdAt: input.deps.clock.now(),
    controlPlaneNamespace: input.pod.namespace,
    member: input.member,
    etcdVersion: input.etcdVersion,
    etcdImage: input.etcdImage,
    status: input.status,
    snapshot: streamed.value.measured,
    apiDowntimeSeconds: input.apiDowntimeSeconds,
    secrets,
    keyRef,
    configMaps: configMapRefs(plan, input.capture),
    nodePools: plan.nodePools.map((n) => n.file),
    controlPlane: plan.controlPlane?.file,
    lock: writing.lock,
    codec: writing.codec,
    objects: [...(streamed.value.record ? [streamed.value.record] : []), ...stored.value.filter((r) => r !== undefined)],
  });
  const store = input.req.destination.store;
  await store.put(backupKey(input.prefix, BackupFiles.manifest), JSON.stringify(manifest, null, 2) + '\n', {
    contentType: 'application/json',
    ...writing.putOptions,
  });
  input.deps.step?.('uploaded');
  return { manifest, snapshotRemoved: streamed.value.removed };
}

function writingOf({ req, deps }: UploadInput): Writing {
  // One retention date for every object of the backup, backup.json included, from the upload's start.
  const lock = req.lock
    ? { mode: req.lock.mode, retainUntil: new Date(deps.clock.now().getTime() + req.lock.days * 86_400_000) }
    : undefined;
  return {
    putOptions: { ...(deps.signal ? { signal: deps.signal } : {}), ...(lock ? { lock } : {}) },
    lock,
    codec: isPlainCodec(req.codec) ? undefined : req.codec,
  };
}

/**
 * The snapshot streamed from the pod into snapshot.db, hashed on the way. Rejects when the stream
 * failed or the file's SHA-256 trailer does not match what was read (a cut or corrupted transfer).
 */
async function streamSnapshotObject(
  input: UploadInput,
  writing: Writing,
): Promise<{ measured: { sha256: string; size: number; etag?: string }; record?: StoredObjectRecord; removed: boolean }> {
  const store = input.req.destination.store;
  const key = backupKey(input.prefix, BackupFiles.snapshot);
  const measured = await streamPodFileToStore(input.pod, input.path, store, key, {
    ...writing.putOptions,
    ...(input.deps.onProgress ? { onBytes: input.deps.onProgress } : {}),
    ...(writing.codec ? { codec: writing.codec } : {}),
    ...(input.removeSnapshotAfterRead ? { removeAfterRead: true } : {}),
  });
  if (!measured.trailerValid) {
    throw new RemoteError(
      `failed to verify the snapshot streamed from pod "${input.pod.pod}": its SHA-256 trailer does not match (${measured.size} bytes read)`,
      { hint: 'the transfer was corrupted or cut short; run the backup again' },
    );
  }
  const record = measured.stored ? { url: store.url(key), sha256: measured.sha256, size: measured.size, ...measured.stored } : undefined;
  return {
    measured: { sha256: measured.sha256, size: measured.size, ...(measured.etag ? { etag: measured.etag } : {}) },
    ...(record ? { record } : {}),
    removed: measured.removed === true,
  };
}
