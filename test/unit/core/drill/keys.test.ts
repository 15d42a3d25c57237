/** The drill's pure checks: aescbc values as kube-apiserver writes them, key pairs, keys per resource type. */
import { createCipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caMatches, decryptAescbc, keyNameOf, keyPairMatches } from '../../../../src/core/drill/keys.ts';
import { countKeysByType, resourceTypeOf, valuesOf } from '../../../../src/core/drill/data.ts';
import { selfSignedCa } from '../../../sandbox/hypershift/x509.ts';

function envelope(plain: Buffer, key: Buffer, name = 'key1'): Buffer {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([Buffer.from(`k8s:enc:aescbc:v1:${name}:`), iv, c.update(plain), c.final()]);
}

describe('decryptAescbc', () => {
  const key = randomBytes(32);
  const stored = Buffer.concat([Buffer.from('k8s\0', 'latin1'), randomBytes(100)]);

  it('decrypts a value with its key into the stored object, and names the key', () => {
    const value = envelope(stored, key, 'active');
    expect(decryptAescbc(value, key)).toEqual({ ok: true, plain: stored });
    expect(keyNameOf(value)).toBe('active');
  });

  it('refuses every one of many values under a wrong key (padding, or framing when the padding holds by chance)', () => {
    for (let i = 0; i < 300; i++) expect(decryptAescbc(envelope(stored, key), randomBytes(32)).ok).toBe(false);
  });

  it('refuses a cut value and a value that is not aescbc', () => {
    const value = envelope(stored, key);
    expect(decryptAescbc(value.subarray(0, value.length - 5), key)).toMatchObject({ ok: false, why: /whole blocks/ });
    expect(decryptAescbc(Buffer.from('k8s:enc:kms:v2:x:abc'), key)).toMatchObject({ ok: false, why: 'not an aescbc value' });
  });
});

describe('key pairs', () => {
  it('a CA matches its own key and not another CA', async () => {
    const [a, b] = await Promise.all([selfSignedCa('a'), selfSignedCa('b')]);
    expect(caMatches(a.cert, a.key)).toEqual({ ok: true });
    expect(caMatches(a.cert, b.key)).toMatchObject({ ok: false, why: /not of this private key/ });
    expect(caMatches('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', a.key)).toMatchObject({
      ok: false,
      why: /does not parse/,
    });
  });

  it('a service-account public key matches its private key only', () => {
    const one = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const two = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = (k: typeof one) => ({
      priv: k.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
      pub: k.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    });
    expect(keyPairMatches(pem(one).priv, pem(one).pub)).toEqual({ ok: true });
    expect(keyPairMatches(pem(one).priv, pem(two).pub).ok).toBe(false);
  });
});

describe('keys per resource type', () => {
  it('reads kube-apiserver storage keys under the OpenShift and upstream prefixes', () => {
    expect(resourceTypeOf('/kubernetes.io/secrets/default/x')).toBe('secrets');
    expect(resourceTypeOf('/registry/minions/node-1')).toBe('nodes');
    expect(resourceTypeOf('/kubernetes.io/route.openshift.io/routes/ns/r')).toBe('routes.route.openshift.io');
    expect(resourceTypeOf('/seed/00000001')).toBe('other');
    const out = '/kubernetes.io/secrets/a/b\n\n/kubernetes.io/configmaps/a/c\n\n/kubernetes.io/minions/n\n\n/seed/1\n';
    expect(countKeysByType(out)).toMatchObject({ total: 4, byType: { secrets: 1, configmaps: 1, nodes: 1, other: 1 } });
  });

  it('reads values out of etcdctl -w json', () => {
    const json = JSON.stringify({ kvs: [{ key: Buffer.from('/k').toString('base64'), value: Buffer.from([0, 1, 2]).toString('base64') }] });
    expect(valuesOf(json)).toEqual([{ key: '/k', value: Buffer.from([0, 1, 2]) }]);
    expect(valuesOf('not json')).toEqual([]);
  });
});
