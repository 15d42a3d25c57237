/**
 * SealedSecrets as the controller opens them. The decryption below follows the controller's
 * documented scheme (sealed-secrets docs/developer/crypto.md, HybridDecrypt) and is written
 * independently of the sealing code: node's own OAEP (SHA-256, label) unwraps the session
 * key, AES-256-GCM with a zero nonce opens the value.
 */
import { execFileSync } from 'node:child_process';
import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/core/model.ts';
import { convertSecrets } from '../../../src/core/export/secrets.ts';
import { sealingKeyFromPem } from '../../../src/core/export/sealed.ts';
import { UsageError } from '../../../src/core/errors.ts';
import { options } from './helpers.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** The controller's side: base64 → [len:2][rsa][aes-gcm ciphertext||tag]. */
function unseal(priv: KeyObject, b64: string, label: string): Buffer {
  const raw = Buffer.from(b64, 'base64');
  const rsaLen = raw.readUInt16BE(0);
  const sessionKey = privateDecrypt(
    { key: priv, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label) },
    raw.subarray(2, 2 + rsaLen),
  );
  const body = raw.subarray(2 + rsaLen);
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
}

const secret = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'clusters', labels: { l: 'v' } },
  type: 'kubernetes.io/dockerconfigjson',
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

const inputs = [
  secret('demo-pull-secret', { '.dockerconfigjson': '{"auths":{"quay.io":{"auth":"c2VjcmV0"}}}' }),
  secret('demo-ssh-key', { 'id_rsa.pub': 'ssh-ed25519 AAAA', id_rsa: 'PRIVATE' }),
];

describe('--secrets sealed', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hcpdr-seal-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('SealedSecrets open with the private key under strict scope (label namespace/name)', () => {
    const out = convertSecrets(inputs, options({ secrets: 'sealed', sealed: { certPem: publicPem } }));
    const sealed = out[1]!.object!;
    expect(sealed.apiVersion).toBe('bitnami.com/v1alpha1');
    expect(sealed.kind).toBe('SealedSecret');
    expect(sealed.metadata).toEqual({ name: 'demo-ssh-key', namespace: 'clusters' });
    const spec = sealed['spec'] as { encryptedData: Record<string, string>; template: Record<string, unknown> };
    expect(spec.template).toEqual({
      metadata: { name: 'demo-ssh-key', namespace: 'clusters', labels: { l: 'v' } },
      type: 'kubernetes.io/dockerconfigjson',
    });
    expect(Object.keys(spec.encryptedData)).toEqual(['id_rsa', 'id_rsa.pub']);
    expect(unseal(privateKey, spec.encryptedData['id_rsa']!, 'clusters/demo-ssh-key').toString()).toBe('PRIVATE');
    expect(unseal(privateKey, spec.encryptedData['id_rsa.pub']!, 'clusters/demo-ssh-key').toString()).toBe('ssh-ed25519 AAAA');
    expect(JSON.stringify(out)).not.toContain('PRIVATE');
  });

  it('a value sealed for one Secret does not open as another (the label binds the scope)', () => {
    const [pull] = convertSecrets(inputs, options({ secrets: 'sealed', sealed: { certPem: publicPem } }));
    const value = (pull!.object!['spec'] as { encryptedData: Record<string, string> }).encryptedData['.dockerconfigjson']!;
    expect(unseal(privateKey, value, 'clusters/demo-pull-secret').toString()).toContain('quay.io');
    expect(() => unseal(privateKey, value, 'clusters/other')).toThrow();
    expect(() => unseal(privateKey, value, '')).toThrow();
  });

  it('is deterministic for the same input, and changes when a value changes', () => {
    const o = options({ secrets: 'sealed', sealed: { certPem: publicPem } });
    expect(convertSecrets(inputs, o)).toEqual(convertSecrets(inputs, o));
    const changed = [inputs[0]!, secret('demo-ssh-key', { 'id_rsa.pub': 'ssh-ed25519 BBBB', id_rsa: 'PRIVATE' })];
    const a = convertSecrets(inputs, o)[1]!.object!['spec'] as { encryptedData: Record<string, string> };
    const b = convertSecrets(changed, o)[1]!.object!['spec'] as { encryptedData: Record<string, string> };
    expect(a.encryptedData['id_rsa.pub']).not.toBe(b.encryptedData['id_rsa.pub']);
  });

  it('accepts the controller certificate (kubeseal --fetch-cert) as well as a public key', (ctx) => {
    const keyFile = join(tmp, 'tls.key');
    const certFile = join(tmp, 'tls.crt');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-days', '1', '-subj', '/O=sealed-secret/CN=test'],
        { stdio: 'ignore' },
      );
    } catch {
      ctx.skip(); // no openssl on this machine: the public-key path above covers sealing
      return;
    }
    const certPem = readFileSync(certFile, 'utf8');
    const [pull] = convertSecrets(inputs, options({ secrets: 'sealed', sealed: { certPem } }));
    const value = (pull!.object!['spec'] as { encryptedData: Record<string, string> }).encryptedData['.dockerconfigjson']!;
    expect(unseal(privateKey, value, 'clusters/demo-pull-secret').toString()).toContain('quay.io');
  });

  it('refuses a file that is not an RSA certificate or key', () => {
    expect(() => sealingKeyFromPem('not a pem', '"x.pem"')).toThrow(UsageError);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => sealingKeyFromPem(ec, '"ec.pem"')).toThrow(/not RSA/);
  });
});

describe('--secrets external and plain', () => {
  it('external: an ExternalSecret per Secret, one remote property per key', () => {
    const [ext] = convertSecrets(
      inputs.slice(1),
      options({ secrets: 'external', external: { store: 'vault', storeKind: 'ClusterSecretStore' } }),
    );
    expect(ext!.object).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'demo-ssh-key', namespace: 'clusters' },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' },
        target: {
          name: 'demo-ssh-key',
          creationPolicy: 'Owner',
          template: {
            type: 'kubernetes.io/dockerconfigjson',
            metadata: { name: 'demo-ssh-key', namespace: 'clusters', labels: { l: 'v' } },
          },
        },
        data: [
          { secretKey: 'id_rsa', remoteRef: { key: 'clusters/demo-ssh-key', property: 'id_rsa' } },
          { secretKey: 'id_rsa.pub', remoteRef: { key: 'clusters/demo-ssh-key', property: 'id_rsa.pub' } },
        ],
      },
    });
    expect(JSON.stringify(ext)).not.toContain('PRIVATE');
  });
  it('plain: the Secret itself, marked as holding plain data; omit: nothing', () => {
    expect(convertSecrets(inputs, options({ secrets: 'plain' }))[0]).toEqual({ object: inputs[0], plain: true });
    expect(convertSecrets(inputs, options())).toEqual([{ plain: false }, { plain: false }]);
  });
});
