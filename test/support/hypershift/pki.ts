/**
 * The secrets a control plane needs before it starts, created by the operator stand-in ONLY when
 * absent: a restore pre-creates the originals (hypershift-domain.md §1.2, §1.6, §2.8), and those are
 * kept byte for byte. Names and keys as HyperShift's:
 *   root-ca {ca.crt, ca.key}, etcd-signer {tls.crt, tls.key}, sa-signing-key {service-account.key,
 *   service-account.pub}, etcd-client-tls {etcd-client.crt, etcd-client.key}, etcd-server-tls
 *   {server.crt, server.key}, etcd-peer-tls {peer.crt, peer.key}, ConfigMap etcd-ca {ca.crt}, and the
 *   AES-CBC key copied from the HostedCluster namespace under the same name (key `key`).
 * Generated material is real: a self-signed root CA (openssl), an RSA service-account key pair, the
 * CA that signed the sandbox's etcd certificates as etcd-signer, and the etcd member certificates
 * the control plane's etcd really uses. Known gap: a pre-created etcd-signer is kept but the etcd
 * members still use the sandbox's own certificates (HyperShift would re-sign them with it).
 */
import { execFile } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { etcdSigner } from '../etcd/certs.ts';
import type { EtcdTlsFiles } from '../etcd-cluster.ts';
import type { GroupResource, SimObject, SimStore } from '../sim/types.ts';

const run = promisify(execFile);
export const SECRETS: GroupResource = { group: '', version: 'v1', plural: 'secrets' };
export const CONFIGMAPS: GroupResource = { group: '', version: 'v1', plural: 'configmaps' };

/** Secret names the stand-in generates in the control-plane namespace when absent. */
export const PKI_SECRETS = ['root-ca', 'etcd-signer', 'sa-signing-key', 'etcd-client-tls', 'etcd-server-tls', 'etcd-peer-tls'] as const;

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

async function rootCa(): Promise<{ cert: string; key: string }> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'hcpdr-rootca-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/OU=openshift/CN=root-ca',
      '-keyout',
      path.join(tmp, 'ca.key'),
      '-out',
      path.join(tmp, 'ca.crt'),
    ]);
    return { cert: await readFile(path.join(tmp, 'ca.crt'), 'utf8'), key: await readFile(path.join(tmp, 'ca.key'), 'utf8') };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

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

/**
 * Creates what is missing among the PKI secrets of `namespace`; returns the names it created.
 * `etcdTls` (the control plane's etcd files) is absent for unmanaged etcd.
 */
export async function ensurePki(store: SimStore, namespace: string, etcdTls?: EtcdTlsFiles): Promise<string[]> {
  const created: string[] = [];
  const absent = (name: string, r = SECRETS) => !store.get(r, namespace, name);
  const put = (o: SimObject, r = SECRETS) => {
    try {
      store.create(r, o);
      created.push(o.metadata.name);
    } catch {
      /* created meanwhile by someone else: theirs is kept */
    }
  };
  if (absent('root-ca')) {
    const ca = await rootCa();
    if (absent('root-ca')) put(secret(namespace, 'root-ca', { 'ca.crt': b64(ca.cert), 'ca.key': b64(ca.key) }));
  }
  if (absent('etcd-signer')) {
    const signer = await etcdSigner();
    put(secret(namespace, 'etcd-signer', { 'tls.crt': b64(signer.cert), 'tls.key': b64(signer.key) }, 'kubernetes.io/tls'));
  }
  if (absent('sa-signing-key')) {
    const sa = await serviceAccountKey();
    if (absent('sa-signing-key'))
      put(secret(namespace, 'sa-signing-key', { 'service-account.key': b64(sa.key), 'service-account.pub': b64(sa.pub) }));
  }
  if (etcdTls) {
    const read = (f: string) => readFile(f, 'utf8');
    const pairs: [string, string, string, string, string][] = [
      ['etcd-client-tls', 'etcd-client.crt', etcdTls.clientCert, 'etcd-client.key', etcdTls.clientKey],
      ['etcd-server-tls', 'server.crt', etcdTls.serverCert, 'server.key', etcdTls.serverKey],
      ['etcd-peer-tls', 'peer.crt', etcdTls.peerCert, 'peer.key', etcdTls.peerKey],
    ];
    for (const [name, certKey, certFile, keyKey, keyFile] of pairs) {
      if (absent(name)) put(secret(namespace, name, { [certKey]: b64(await read(certFile)), [keyKey]: b64(await read(keyFile)) }));
    }
    if (absent('etcd-ca', CONFIGMAPS)) {
      put(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'etcd-ca', namespace }, data: { 'ca.crt': await read(etcdTls.ca) } },
        CONFIGMAPS,
      );
    }
  }
  return created;
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
