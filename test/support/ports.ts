/**
 * Free TCP ports on 127.0.0.1 for test servers that cannot bind port 0 themselves (etcd needs
 * its peer URLs before it starts). Ports come from below the kernel's ephemeral range
 * (ip_local_port_range), where no outgoing connection is ever given a local port: a port picked
 * from inside that range can be taken by any process's connect() between our check and the
 * server's bind, and an etcd member whose port is taken crash-loops for good. The process-wide
 * `handedOut` set keeps two callers in the same process from receiving the same port while the
 * first has not bound it yet; other processes (parallel test files) pick at random, so a clash
 * between them is rare, and callers that spawn servers still retry on EADDRINUSE.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

const handedOut = new Set<number>();
/** Ports below this are left to services that bind fixed ports. */
const LOWEST = 10_000;
/** Below this many candidate ports, the kernel picks (from the ephemeral range) as before. */
const ENOUGH = 2_000;

/** [first, end) of the ports below the ephemeral range, or undefined when too few. */
function quietRange(): [number, number] | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low - LOWEST >= ENOUGH ? [LOWEST, low] : undefined;
  } catch {
    return undefined;
  }
}
const range = quietRange();

function listenOnce(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => (port !== 0 && err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

const candidate = () => (range ? range[0] + Math.floor(Math.random() * (range[1] - range[0])) : 0);

/** Returns `count` distinct ports that were free a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    // Hold every server open until all ports are known so no port is handed out twice.
    for (let tries = 0; ports.length < count; tries++) {
      const wanted = tries < 100 * count ? candidate() : 0;
      if (wanted !== 0 && handedOut.has(wanted)) continue;
      const server = await listenOnce(wanted);
      if (!server) continue;
      held.push(server);
      const port = (server.address() as net.AddressInfo).port;
      if (handedOut.has(port) || ports.includes(port)) continue;
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  for (const p of ports) handedOut.add(p);
  return ports;
}

/** Lets a port be handed out again (after the server using it is gone). */
export function releasePorts(ports: readonly number[]): void {
  for (const p of ports) handedOut.delete(p);
}
