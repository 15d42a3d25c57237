/**
 * An https front on 127.0.0.1 for an http test server, with a throw-away CA made by openssl:
 * the on-prem setup where S3 is served under an internal CA (`--ca-bundle`). Headers, Host
 * included, pass unchanged, so SigV4 signatures made for the front still verify upstream.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface TlsFront {
  url: string;
  /** PEM file of the certificate the front serves (self-signed: it is its own CA). */
  caFile: string;
  close(): Promise<void>;
}

/** A certificate for 127.0.0.1 in `dir`: tls.key and tls.crt (the latter doubles as the CA bundle). */
export async function writeLocalhostCertificate(dir: string): Promise<{ keyFile: string; certFile: string }> {
  const keyFile = path.join(dir, 'tls.key');
  const certFile = path.join(dir, 'tls.crt');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { keyFile, certFile };
}

/** Serves https at a free port and forwards every request to `target` (http). */
export async function startTlsFront(target: string, tls?: { key: string; cert: string; caFile: string }): Promise<TlsFront> {
  const ownDir = tls === undefined ? await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-tls-front-')) : undefined;
  let material = tls;
  if (material === undefined) {
    const files = await writeLocalhostCertificate(ownDir as string);
    material = { key: await readFile(files.keyFile, 'utf8'), cert: await readFile(files.certFile, 'utf8'), caFile: files.certFile };
  }
  const upstream = new URL(target);
  const server = https.createServer({ key: material.key, cert: material.cert }, (req, res) => {
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: material.caFile,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}
