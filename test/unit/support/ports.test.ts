import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts, releasePorts } from '../../support/ports.ts';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('freePorts', () => {
  it('hands out distinct ports below the ephemeral range, each bindable, none twice until released', async () => {
    const first = await freePorts(40);
    const second = await freePorts(40);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(80);
    if (ephemeralLow - 10_000 >= 2_000) for (const p of all) expect(p >= 10_000 && p < ephemeralLow, `port ${p}`).toBe(true);
    const servers = await Promise.all(
      all.map(
        (port) =>
          new Promise<net.Server>((resolve, reject) => {
            const s = net.createServer();
            s.once('error', reject);
            s.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(s));
          }),
      ),
    );
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    releasePorts(all);
  });
});
