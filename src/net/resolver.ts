/**
 * The NameResolver adapter: node's c-ares resolver, asking one DNS server (--dns-server) or the
 * system's. c-ares caches nothing, so every poll of a move's DNS hand-off sees the server's answer
 * of that moment (the system resolver's own cache, e.g. systemd-resolved, may still lag: the hint
 * of a timed-out hand-off says so).
 */
import { Resolver } from 'node:dns/promises';
import { RemoteError, UsageError } from '../core/errors.ts';
import type { NameResolver } from '../core/ports.ts';

const NO_ANSWER = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'NODATA']);

export function createResolver(server?: string, timeoutMs = 2000): NameResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (server !== undefined && server.trim() === '')
    throw new UsageError('--dns-server needs a value', {
      hint: 'pass an IP address with an optional port, e.g. --dns-server 10.0.0.2, or leave the flag out for the system resolver',
    });
  if (server) {
    try {
      resolver.setServers([server]);
    } catch (err) {
      throw new UsageError(`invalid --dns-server "${server}": ${(err as Error).message}`, {
        hint: 'pass an IP address with an optional port, e.g. --dns-server 10.0.0.2 or --dns-server 127.0.0.1:5353',
      });
    }
  }
  const who = server ? `DNS server ${server}` : 'the system resolver';
  return {
    describe: () => who,
    async resolve4(host) {
      try {
        return (await resolver.resolve4(host)).sort();
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (NO_ANSWER.has(code)) return [];
        throw new RemoteError(`failed to resolve ${host} through ${who}: ${code || (err as Error).message}`, {
          hint: server ? 'check that the DNS server answers (dig @<server> <name>)' : 'check the DNS configuration or pass --dns-server',
        });
      }
    },
  };
}
