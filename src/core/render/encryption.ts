/**
 * The etcd encryption key of a restore. A snapshot of an AES-CBC cluster is readable only
 * with the key it was written with: the HostedCluster must point
 * spec.secretEncryption.aescbc.activeKey.name at a Secret holding that ORIGINAL key (data
 * key `key`), never at the random `<name>-etcd-encryption-key` that `create cluster` makes.
 * KMS clusters carry no key material; their KMS key reference must match the backup's.
 */
import { createHash } from 'node:crypto';
import { PreconditionError, UsageError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import { parseManifests, sortKeys } from '../objects/documents.ts';

/** Data key of the AES-CBC key in the Secret (HyperShift's AESCBCKeySecretKey). */
export const AESCBC_KEY = 'key';
const KEY_LENGTHS = [16, 24, 32];

/** Where the original key comes from. */
export type KeySource =
  /** Material in hand: the Secret is written (with --include-secrets) or must be created. */
  | {
      type: 'material';
      keyBase64: string;
      secretName?: string;
      origin: string;
      /** SHA-256 (hex) of the bytes the key was read from. */ fileSha256?: string;
    }
  /** Only a name: a Secret the user keeps elsewhere, which must exist before the apply. */
  | { type: 'reference'; secretName: string };

/**
 * Reads key material given by the user or stored in a backup: a Secret manifest (YAML or
 * JSON, `data.key` base64 or `stringData.key`), the key in base64 on one line, or the raw
 * 16/24/32 key bytes. Never echoes the material in errors.
 */
export function parseKeyMaterial(bytes: Buffer, origin: string): Extract<KeySource, { type: 'material' }> {
  return { ...readKeyMaterial(bytes, origin), fileSha256: createHash('sha256').update(bytes).digest('hex') };
}

function readKeyMaterial(bytes: Buffer, origin: string): Extract<KeySource, { type: 'material' }> {
  const text = bytes.toString('utf8');
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, 'base64');
    if (KEY_LENGTHS.includes(decoded.length)) return { type: 'material', keyBase64: decoded.toString('base64'), origin };
  }
  if (/\bkind\s*["']?\s*:\s*["']?Secret\b/.test(text)) {
    const docs = parseManifests(text, origin).filter((d) => d.kind === 'Secret');
    const secret = docs[0];
    if (docs.length !== 1 || !secret)
      throw new UsageError(`failed to read the encryption key from ${origin}: expected one Secret, found ${docs.length}`, {
        hint: 'pass one Secret, as saved with "oc get secret <name> -o yaml"',
      });
    return {
      type: 'material',
      keyBase64: keyOfSecret(secret, origin),
      origin,
      ...(secret.metadata.name ? { secretName: secret.metadata.name } : {}),
    };
  }
  if (KEY_LENGTHS.includes(bytes.length)) return { type: 'material', keyBase64: bytes.toString('base64'), origin };
  throw new UsageError(`failed to read the encryption key from ${origin}: not a Secret manifest, a base64 key or a raw 16/24/32-byte key`, {
    hint: 'pass the Secret as saved with "oc get secret <name> -o yaml", or the key itself',
  });
}

function keyOfSecret(secret: KubeObject, origin: string): string {
  const data = secret['data'] as Record<string, unknown> | undefined;
  const stringData = secret['stringData'] as Record<string, unknown> | undefined;
  let decoded: Buffer | undefined;
  if (typeof data?.[AESCBC_KEY] === 'string') decoded = Buffer.from(data[AESCBC_KEY], 'base64');
  else if (typeof stringData?.[AESCBC_KEY] === 'string') decoded = Buffer.from(stringData[AESCBC_KEY], 'utf8');
  if (!decoded) {
    throw new UsageError(
      `failed to read the encryption key from ${origin}: Secret "${secret.metadata.name ?? ''}" has no data.${AESCBC_KEY}`,
      { hint: `HyperShift keeps the AES-CBC key under data.${AESCBC_KEY}` },
    );
  }
  if (!KEY_LENGTHS.includes(decoded.length)) {
    throw new PreconditionError(
      `failed to read the encryption key from ${origin}: data.${AESCBC_KEY} is ${decoded.length} bytes, an AES-CBC key is 16, 24 or 32`,
      { hint: 'pass the Secret of the original key, as saved with "oc get secret <name> -o yaml"' },
    );
  }
  return decoded.toString('base64');
}

/** A fresh Secret holding the key: no server fields, nothing but the key. */
export function keySecret(name: string, namespace: string | undefined, keyBase64: string): KubeObject {
  return {
    apiVersion: 'v1',
    data: { [AESCBC_KEY]: keyBase64 },
    kind: 'Secret',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    type: 'Opaque',
  };
}

/**
 * The identity of a KMS key reference: provider plus the provider's active key (AWS arn and
 * region, Azure vault/key/version, IBM key list). Auth roles may differ between clusters.
 */
export function kmsKeyIdentity(kms: unknown): string {
  const k = (kms ?? {}) as Record<string, Record<string, unknown> | string | undefined>;
  const aws = k['aws'] as Record<string, unknown> | undefined;
  const azure = k['azure'] as Record<string, unknown> | undefined;
  const ibm = k['ibmcloud'] as Record<string, unknown> | undefined;
  return JSON.stringify(
    sortKeys({
      provider: k['provider'] ?? null,
      aws: aws ? { activeKey: aws['activeKey'] ?? null, region: aws['region'] ?? null } : null,
      azure: azure ? { activeKey: azure['activeKey'] ?? null } : null,
      ibmcloud: ibm ? { keyList: ibm['keyList'] ?? null } : null,
    }),
  );
}
