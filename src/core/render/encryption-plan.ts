/**
 * Which etcd encryption key a rendered restore carries (render.ts): the original AES-CBC key as a
 * Secret (replacing the generated one), a reference to one that exists, or for KMS a check that the
 * key reference matches the backup's. Refuses, before anything is written, a render whose key would
 * leave the restored Secrets unreadable.
 */
import { PreconditionError, UsageError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import { describeObject } from '../objects/documents.ts';
import { keySecret, kmsKeyIdentity } from './encryption.ts';
import type { RenderOptions } from './render.ts';

type Obj = Record<string, unknown>;
const specOf = (o: KubeObject): Obj => (o as unknown as { spec?: Obj }).spec ?? {};

export interface EncryptionPlan {
  /** activeKey.name to set; undefined leaves secretEncryption as it is (KMS, or nothing known). */
  secretName?: string;
  /** The Secret to emit (key material in hand). */
  secret?: KubeObject;
  /** Names of Secrets in the input that hold a freshly generated key: never emitted. */
  generated: Set<string>;
}

export function planEncryption(hc: KubeObject, options: RenderOptions, warnings: string[]): EncryptionPlan {
  const what = describeObject(hc);
  const name = hc.metadata.name ?? '';
  const namespace = hc.metadata.namespace;
  const se = (specOf(hc)['secretEncryption'] ?? {}) as Obj;
  const inputType = se['type'] ?? (se['kms'] ? 'kms' : se['aescbc'] ? 'aescbc' : undefined);
  const backup = options.facts?.encryption;
  const generated = new Set([`${name}-etcd-encryption-key`]);
  const inputKey = ((se['aescbc'] as Obj | undefined)?.['activeKey'] as Obj | undefined)?.['name'];
  if (typeof inputKey === 'string') generated.add(inputKey);

  if (inputType === 'kms' || backup?.type === 'kms') {
    if (options.key)
      throw new UsageError(
        `failed to render ${what}: --encryption-key-secret/--encryption-key-file apply to AES-CBC clusters, and this one uses KMS`,
        { hint: 'drop the key flag: a KMS cluster needs the same KMS key reference, not key material' },
      );
    if (inputType !== 'kms') {
      throw new PreconditionError(
        `failed to render ${what}: the ${options.facts?.origin ?? 'backup'} was encrypted with KMS but the input uses ${typeof inputType === 'string' ? inputType : 'no secretEncryption'}`,
        {
          hint: 'render the cluster with the same KMS key as the backed-up cluster (e.g. --kms-key-arn)',
        },
      );
    }
    if (backup?.type !== 'kms') {
      if (backup)
        throw new PreconditionError(
          `failed to render ${what}: the input uses KMS but the ${options.facts?.origin ?? 'backup'} recorded ${backup.type} encryption`,
          { hint: 'render the cluster with the encryption the backed-up cluster had' },
        );
      warnings.push(
        `${what}: KMS key reference not checked against a backup (no --from-backup): it must be the key the snapshot was written with`,
      );
      return { generated: new Set() };
    }
    if (kmsKeyIdentity(se['kms']) !== kmsKeyIdentity(backup.kms)) {
      throw new PreconditionError(
        `failed to render ${what}: the KMS key reference ${kmsKeyIdentity(se['kms'])} differs from the backup's ${kmsKeyIdentity(backup.kms)}`,
        {
          hint: 'the snapshot is readable only with the KMS key it was written with; render with that key',
        },
      );
    }
    return { generated: new Set() };
  }
  const key = options.key;
  if (!key) {
    if (backup?.type === 'none') {
      warnings.push(`${what}: the backup records no encryption key; secretEncryption is left as rendered`);
      return { generated: new Set() };
    }
    throw new UsageError(
      `failed to render ${what}: the original etcd encryption key is required (a freshly generated key makes every restored Secret unreadable)`,
      {
        hint: 'pass --from-backup s3://..., --encryption-key-file <file> or --encryption-key-secret <name>',
      },
    );
  }
  if (key.type === 'reference') return { secretName: key.secretName, generated };
  const backupName = backup?.type === 'aescbc' ? backup.activeKeySecret : undefined;
  const secretName = key.secretName ?? backupName ?? `${name}-etcd-encryption-key`;
  return { secretName, secret: keySecret(secretName, namespace, key.keyBase64), generated };
}
