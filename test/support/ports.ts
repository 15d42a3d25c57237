/**
 * Free TCP ports on 127.0.0.1 for test servers that cannot bind port 0 themselves (etcd needs
 * its peer URLs before it starts). The kernel picks the ports; the process-wide `handedOut` set
 * keeps two callers in the same process from receiving the same port while the first has not
 * bound it yet. Other processes (parallel test files) can still race for a port between our
 * close() and the server's bind: callers that spawn servers must retry on EADDRINUSE.
 */
import net from 'node:net';

const handedOut = new Set<number>();

function listenOnce(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve(server));
  });
}

/** Returns `count` distinct ports that were free a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    // Hold every server open until all ports are known so the kernel cannot repeat one.
    while (ports.length < count) {
      const server = await listenOnce();
      held.push(server);
      const port = (server.address() as net.AddressInfo).port;
      if (handedOut.has(port)) continue;
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
