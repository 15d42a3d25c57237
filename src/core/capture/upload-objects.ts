/**
 * The restore inputs a backup stores beside its snapshot, each named in backup.json: the carried
 * Secrets (under --keys-to when given), the ConfigMaps (always beside the snapshot: they hold no
 * secret material), the HostedCluster and NodePool manifests and a move's control-plane objects.
 * Planned first (key, YAML body and its SHA-256, in backup.json's order), then written a few at a
 * time, through the codec when the backup is compressed or encrypted.
 */
import { createHash } from 'node:crypto';
import { dumpKubeYaml } from '../yaml.ts';
import type { KubeObject } from '../model.ts';
import type { Capture } from './capture.ts';
import { BackupFiles, backupKey, keysPrefix as keysPrefixOf, secretFiles } from '../bundle/layout.ts';
import type { StoredConfigMapRef, StoredObjectRecord, StoredSecretRef } from '../bundle/manifest.ts';
import { encodeBuffer, type Codec } from '../crypto/codec.ts';
import type { ObjectStore, PutOptions } from '../ports.ts';
import type { BackupRequest } from './request.ts';

export interface SmallObject {
  target: ObjectStore;
  key: string;
  body: string;
  /** SHA-256 of the plain body (hex). */
  sha256: string;
}

export interface RestoreInputsPlan {
  /** One per captured Secret, in capture order. */
  secrets: SmallObject[];
  /** One per captured ConfigMap, in capture order. */
  configMaps: SmallObject[];
  hostedCluster: SmallObject;
  /** Each NodePool's file (relative to the backup, as backup.json lists it) and object. */
  nodePools: { file: string; object: SmallObject }[];
  controlPlane?: { file: string; object: SmallObject };
}

export interface PlanSource {
  req: BackupRequest;
  capture: Capture;
  /** The backup's key prefix in req.destination. */
  prefix: string;
  id: string;
  controlPlaneObjects?: readonly KubeObject[] | undefined;
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

const objectOf = (target: ObjectStore, key: string, body: string): SmallObject => ({ target, key, body, sha256: sha256Hex(body) });

/** Every restore input's key and body; reads nothing, writes nothing. */
export function planRestoreInputs({ req, capture, prefix, id, controlPlaneObjects }: PlanSource): RestoreInputsPlan {
  const store = req.destination.store;
  const keys = req.keysDestination ?? req.destination;
  const secretsPrefix = req.keysDestination ? keysPrefixOf(keys.prefix, req.namespace, req.name, id) : prefix;
  const files = secretFiles(
    capture.secrets.map((s) => ({ namespace: s.object.metadata.namespace ?? '', name: s.object.metadata.name ?? '' })),
  );
  const inMain = (file: string, body: string) => objectOf(store, backupKey(prefix, file), body);
  return {
    secrets: capture.secrets.map((s, i) => objectOf(keys.store, backupKey(secretsPrefix, files[i] as string), dumpKubeYaml(s.object))),
    configMaps: capture.configMaps.map((cm) => inMain(BackupFiles.configMap(cm.metadata.name ?? ''), dumpKubeYaml(cm))),
    hostedCluster: inMain(BackupFiles.hostedCluster, dumpKubeYaml(capture.hostedCluster)),
    nodePools: capture.nodePools.map((np) => {
      const file = BackupFiles.nodePool(np.metadata.name ?? '');
      return { file, object: inMain(file, dumpKubeYaml(np)) };
    }),
    ...(controlPlaneObjects
      ? {
          controlPlane: {
            file: BackupFiles.controlPlane,
            object: inMain(BackupFiles.controlPlane, controlPlaneObjects.map((o) => dumpKubeYaml(o)).join('---\n')),
          },
        }
      : {}),
  };
}

/** The plan's objects in backup.json's order (Secrets, ConfigMaps, HostedCluster, NodePools, control plane). */
export function objectsOf(plan: RestoreInputsPlan): SmallObject[] {
  return [
    ...plan.secrets,
    ...plan.configMaps,
    plan.hostedCluster,
    ...plan.nodePools.map((n) => n.object),
    ...(plan.controlPlane ? [plan.controlPlane.object] : []),
  ];
}

/** Objects of a control-plane namespace (dozens of Secrets) written at once. */
const PUTS_AT_ONCE = 8;

/**
 * Writes `objects`, PUTS_AT_ONCE at a time. With a codec, each is encoded and its storage record
 * returned (in the objects' order); without, undefined for each. On a failure no further object
 * is started, and the call rejects with the first error only once every started write settled,
 * so a rollback that lists the prefix afterwards sees everything that was written.
 */
export async function putObjects(
  objects: readonly SmallObject[],
  options: PutOptions,
  codec: Codec | undefined,
): Promise<(StoredObjectRecord | undefined)[]> {
  const records = new Array<StoredObjectRecord | undefined>(objects.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < objects.length) {
      const index = next++;
      try {
        records[index] = await putSmall(objects[index] as SmallObject, { contentType: 'application/yaml', ...options }, codec);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PUTS_AT_ONCE, objects.length) }, worker));
  if (failed) throw failed.error;
  return records;
}

async function putSmall(o: SmallObject, options: PutOptions, codec: Codec | undefined): Promise<StoredObjectRecord | undefined> {
  if (!codec) return void (await o.target.put(o.key, o.body, options));
  const enc = await encodeBuffer(o.body, codec);
  await o.target.put(o.key, enc.body, { ...options, contentType: 'application/octet-stream' });
  const { body: _stored, ...sizes } = enc;
  return { url: o.target.url(o.key), sha256: o.sha256, size: Buffer.byteLength(o.body), ...sizes };
}

/** backup.json's `secrets`, and the encryption key's URL and SHA-256 when one is carried. */
export function secretRefs(
  plan: RestoreInputsPlan,
  capture: Capture,
): { secrets: StoredSecretRef[]; keyRef: { url: string; sha256: string } | undefined } {
  let keyRef: { url: string; sha256: string } | undefined;
  const secrets = capture.secrets.map((secret, i): StoredSecretRef => {
    const { namespace = '', name = '' } = secret.object.metadata;
    const o = plan.secrets[i] as SmallObject;
    const url = o.target.url(o.key);
    const by = referencedBy(capture, 'Secret', namespace, name);
    if (secret.role === 'encryption-key') keyRef = { url, sha256: o.sha256 };
    return { namespace, name, role: secret.role, url, ...(by ? { referencedBy: by } : {}), sha256: o.sha256 };
  });
  return { secrets, keyRef };
}

/** backup.json's `configMaps`. */
export function configMapRefs(plan: RestoreInputsPlan, capture: Capture): StoredConfigMapRef[] {
  return capture.configMaps.map((cm, i) => {
    const { namespace = '', name = '' } = cm.metadata;
    const o = plan.configMaps[i] as SmallObject;
    return {
      namespace,
      name,
      url: o.target.url(o.key),
      referencedBy: referencedBy(capture, 'ConfigMap', namespace, name) ?? [],
      sha256: o.sha256,
    };
  });
}

function referencedBy(capture: Capture, kind: string, namespace: string, name: string): string[] | undefined {
  return capture.references.find((r) => r.kind === kind && r.namespace === namespace && r.name === name)?.referencedBy;
}
