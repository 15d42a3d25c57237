/**
 * Sealing for the Bitnami sealed-secrets controller (docs/developer/crypto.md of
 * bitnami-labs/sealed-secrets): each value is encrypted with AES-256-GCM under a single-use
 * 32-byte session key and a zero 12-byte nonce; the session key is encrypted with RSA-OAEP
 * (SHA-256, MGF1-SHA-256) using the scope label ("namespace/name" for strict scope) as the
 * OAEP label. Output: uint16 big-endian length of the RSA ciphertext || RSA ciphertext ||
 * AES-GCM ciphertext || 16-byte tag, base64 (standard) in spec.encryptedData.
 *
 * Determinism: the session key and the OAEP seed are derived with HMAC-SHA-256 from a key
 * that hashes every Secret value of the export, so an unchanged cluster seals to identical
 * bytes. Equal plaintexts give equal ciphertexts only within the same export input; without
 * the values (the pull secret alone holds long random tokens) the derivation key is unknown,
 * so the public key does not let anyone test guesses. OAEP is encoded here (RFC 8017 §7.1.1)
 * because node:crypto's OAEP takes no seed; the RSA step is node:crypto's raw RSA.
 */
import {
  constants,
  createCipheriv,
  createHash,
  createHmac,
  createPublicKey,
  publicEncrypt,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { UsageError } from '../errors.ts';

const HASH_LEN = 32;

/** The RSA public key from a sealed-secrets certificate (kubeseal --fetch-cert) or a PEM public key. */
export function sealingKeyFromPem(pem: string, source: string): KeyObject {
  try {
    const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`the key is ${key.asymmetricKeyType}, not RSA`);
    return key;
  } catch (err) {
    throw new UsageError(`failed to read the sealing certificate ${source}: ${(err as Error).message}`, {
      hint: 'fetch it with "kubeseal --fetch-cert > sealed-secrets.pem"',
    });
  }
}

/** The OAEP label of a scope: strict binds the value to one Secret name in one namespace. */
export function scopeLabel(namespace: string, name: string): Buffer {
  return Buffer.from(`${namespace}/${name}`);
}

function mgf1(seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0; out.length * HASH_LEN < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    out.push(createHash('sha256').update(seed).update(c).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** RSAES-OAEP-ENCRYPT with SHA-256 and a caller-provided seed. */
export function oaepEncrypt(key: KeyObject, message: Buffer, label: Buffer, seed: Buffer): Buffer {
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (message.length > k - 2 * HASH_LEN - 2)
    throw new UsageError('the sealing key is too small for a 32-byte session key', {
      hint: 'pass the sealed-secrets controller certificate (kubeseal --fetch-cert)',
    });
  const lHash = createHash('sha256').update(label).digest();
  const db = Buffer.concat([lHash, Buffer.alloc(k - message.length - 2 * HASH_LEN - 2), Buffer.from([1]), message]);
  const maskedDb = xor(db, mgf1(seed, k - HASH_LEN - 1));
  const maskedSeed = xor(seed, mgf1(maskedDb, HASH_LEN));
  const em = Buffer.concat([Buffer.from([0]), maskedSeed, maskedDb]);
  return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
}

/** The derivation key of one export: SHA-256 over every (namespace, name, key, value), sorted. */
export function derivationKey(secrets: ReadonlyArray<{ namespace: string; name: string; data: Record<string, Buffer> }>): Buffer {
  const h = createHash('sha256').update('hcp-dr sealed-secrets derivation v1\0');
  const items = secrets.flatMap((s) =>
    Object.keys(s.data)
      .sort()
      .map((k) => [s.namespace, s.name, k, s.data[k] as Buffer] as const),
  );
  items.sort((a, b) => `${a[0]}\0${a[1]}\0${a[2]}`.localeCompare(`${b[0]}\0${b[1]}\0${b[2]}`));
  for (const [ns, name, k, v] of items) h.update(`${ns}\0${name}\0${k}\0${v.length}\0`).update(v);
  return h.digest();
}

/** HybridEncrypt of sealed-secrets, with derived instead of random session key and seed. */
export function sealValue(key: KeyObject, plaintext: Buffer, label: Buffer, derivation: Buffer, dataKey: string): string {
  const sessionKey = createHmac('sha256', derivation)
    .update('session\0')
    .update(label)
    .update('\0')
    .update(dataKey)
    .update('\0')
    .update(plaintext)
    .digest();
  const seed = createHmac('sha256', derivation).update('oaep-seed\0').update(sessionKey).digest();
  const rsa = oaepEncrypt(key, sessionKey, label, seed);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsa.length);
  const cipher = createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([length, rsa, body]).toString('base64');
}
