/**
 * The control-plane PKI as the control-plane operator keeps it (hypershift-domain.md §5), created
 * by the operator stand-in in the control-plane namespace:
 *  - CA Secrets `root-ca`, `etcd-signer`, `etcd-metrics-signer`, `konnectivity-signer`,
 *    `aggregator-client-signer`, `kube-control-plane-signer`, `kube-apiserver-to-kubelet-signer`,
 *    `system-admin-signer`, `hcco-signer`, `csr-signer`, `ignition-server-ca`, each {ca.crt, ca.key}
 *    (§5: "when the CA Secret already holds ca.crt and ca.key, it is kept"): generated ONLY when
 *    absent or lacking those keys; a pre-created one (a restore's) is kept byte for byte.
 *    `etcd-signer` is the CA that signed the sandbox's etcd certificates (the real members use them);
 *    the others are fresh EC P-256 CAs (x509.ts).
 *  - `sa-signing-key` {service-account.key, service-account.pub}: an RSA key pair, when absent.
 *  - trust ConfigMaps (key ca.crt), derived from the CAs present and rewritten when they differ, as
 *    the operator reconciles them: `root-ca`, `etcd-ca`, `etcd-metrics-ca`, `konnectivity-ca-bundle`,
 *    `aggregator-client-ca`, `client-ca` (every KAS client signer), `kubelet-client-ca` (csr-signer
 *    and the KAS-to-kubelet signer).
 *  - leaf certificates {tls.crt, tls.key} re-issued whenever they are absent or not signed by the
 *    CA present: `kas-server-crt` (root-ca), `kas-kubelet-client-crt` (KAS-to-kubelet signer),
 *    `konnectivity-server` and `konnectivity-agent` (konnectivity-signer). A CA whose certificate does
 *    not parse (a seeded placeholder) signs nothing.
 *  - the etcd member certificates the control plane's etcd really uses (etcd-client-tls,
 *    etcd-server-tls, etcd-peer-tls). Known gap: a pre-created etcd-signer other than the sandbox's
 *    is kept but the members still use the sandbox's own certificates.
 * Names of leaves and data keys where §5 says nothing: chosen as above (tls.crt/tls.key, kubernetes.io/tls).
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { etcdSigner } from '../etcd/certs.ts';
import type { EtcdTlsFiles } from '../etcd/cluster.ts';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';
import { certificates, selfSignedCa, signedLeaf, trusts, type KeyPair } from './x509.ts';

export const SECRETS: GroupResource = { group: '', version: 'v1', plural: 'secrets' };
export const CONFIGMAPS: GroupResource = { group: '', version: 'v1', plural: 'configmaps' };

/** The CA Secrets of a control plane (§5). */
export const CA_SECRETS = [
  'root-ca',
  'etcd-signer',
  'etcd-metrics-signer',
  'konnectivity-signer',
  'aggregator-client-signer',
  'kube-control-plane-signer',
  'kube-apiserver-to-kubelet-signer',
  'system-admin-signer',
  'hcco-signer',
  'csr-signer',
  'ignition-server-ca',
] as const;
export type CaName = (typeof CA_SECRETS)[number];

/** Trust ConfigMaps and the CAs each bundles (§5). */
export const TRUST_CONFIGMAPS: Record<string, readonly CaName[]> = {
  'root-ca': ['root-ca'],
  'etcd-ca': ['etcd-signer'],
  'etcd-metrics-ca': ['etcd-metrics-signer'],
  'konnectivity-ca-bundle': ['konnectivity-signer'],
  'aggregator-client-ca': ['aggregator-client-signer'],
  'client-ca': ['kube-control-plane-signer', 'kube-apiserver-to-kubelet-signer', 'system-admin-signer', 'hcco-signer', 'csr-signer'],
  'kubelet-client-ca': ['csr-signer', 'kube-apiserver-to-kubelet-signer'],
};

/** Leaf certificates and the CA that signs each. */
export const LEAVES: Record<string, { ca: CaName; subject: string }> = {
  'kas-server-crt': { ca: 'root-ca', subject: '/O=openshift/CN=kube-apiserver' },
  'kas-kubelet-client-crt': { ca: 'kube-apiserver-to-kubelet-signer', subject: '/O=kube-master/CN=system:kube-apiserver' },
  'konnectivity-server': { ca: 'konnectivity-signer', subject: '/O=openshift/CN=konnectivity-server' },
  'konnectivity-agent': { ca: 'konnectivity-signer', subject: '/O=openshift/CN=konnectivity-agent' },
};

/** Secret names the stand-in may generate in the control-plane namespace. */
export const PKI_SECRETS = [
  ...CA_SECRETS,
  'sa-signing-key',
  ...Object.keys(LEAVES),
  'etcd-client-tls',
  'etcd-server-tls',
  'etcd-peer-tls',
] as const;

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString());

function serviceAccountKey(): Promise<{ key: string; pub: string }> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } },
      (err, pub, key) => (err ? reject(err) : resolve({ key, pub })),
    );
  });
}

function secret(
  namespace: string,
  name: string,
  data: Record<string, string>,
  type = 'Opaque',
  labels?: Record<string, string>,
): SimObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, ...(labels ? { labels } : {}) }, type, data };
}

/** A CA Secret's key pair, when it holds ca.crt and ca.key. */
export function caOf(store: SimStore, namespace: string, name: string): KeyPair | undefined {
  const data = store.get(SECRETS, namespace, name)?.['data'] as Record<string, string> | undefined;
  const cert = unb64(data?.['ca.crt']);
  const key = unb64(data?.['ca.key']);
  return cert && key ? { cert, key } : undefined;
}

