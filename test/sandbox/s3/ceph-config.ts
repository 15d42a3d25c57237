/**
 * The files of the single-host Ceph of ceph-rgw.ts: its ceph.conf and RGW's TLS material.
 * Test support only: never part of the shipped binary.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** The RGW's Ceph name. */
export const RGW = 'client.rgw.a';

/** A CA and a server certificate for 127.0.0.1/localhost signed by it, as an on-prem S3 with an internal CA has. */
export async function writeTls(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  await mkdir(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  await execFileP('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=hcp-dr test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  ]);
  await execFileP('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  await writeFile(f('server.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await execFileP('openssl', [
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-set_serial',
    String(Date.now()),
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
    '-out',
    f('server.crt'),
  ]);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

export interface CephConfOptions {
  dir: string;
  fsid: string;
  monV2: number;
  monV1: number;
  http: number;
  https: number;
  tls: { cert: string; key: string };
  memstoreBytes: number;
  /** Extra [client.rgw.a] settings. */
  rgw: Record<string, string | number>;
}

/** One mon (a), one memstore OSD, the RGW with beast on http and https; every path under `dir`. */
export function cephConf(o: CephConfOptions): string {
  const d = o.dir;
  const rgwExtra = Object.entries(o.rgw)
    .map(([k, v]) => `${k} = ${v}\n`)
    .join('');
  return `[global]
fsid = ${o.fsid}
mon host = [v2:127.0.0.1:${o.monV2},v1:127.0.0.1:${o.monV1}]
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
run dir = ${d}/run
admin socket = ${d}/run/$cluster-$name.asok
pid file = ${d}/run/$name.pid
log file = ${d}/log/$name.log
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 5
mon data avail crit = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0

[mon]
mon data = ${d}/mon/$cluster-$id

[osd]
osd data = ${d}/osd/$cluster-$id
keyring = $osd_data/keyring
osd objectstore = memstore
memstore device bytes = ${o.memstoreBytes}

[client]
keyring = ${d}/keyring

[${RGW}]
rgw frontends = beast endpoint=127.0.0.1:${o.http} ssl_endpoint=127.0.0.1:${o.https} ssl_certificate=${o.tls.cert} ssl_private_key=${o.tls.key}
rgw data = ${d}/rgw
${rgwExtra}`;
}
