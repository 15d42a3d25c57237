/**
 * The sandbox DNS server's optional propagation delay and resolver-style TTL caching
 * (test/sandbox/dns/server.ts): both off by default, each checked with a real resolver.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../sandbox/dns/server.ts';
import { waitFor } from '../support/wait.ts';

let dns: DnsServer | undefined;
afterEach(async () => {
  await dns?.stop();
  dns = undefined;
});

const ask = (server: DnsServer, name: string) =>
  server
    .resolver()
    .resolve4(name)
    .catch((err: NodeJS.ErrnoException) => err.code ?? 'error');

describe('sandbox DNS server', () => {
  it('by default answers every change at once', async () => {
    dns = await startDnsServer();
    dns.zone.set('api.example.com', 'A', ['127.0.0.11']);
    expect(await ask(dns, 'api.example.com')).toEqual(['127.0.0.11']);
    dns.zone.set('api.example.com', 'A', ['127.0.0.12']);
    expect(await ask(dns, 'api.example.com')).toEqual(['127.0.0.12']);
  });

  it('with propagationDelayMs, a change is answered only after the delay (the old answer until then)', async () => {
    dns = await startDnsServer({ propagationDelayMs: 800 });
    dns.zone.set('api.example.com', 'A', ['127.0.0.11']);
    expect(await ask(dns, 'api.example.com')).toBe('ENOTFOUND');
    const server = dns;
    await waitFor('the first record', async () => JSON.stringify(await ask(server, 'api.example.com')) === '["127.0.0.11"]', 5000, 50);
    const changedAt = Date.now();
    dns.zone.set('api.example.com', 'A', ['127.0.0.12']);
    expect(await ask(dns, 'api.example.com')).toEqual(['127.0.0.11']);
    await waitFor('the change', async () => JSON.stringify(await ask(server, 'api.example.com')) === '["127.0.0.12"]', 5000, 50);
    expect(Date.now() - changedAt).toBeGreaterThanOrEqual(800);
    dns.zone.delete('api.example.com');
    expect(await ask(dns, 'api.example.com')).toEqual(['127.0.0.12']);
    await waitFor('the deletion', async () => (await ask(server, 'api.example.com')) === 'ENOTFOUND', 5000, 50);
  });

  it('with cache, an answer is repeated until its TTL passes; a record with TTL 0 is never cached', async () => {
    dns = await startDnsServer({ cache: true });
    dns.zone.set('cached.example.com', 'A', ['127.0.0.11'], 2);
    dns.zone.set('fresh.example.com', 'A', ['127.0.0.11'], 0);
    expect(await ask(dns, 'cached.example.com')).toEqual(['127.0.0.11']);
    expect(await ask(dns, 'fresh.example.com')).toEqual(['127.0.0.11']);
    const changedAt = Date.now();
    dns.zone.set('cached.example.com', 'A', ['127.0.0.12'], 2);
    dns.zone.set('fresh.example.com', 'A', ['127.0.0.12'], 0);
    expect(await ask(dns, 'cached.example.com')).toEqual(['127.0.0.11']);
    expect(await ask(dns, 'fresh.example.com')).toEqual(['127.0.0.12']);
    const ttl = await dns.resolver().resolve4('cached.example.com', { ttl: true });
    expect(ttl[0]!.ttl).toBeLessThanOrEqual(2);
    const server = dns;
    await waitFor(
      'the cached answer to expire',
      async () => JSON.stringify(await ask(server, 'cached.example.com')) === '["127.0.0.12"]',
      5000,
      100,
    );
    expect(Date.now() - changedAt).toBeGreaterThanOrEqual(1000);
  });
});
