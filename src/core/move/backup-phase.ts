/**
 * The move's backup, taken from the frozen source: the etcd snapshot, the restore inputs a
 * backup always carries, and the control-plane objects a move carries (HostedControlPlane,
 * CAPI and platform objects by their fully qualified groups, cleaned as `export` cleans them),
 * as one bundle (core/bundle/layout.ts). The source is already quiesced: nothing is scaled here.
 */
import { causeText } from '../errors.ts';
import { BackupFiles, backupPrefix } from '../bundle/layout.ts';
import { isVersioned, removeObjects, type RemovedObjects } from '../bundle/delete-objects.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import { cleanObject, objectKey } from '../objects/clean.ts';
import { qualifiedKindOf } from '../objects/kinds.ts';
import { listControlPlaneObjects } from '../objects/control-plane.ts';
import { removeSnapshot, saveSnapshot, snapshotPathFor, snapshotStatus, type PodRef } from '../etcd/pod-snapshot.ts';
import type { BackupRequest } from '../capture/request.ts';
import { uploadBackup } from '../capture/upload.ts';
import type { Preflight as BackupPreflight } from '../capture/plan.ts';
import type { KubeObject } from '../model.ts';
import type { Clock, Cluster, ObjectStore, Reporter } from '../ports.ts';

export interface MoveBackupInput {
  source: Cluster;
  request: BackupRequest;
  pre: BackupPreflight;
  id: string;
  toolVersion: string;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  onBytes?: ((n: number) => void) | undefined;
}

/** The prefix the backup of operation `id` goes to: recorded before the upload starts, so a rollback can find it. */
export function moveBackupPrefix(request: BackupRequest, id: string): string {
  return backupPrefix(request.destination.prefix, request.namespace, request.name, id);
}

export async function backUpFrozenSource(input: MoveBackupInput): Promise<{ url: string; manifest: BackupManifest }> {
  const { request, pre, id } = input;
  const pod: PodRef = {
    exec: input.source.exec,
    namespace: pre.controlPlaneNamespace,
    pod: pre.member.pod,
    ...(input.signal ? { signal: input.signal } : {}),
  };
  const path = snapshotPathFor(id);
  const prefix = moveBackupPrefix(request, id);
  try {
    input.reporter.info(`snapshotting etcd in pod ${pre.controlPlaneNamespace}/${pre.member.pod}`);
    await saveSnapshot(pod, pre.tls, path);
    const status = await snapshotStatus(pod, pre.tls, path);
    const controlPlaneObjects = cleanedControlPlane(await listControlPlaneObjects(input.source.api, pre.controlPlaneNamespace));
    input.reporter.info(`uploading the backup to ${request.destination.store.url(prefix)}/`);
    const manifest = await uploadBackup({
      req: request,
      deps: {
        api: input.source.api,
        exec: input.source.exec,
        clock: input.clock,
        reporter: input.reporter,
        toolVersion: input.toolVersion,
        newBackupId: () => id,
        ...(input.signal ? { signal: input.signal } : {}),
        ...(input.onBytes ? { onProgress: input.onBytes } : {}),
      },
      capture: pre.capture,
      pod,
      path,
      prefix,
      id,
      status,
      member: pre.member,
      apiDowntimeSeconds: null,
      etcdVersion: pre.member.version,
      controlPlaneObjects,
    });
    return { url: `${request.destination.store.url(prefix)}/`, manifest };
  } finally {
    await removeSnapshot({ ...pod, signal: undefined }, path).catch((err: unknown) =>
      input.reporter.warn(`could not remove ${path} from pod ${pre.member.pod}: ${causeText(err)}`),
    );
  }
}

/**
 * Deletes what a failed upload left under the prefix, unless backup.json made it a backup, and
 * aborts the multipart uploads under it (where the store lists them): the prefix holds the run's
 * id and is recorded before the upload starts, so every upload there is this run's. On a
 * versioned bucket (every Object Lock bucket) by version id, as a backup's own rollback does
 * (bundle/delete-objects.ts): objects the store retains are kept and returned, objects it would
 * only hide behind a delete marker are returned as hidden. Any other failure throws.
 */
export async function deleteIncompleteUploadAt(store: ObjectStore, prefix: string, now: Date): Promise<RemovedObjects> {
  const uploads = (await store.listIncompleteUploads?.(`${prefix}/`)) ?? [];
  for (const u of uploads) await store.abortIncompleteUpload?.(u);
  const objects = await store.list(`${prefix}/`);
  if (objects.some((o) => o.key === `${prefix}/${BackupFiles.manifest}`)) return { deleted: 0, retained: [], hidden: [] };
  return removeObjects(
    store,
    objects.map((o) => o.key),
    { versioned: await isVersioned(store), now },
  );
}

function cleanedControlPlane(objects: KubeObject[]): KubeObject[] {
  const exported = new Set(objects.map((o) => objectKey(qualifiedKindOf(o), o.metadata.namespace, o.metadata.name)));
  return objects.map((o) => cleanObject(o, { exported, keepRestoreUrl: false }).object);
}
