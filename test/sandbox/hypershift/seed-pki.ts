/**
 * The seeded demo's identity Secrets as a real control plane holds them (hypershift-domain.md §5):
 * `root-ca` a CA whose ca.crt is the certificate of its ca.key, `etcd-signer` the CA that signed the
 * sandbox's etcd certificates, `sa-signing-key` an RSA key pair. seed.ts writes placeholders (it
 * is synchronous); startSandbox replaces them with these before anything reads them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { etcdSigner } from '../etcd/certs.ts';
import type { SimStore } from '../api/types.ts';
import { selfSignedCa } from './x509.ts';
import { SECRETS } from './pki.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

export async function seedRealIdentity(store: SimStore, namespace: string): Promise<void> {
  const [root, etcd] = await Promise.all([selfSignedCa('root-ca'), etcdSigner()]);
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data: Record<string, Record<string, string>> = {
    'root-ca': { 'ca.crt': b64(root.cert), 'ca.key': b64(root.key) },
    'etcd-signer': { 'ca.crt': b64(etcd.cert), 'ca.key': b64(etcd.key) },
    'sa-signing-key': {
      'service-account.key': b64(sa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string),
      'service-account.pub': b64(sa.publicKey.export({ type: 'spki', format: 'pem' }) as string),
    },
  };
  for (const [name, d] of Object.entries(data)) {
    if (!store.get(SECRETS, namespace, name)) continue;
    store.mutate(SECRETS, namespace, name, (o) => {
      o['data'] = d;
    });
  }
}
