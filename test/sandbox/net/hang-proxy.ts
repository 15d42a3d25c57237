/**
 * Servers that stop answering, for cancellation tests, on 127.0.0.1 only:
 *  - startSilentServer: accepts TCP connections, reads whatever comes, never answers (an API
 *    server or S3 endpoint that hangs);
 *  - startHangProxy: an HTTP proxy in front of a real server (the API simulator, the S3 server)
 *    that passes everything through unchanged (Host included, so SigV4 holds; upgrades too, for
 *    exec) except the requests `hang` picks: those are held open, never forwarded, never answered.
 * Both destroy every socket they hold on stop(). Test support only.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SilentServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  stop(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HeldRequest {
  method: string;
  url: string;
  body: string;
}

export interface HangProxy {
  url: string;
  /** Requests held so far (never forwarded). */
  readonly held: HeldRequest[];
  /** Resolves once a request has been held. */
  waitForHeld(): Promise<HeldRequest>;
  stop(): Promise<void>;
}

/** `hang` sees each request with its whole body; it returning true holds that request forever. */
export async function startHangProxy(target: string, hang: (req: HeldRequest) => boolean): Promise<HangProxy> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();
  const held: HeldRequest[] = [];
  const waiters: ((r: HeldRequest) => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen: HeldRequest = { method: req.method ?? 'GET', url: req.url ?? '/', body: body.toString('utf8') };
      if (hang(seen)) {
        held.push(seen);
        for (const w of waiters.splice(0)) w(seen);
        return; // never answered
      }
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // WebSocket upgrades (pods/exec) go through as raw bytes.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const out = net.connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      out.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) out.write(head);
      out.pipe(socket);
      socket.pipe(out);
    });
    sockets.add(out);
    out.on('close', () => sockets.delete(out));
    out.on('error', () => socket.destroy());
    socket.on('error', () => out.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    held,
    waitForHeld: () => (held[0] ? Promise.resolve(held[0]) : new Promise((resolve) => waiters.push(resolve))),
    stop: () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
