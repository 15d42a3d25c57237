/**
 * Moves a taken snapshot and its restore inputs into the object store. The snapshot streams
 * from the pod straight into the store (stream-upload.ts). backup.json goes last.
 */
import { createHash } from 'node:crypto';
import { RemoteError } from '../errors.ts';
import { dumpKubeYaml } from '../yaml.ts';
import type { SnapshotStatus } from '../etcd/etcdctl.ts';
import type { KubeObject } from '../model.ts';
import type { Capture } from './capture.ts';
import { describeHostedCluster } from './capture.ts';
import { BackupFiles, backupKey, keysPrefix as keysPrefixOf, secretFiles } from '../bundle/layout.ts';
import {
  BACKUP_API_VERSION,
  BACKUP_FORMAT,
  BACKUP_KIND,
  type BackupManifest,
  type StoredConfigMapRef,
  type StoredSecretRef,
} from '../bundle/manifest.ts';
import type { PodRef } from '../etcd/pod-snapshot.ts';
import { streamPodFileToStore } from './stream-upload.ts';
import { encodeBuffer, isPlainCodec } from '../crypto/codec.ts';
import type { ObjectStore, PutOptions } from '../ports.ts';
import type { StoredObjectRecord } from '../bundle/manifest.ts';
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
}

export async function uploadBackup(input: UploadInput): Promise<BackupManifest> {
  const { req, deps, capture, prefix } = input;
  const store = req.destination.store;
  // One retention date for every object of the backup, backup.json included, from the upload's start.
  const lock = req.lock
    ? { mode: req.lock.mode, retainUntil: new Date(deps.clock.now().getTime() + req.lock.days * 86_400_000) }
    : undefined;
  const putOptions = { ...(deps.signal ? { signal: deps.signal } : {}), ...(lock ? { lock } : {}) };
  // --compress/--encrypt-to: every object but backup.json goes through the codec; each one recorded.
  const codec = isPlainCodec(req.codec) ? undefined : req.codec;
  const objects: StoredObjectRecord[] = [];
  const putSmall = async (target: ObjectStore, key: string, body: string, options: PutOptions): Promise<void> => {
    if (!codec) return void (await target.put(key, body, options));
    const enc = await encodeBuffer(body, codec);
    await target.put(key, enc.body, { ...options, contentType: 'application/octet-stream' });
    const { body: _stored, ...sizes } = enc;
    objects.push({ url: target.url(key), sha256: sha256Hex(body), size: Buffer.byteLength(body), ...sizes });
  };

  const measured = await streamPodFileToStore(input.pod, input.path, store, backupKey(prefix, BackupFiles.snapshot), {
    ...putOptions,
    ...(deps.onProgress ? { onBytes: deps.onProgress } : {}),
    ...(codec ? { codec } : {}),
  });
  if (measured.stored)
    objects.push({
      url: store.url(backupKey(prefix, BackupFiles.snapshot)),
      sha256: measured.sha256,
      size: measured.size,
      ...measured.stored,
    });
  if (!measured.trailerValid) {
    throw new RemoteError(
      `failed to verify the snapshot streamed from pod "${input.pod.pod}": its SHA-256 trailer does not match (${measured.size} bytes read)`,
      {
        hint: 'the transfer was corrupted or cut short; run the backup again',
      },
    );
  }

  const keys = req.keysDestination ?? req.destination;
  const keysPrefix = req.keysDestination ? keysPrefixOf(keys.prefix, req.namespace, req.name, input.id) : prefix;
  const secrets: StoredSecretRef[] = [];
  let keyRef: { url: string; sha256: string } | undefined;
  const referencedBy = (kind: string, namespace: string, name: string) =>
    capture.references.find((r) => r.kind === kind && r.namespace === namespace && r.name === name)?.referencedBy;
  const files = secretFiles(
    capture.secrets.map((s) => ({ namespace: s.object.metadata.namespace ?? '', name: s.object.metadata.name ?? '' })),
  );
  // A control-plane namespace holds dozens of Secrets: a few PUTs at a time, recorded in capture order.
  const stored = await inBatches(capture.secrets, 8, async (secret, i) => {
    const key = backupKey(keysPrefix, files[i] as string);
    const body = dumpKubeYaml(secret.object);
    await putSmall(keys.store, key, body, { contentType: 'application/yaml', ...putOptions });
    return { key, sha256: sha256Hex(body) };
  });
  for (const [i, secret] of capture.secrets.entries()) {
    const { namespace = '', name = '' } = secret.object.metadata;
    const { key, sha256 } = stored[i] as { key: string; sha256: string };
    const by = referencedBy('Secret', namespace, name);
    secrets.push({ namespace, name, role: secret.role, url: keys.store.url(key), ...(by ? { referencedBy: by } : {}), sha256 });
    if (secret.role === 'encryption-key') keyRef = { url: keys.store.url(key), sha256 };
  }
  // ConfigMaps hold no secret material: beside the snapshot even with --keys-to.
  const configMaps: StoredConfigMapRef[] = [];
  for (const cm of capture.configMaps) {
    const { namespace = '', name = '' } = cm.metadata;
    const key = backupKey(prefix, BackupFiles.configMap(name));
    const body = dumpKubeYaml(cm);
    await putSmall(store, key, body, { contentType: 'application/yaml', ...putOptions });
    configMaps.push({
      namespace,
      name,
      url: store.url(key),
      referencedBy: referencedBy('ConfigMap', namespace, name) ?? [],
      sha256: sha256Hex(body),
    });
  }
  await putSmall(store, backupKey(prefix, BackupFiles.hostedCluster), dumpKubeYaml(capture.hostedCluster), {
    contentType: 'application/yaml',
    ...putOptions,
  });
  const nodePools: string[] = [];
  for (const np of capture.nodePools) {
    const key = BackupFiles.nodePool(np.metadata.name ?? '');
    await putSmall(store, backupKey(prefix, key), dumpKubeYaml(np), { contentType: 'application/yaml', ...putOptions });
    nodePools.push(key);
  }

  let controlPlane: string | undefined;
  if (input.controlPlaneObjects) {
    controlPlane = BackupFiles.controlPlane;
    const body = input.controlPlaneObjects.map((o) => dumpKubeYaml(o)).join('---\n');
    await putSmall(store, backupKey(prefix, controlPlane), body, { contentType: 'application/yaml', ...putOptions });
  }

  const spec = (capture.hostedCluster['spec'] ?? {}) as { etcd?: { managed?: { storage?: Record<string, unknown> } } };
  const manifest: BackupManifest = {
    apiVersion: BACKUP_API_VERSION,
    kind: BACKUP_KIND,
    id: input.id,
    toolVersion: deps.toolVersion,
    format: BACKUP_FORMAT,
    createdAt: deps.clock.now().toISOString(),
    hostedCluster: describeHostedCluster(
      { ...capture.hostedCluster, metadata: { ...capture.hostedCluster.metadata, uid: capture.uid } },
      input.pod.namespace,
    ),
    etcd: {
      version: input.etcdVersion,
      member: input.member.pod,
      memberId: input.member.memberId,
      storage: spec.etcd?.managed?.storage ?? null,
      ...(input.etcdImage ? { image: input.etcdImage } : {}),
    },
    snapshot: {
      file: BackupFiles.snapshot,
      sha256: measured.sha256,
      size: measured.size,
      revision: input.status.revision,
      totalKeys: input.status.totalKey,
      hash: input.status.hash,
      ...(measured.etag ? { etag: measured.etag } : {}),
    },
    mode: req.mode,
    apiDowntimeSeconds: input.apiDowntimeSeconds,
    encryption:
      capture.encryption.type === 'aescbc'
        ? {
            type: 'aescbc',
            activeKeySecret: capture.encryption.activeKeySecret,
            keyUrl: keyRef?.url ?? '',
            keySha256: keyRef?.sha256 ?? '',
          }
        : capture.encryption,
    secrets,
    configMaps,
    references: capture.references,
    controlPlaneSecrets: capture.controlPlaneSecrets,
    ...(capture.managementCluster ? { managementCluster: capture.managementCluster } : {}),
    manifests: { hostedCluster: BackupFiles.hostedCluster, nodePools, ...(controlPlane ? { controlPlane } : {}) },
    serverSideEncryption: req.serverSideEncryption ?? null,
    ...(lock ? { lock: { mode: lock.mode, retainUntil: lock.retainUntil.toISOString() } } : {}),
    ...(codec
      ? {
          storage: {
            ...(codec.compress ? { compression: codec.compress } : {}),
            ...(codec.recipients?.length ? { encryption: { format: 'age' as const, recipients: [...codec.recipients] } } : {}),
            objects,
          },
        }
      : {}),
  };
  await store.put(backupKey(prefix, BackupFiles.manifest), JSON.stringify(manifest, null, 2) + '\n', {
    contentType: 'application/json',
    ...putOptions,
  });
  deps.step?.('uploaded');
  return manifest;
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** `fn` over `items`, at most `size` at a time; results in the items' order; the first failure rejects. */
async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(...(await Promise.all(items.slice(start, start + size).map((item, k) => fn(item, start + k)))));
  return out;
}
