import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestKubeApi } from '../../../src/kube/rest.ts';
import { Resources } from '../../../src/core/model.ts';

/**
 * A server that answers the first request on each connection and drops the connection, unanswered,
 * when a second request arrives on it: what a kept-alive socket the server closed while idle does.
 */
let server: http.Server;
let base: string;
let requests = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests++;
    const socket = req.socket as typeof req.socket & { served?: boolean };
    if (socket.served) {
      socket.destroy();
      return;
    }
    socket.served = true;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: req.url?.split('/').pop(), namespace: 'ns' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('REST client over a kept-alive socket the server dropped', () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const client = () => new RestKubeApi({ server: base, contextName: 'test', auth: async () => ({ agent, headers: {} }) });

  it('sends a GET once more on a new socket instead of failing with "socket hang up"', async () => {
    const rest = client();
    expect((await rest.get(Resources.pod, 'ns', 'a'))?.metadata.name).toBe('a');
    requests = 0;
    expect((await rest.get(Resources.pod, 'ns', 'b'))?.metadata.name).toBe('b');
    expect(requests).toBe(2); // the dropped one, then the one on a fresh socket
  });

  it('does not resend a request that changes something (the server may have applied it)', async () => {
    const rest = client();
    await rest.get(Resources.pod, 'ns', 'c');
    requests = 0;
    await expect(rest.delete(Resources.pod, 'ns', 'c')).rejects.toThrow(/cannot reach|hang up|reset/);
    expect(requests).toBe(1);
  });

  it('sends a merge patch once more (it sets fixed values: twice is once), but not a create', async () => {
    const rest = client();
    await rest.get(Resources.pod, 'ns', 'd');
    requests = 0;
    const patched = await rest.mergePatch(Resources.pod, 'ns', 'e', { metadata: { annotations: { a: null } } });
    expect(patched.metadata.name).toBe('e');
    expect(requests).toBe(2);
    requests = 0;
    await expect(
      rest.create(Resources.pod, 'ns', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'f', namespace: 'ns' } }),
    ).rejects.toThrow(/cannot reach|hang up|reset/);
    expect(requests).toBe(1);
  });
});