/** The PEM bundle of a trust ConfigMap (key ca.crt). */
export function trustBundle(store: SimStore, namespace: string, name: string): string | undefined {
  return (store.get(CONFIGMAPS, namespace, name)?.['data'] as Record<string, string> | undefined)?.['ca.crt'];
}

/** A leaf Secret's certificate and key (tls.crt, tls.key). */
export function leafOf(store: SimStore, namespace: string, name: string): KeyPair | undefined {
  const data = store.get(SECRETS, namespace, name)?.['data'] as Record<string, string> | undefined;
  const cert = unb64(data?.['tls.crt']);
  const key = unb64(data?.['tls.key']);
  return cert && key ? { cert, key } : undefined;
}

/**
 * Brings the PKI of `namespace` to what the control-plane operator keeps (see the file comment);
 * returns the Secrets and ConfigMaps it created or rewrote. `etcdTls` (the control plane's etcd
 * files) is absent for unmanaged etcd.
 */
export async function ensurePki(store: SimStore, namespace: string, etcdTls?: EtcdTlsFiles): Promise<string[]> {
  const changed: string[] = [];
  const write = (o: SimObject, r = SECRETS) => {
    const cur = store.get(r, namespace, o.metadata.name);
    try {
      if (!cur) store.create(r, o);
      else if (JSON.stringify(cur['data']) !== JSON.stringify(o['data']))
        store.mutate(r, namespace, o.metadata.name, (x) => void (x['data'] = o['data']));
      else return;
      changed.push(o.metadata.name);
    } catch {
      /* changed meanwhile by someone else: the next pass looks again */
    }
  };
  const missing = CA_SECRETS.filter((n) => !caOf(store, namespace, n));
  const made = await Promise.all(missing.map((n) => (n === 'etcd-signer' ? etcdSigner() : selfSignedCa(n))));
  missing.forEach((n, i) => {
    const ca = made[i] as KeyPair;
    if (!caOf(store, namespace, n)) write(secret(namespace, n, { 'ca.crt': b64(ca.cert), 'ca.key': b64(ca.key) }));
  });
  if (!store.get(SECRETS, namespace, 'sa-signing-key')) {
    const sa = await serviceAccountKey();
    if (!store.get(SECRETS, namespace, 'sa-signing-key'))
      write(secret(namespace, 'sa-signing-key', { 'service-account.key': b64(sa.key), 'service-account.pub': b64(sa.pub) }));
  }
  for (const [name, cas] of Object.entries(TRUST_CONFIGMAPS)) {
    const bundle = cas.map((n) => caOf(store, namespace, n)?.cert.trim() ?? '').filter(Boolean);
    if (bundle.length === 0) continue;
    write({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { 'ca.crt': bundle.join('\n') + '\n' } }, CONFIGMAPS);
  }
  await Promise.all(
    Object.entries(LEAVES).map(async ([name, { ca: caName, subject }]) => {
      const ca = caOf(store, namespace, caName);
      if (!ca || certificates(ca.cert).length === 0 || trusts(ca.cert, leafOf(store, namespace, name)?.cert)) return;
      const leaf = await signedLeaf(ca, subject);
      if (caOf(store, namespace, caName)?.cert !== ca.cert) return; // the CA changed meanwhile: the next pass
      write(secret(namespace, name, { 'tls.crt': b64(leaf.cert), 'tls.key': b64(leaf.key) }, 'kubernetes.io/tls'));
    }),
  );
  if (etcdTls) {
    const read = (f: string) => readFile(f, 'utf8');
    const pairs: [string, string, string, string, string][] = [
      ['etcd-client-tls', 'etcd-client.crt', etcdTls.clientCert, 'etcd-client.key', etcdTls.clientKey],
      ['etcd-server-tls', 'server.crt', etcdTls.serverCert, 'server.key', etcdTls.serverKey],
      ['etcd-peer-tls', 'peer.crt', etcdTls.peerCert, 'peer.key', etcdTls.peerKey],
    ];
    for (const [name, certKey, certFile, keyKey, keyFile] of pairs) {
      if (!store.get(SECRETS, namespace, name))
        write(secret(namespace, name, { [certKey]: b64(await read(certFile)), [keyKey]: b64(await read(keyFile)) }));
    }
  }
  return changed;
}

/**
 * The AES-CBC active key: generated in the HostedCluster namespace when the Secret is missing (as the
 * CLI/HO default does), never overwritten; then copied into the control-plane namespace under the
 * same name unless a Secret of that name is already there.
 */
export function ensureEncryptionKey(store: SimStore, hc: SimObject, cpNamespace: string): void {
  const spec = hc['spec'] as { secretEncryption?: { type?: string; aescbc?: { activeKey?: { name?: string } } } } | undefined;
  if (spec?.secretEncryption?.type && spec.secretEncryption.type !== 'aescbc') return;
  const name = spec?.secretEncryption?.aescbc?.activeKey?.name ?? `${hc.metadata.name}-etcd-encryption-key`;
  const ns = hc.metadata.namespace ?? '';
  let source = store.get(SECRETS, ns, name);
  if (!source) {
    try {
      source = store.create(
        SECRETS,
        secret(ns, name, { key: b64(randomBytes(32)) }, 'Opaque', { 'hypershift.openshift.io/safe-to-delete-with-cluster': 'true' }),
      );
    } catch {
      source = store.get(SECRETS, ns, name);
    }
  }
  if (source && !store.get(SECRETS, cpNamespace, name)) {
    try {
      store.create(SECRETS, secret(cpNamespace, name, { ...(source['data'] as Record<string, string>) }));
    } catch {
      /* there already */
    }
  }
}
