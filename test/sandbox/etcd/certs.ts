/**
 * TLS material shaped like HyperShift's etcd secrets: one CA, a server cert that is also the
 * peer cert (serverAuth+clientAuth, SAN IP:127.0.0.1,DNS:localhost) and a client cert.
 * openssl runs once per process (~0.5 s quiet, several seconds under load). With
 * HCP_DR_ETCD_PKI_CACHE=1 it runs once per machine: the PEMs are kept in the ignored .cache/etcd-pki
 * and reused while they are complete, parse, chain to their CA and stay valid for a month; otherwise
 * generated again (see loadEtcdPems for why this is opt-in). HCP_DR_FRESH_ETCD_PKI=1 always skips it.
 * Every cluster then writes the PEMs into its own directory in the in-pod layout under <dir>/tls
 * (= /etc/etcd/tls inside the pod).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pems {
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Absolute paths of the files of one cluster (host side). */
export interface EtcdTlsFiles {
  /** Host directory that stands for /etc/etcd/tls. */
  root: string;
  /** CA bundle: <root>/etcd-ca/ca.crt, or <root>/client/etcd-client-ca.crt in the 4.11 layout. */
  ca: string;
  clientCert: string;
  clientKey: string;
  serverCert: string;
  serverKey: string;
  peerCert: string;
  peerKey: string;
}

let cached: Promise<Pems> | undefined;

/** The cache file; its name changes with what generate() makes, so older layouts are never read. */
const CACHE_FILE = path.join(fileURLToPath(new URL('../../..', import.meta.url)), '.cache', 'etcd-pki', 'v1.json');
const MONTH_MS = 30 * 24 * 3600_000;

/** The cached PEMs when complete and sound (see the file comment), else undefined. */
async function readCache(file: string): Promise<Pems | undefined> {
  try {
    const p = JSON.parse(await readFile(file, 'utf8')) as Partial<Pems>;
    const { ca, caKey, serverCert, serverKey, clientCert, clientKey } = p;
    if (!ca || !caKey || !serverCert || !serverKey || !clientCert || !clientKey) return undefined;
    const caX = new X509Certificate(ca);
    const soon = Date.now() + MONTH_MS;
    for (const leaf of [serverCert, clientCert].map((c) => new X509Certificate(c))) {
      if (!leaf.checkIssued(caX) || !leaf.verify(caX.publicKey) || Date.parse(leaf.validTo) < soon) return undefined;
    }
    return Date.parse(caX.validTo) < soon ? undefined : { ca, caKey, serverCert, serverKey, clientCert, clientKey };
  } catch {
    return undefined;
  }
}

/** Writes the cache atomically (two processes generating at once: the last rename wins, both valid). */
async function writeCache(file: string, pems: Pems): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, JSON.stringify(pems), { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }); // a read-only checkout: every process generates its own, as before
  }
}

/**
 * The etcd PEMs from the cache `file` when sound, else newly generated and written there. The
 * shared cache is opt-in (HCP_DR_ETCD_PKI_CACHE=1, or a `file` given): sharing one etcd PKI across
 * processes broke etcd-version-refusal's 3.6-into-3.5 refusal in a fresh clone's CI run (cause not
 * found yet), so by default each process generates its own, as before.
 */
export async function loadEtcdPems(file?: string): Promise<Pems> {
  if (process.env['HCP_DR_FRESH_ETCD_PKI'] === '1') return generate();
  if (file === undefined && process.env['HCP_DR_ETCD_PKI_CACHE'] !== '1') return generate();
  file ??= CACHE_FILE;
  const hit = await readCache(file);
  if (hit) return hit;
  const pems = await generate();
  await writeCache(file, pems);
  return pems;
}

async function generate(): Promise<Pems> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'hcpdr-pki-'));
  try {
    const f = (n: string) => path.join(tmp, n);
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=etcd-signer',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.crt'),
    ]);
    await writeFile(f('server.ext'), 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
    const leaf = async (name: string, cn: string) => {
      await run('openssl', [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        f(`${name}.key`),
        '-out',
        f(`${name}.csr`),
      ]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        f(`${name}.csr`),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-set_serial',
        String(Date.now() + name.length),
        '-days',
        '3650',
        '-extfile',
        f(`${name}.ext`),
        '-out',
        f(`${name}.crt`),
      ]);
    };
    await Promise.all([leaf('server', 'etcd-server'), leaf('client', 'etcd-client')]);
    const read = (n: string) => readFile(f(n), 'utf8');
    return {
      ca: await read('ca.crt'),
      caKey: await read('ca.key'),
      serverCert: await read('server.crt'),
      serverKey: await read('server.key'),
      clientCert: await read('client.crt'),
      clientKey: await read('client.key'),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The CA that signed every etcd certificate of this process (HyperShift's `etcd-signer`): what the
 * operator stand-in stores in the `etcd-signer` Secret when it generates one.
 */
export async function etcdSigner(): Promise<{ cert: string; key: string }> {
  cached ??= loadEtcdPems();
  const pems = await cached;
  return { cert: pems.ca, key: pems.caKey };
}

/** Writes the TLS files under <dir>/tls. With legacyCaPath only the 4.11 CA path exists. */
export async function writeEtcdTls(dir: string, legacyCaPath = false): Promise<EtcdTlsFiles> {
  cached ??= loadEtcdPems();
  const pems = await cached.catch((err: unknown) => {
    cached = undefined; // let a later cluster retry
    throw err;
  });
  const root = path.join(dir, 'tls');
  const p = (...parts: string[]) => path.join(root, ...parts);
  const files: EtcdTlsFiles = {
    root,
    ca: legacyCaPath ? p('client', 'etcd-client-ca.crt') : p('etcd-ca', 'ca.crt'),
    clientCert: p('client', 'etcd-client.crt'),
    clientKey: p('client', 'etcd-client.key'),
    serverCert: p('server', 'server.crt'),
    serverKey: p('server', 'server.key'),
    peerCert: p('peer', 'peer.crt'),
    peerKey: p('peer', 'peer.key'),
  };
  for (const d of ['client', 'server', 'peer', ...(legacyCaPath ? [] : ['etcd-ca'])]) {
    await mkdir(p(d), { recursive: true });
  }
  const key = { mode: 0o600 };
  await Promise.all([
    writeFile(files.ca, pems.ca),
    writeFile(files.clientCert, pems.clientCert),
    writeFile(files.clientKey, pems.clientKey, key),
    writeFile(files.serverCert, pems.serverCert),
    writeFile(files.serverKey, pems.serverKey, key),
    writeFile(files.peerCert, pems.serverCert),
    writeFile(files.peerKey, pems.serverKey, key),
  ]);
  return files;
}
