/**
 * The direct path's TLS material becomes one SecureContext that every connection (the agent's and
 * each exec WebSocket) shares; material that does not build goes through as it was, so the
 * connection reports it as before. The shared context is proved to connect over real TLS.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sharedTls } from '../../../src/kube/session.ts';
import { selfSignedCertificate } from '../../sandbox/api/selfsigned.ts';

describe('sharedTls', () => {
  it('builds one SecureContext from ca, cert and key and keeps the other options', () => {
    const server = selfSignedCertificate('shared-tls-test');
    const tls = sharedTls({ ca: server.cert, rejectUnauthorized: true, servername: 'api.example' });
    expect(tls['secureContext']).toBeDefined();
    expect(tls).toMatchObject({ rejectUnauthorized: true, servername: 'api.example' });
    expect(tls).not.toHaveProperty('ca');
  });

  it('passes material that does not build through unchanged', () => {
    const options = { cert: 'not a certificate', key: 'not a key', rejectUnauthorized: true };
    expect(sharedTls(options)).toBe(options);
  });

  it('a request with the shared context trusts the CA it was built from, and refuses without it', async () => {
    const cert = selfSignedCertificate('localhost');
    const server = https.createServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const get = (tls: Record<string, unknown>) =>
      new Promise<string>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port, path: '/', servername: 'localhost', agent: false, ...tls }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const tls = sharedTls({ ca: cert.cert, rejectUnauthorized: true });
      expect(await get(tls)).toBe('ok');
      expect(await get(tls)).toBe('ok');
      await expect(get(sharedTls({ rejectUnauthorized: true }))).rejects.toThrow(/self-signed|certificate/i);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
