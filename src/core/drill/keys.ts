/**
 * The key checks of a drill, pure (node:crypto only):
 *  - AES-CBC values as kube-apiserver writes them (`k8s:enc:aescbc:v1:<key name>:` + IV (16 bytes)
 *    + AES-CBC ciphertext, PKCS#7 padded) decrypt with the bundle's key into a stored object
 *    (protobuf `k8s\0` or JSON): a wrong key fails the padding or, in the rare case the padding
 *    holds by chance, the object's framing;
 *  - KMS values (`k8s:enc:kms:`) cannot be checked offline: named, never failed;
 *  - each carried CA certificate matches its private key (X509Certificate.checkPrivateKey);
 *  - the service-account public key is the private key's.
 */
import { createDecipheriv, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { CheckResult } from './result.ts';

export const AESCBC_PREFIX = 'k8s:enc:aescbc:v1:';
export const KMS_PREFIX = 'k8s:enc:kms:';
const PROTOBUF_MAGIC = Buffer.from('k8s\0', 'latin1');

/** The plain stored object of an aescbc value, or why not (wrong key, damaged value). */
export function decryptAescbc(value: Buffer, key: Buffer): { ok: true; plain: Buffer } | { ok: false; why: string } {
  if (!value.subarray(0, AESCBC_PREFIX.length).equals(Buffer.from(AESCBC_PREFIX))) return { ok: false, why: 'not an aescbc value' };
  const rest = value.subarray(AESCBC_PREFIX.length);
  const colon = rest.indexOf(0x3a);
  if (colon < 0) return { ok: false, why: 'no key name' };
  const body = rest.subarray(colon + 1);
  if (body.length < 32 || body.length % 16 !== 0) return { ok: false, why: `ciphertext of ${body.length} bytes is not IV + whole blocks` };
  if (![16, 24, 32].includes(key.length)) return { ok: false, why: `the key is ${key.length} bytes, AES needs 16, 24 or 32` };
  let plain: Buffer;
  try {
    const d = createDecipheriv(`aes-${key.length * 8}-cbc`, key, body.subarray(0, 16));
    plain = Buffer.concat([d.update(body.subarray(16)), d.final()]);
  } catch {
    return { ok: false, why: 'bad padding after decryption (the key is not the one that encrypted it)' };
  }
  if (!plain.subarray(0, 4).equals(PROTOBUF_MAGIC) && plain[0] !== 0x7b)
    return { ok: false, why: 'decrypts to bytes that are no stored object (the key is not the one that encrypted it)' };
  return { ok: true, plain };
}

/** The key name a value was encrypted with (`k8s:enc:aescbc:v1:<name>:`). */
export function keyNameOf(value: Buffer): string | undefined {
  const text = value.subarray(0, 256).toString('latin1');
  return /^k8s:enc:aescbc:v1:([^:]*):/.exec(text)?.[1];
}

export interface KeyCheck {
  result: CheckResult;
  detail: string;
}

/** Whether a CA's certificate and private key (PEM) are one pair. */
export function caMatches(certPem: string, keyPem: string): { ok: boolean; why?: string } {
  try {
    const cert = new X509Certificate(certPem);
    return cert.checkPrivateKey(createPrivateKey(keyPem)) ? { ok: true } : { ok: false, why: 'the certificate is not of this private key' };
  } catch (err) {
    return { ok: false, why: `does not parse (${(err as Error).message.split('\n')[0]})` };
  }
}

/** Whether the service-account public key (PEM) is the private key's. */
export function keyPairMatches(privatePem: string, publicPem: string): { ok: boolean; why?: string } {
  try {
    const derived = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'der' });
    const given = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
    return derived.equals(given) ? { ok: true } : { ok: false, why: "the public key is not the private key's" };
  } catch (err) {
    return { ok: false, why: `does not parse (${(err as Error).message.split('\n')[0]})` };
  }
}
