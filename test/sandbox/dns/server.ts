/**
 * The sandbox's DNS server: authoritative for every name it holds, on 127.0.0.1 over UDP and TCP (one
 * port for both), written with node:dgram/node:net and wire.ts. Test support only, never shipped.
 *
 *  - Records live in `zone` (a DnsZone): A and TXT record sets per name, written by the external-DNS
 *    stand-ins of the management clusters (test/sandbox/hypershift/external-dns.ts) as external-dns
 *    writes Route53, or by a test directly.
 *  - A name with records of another type (or only records below it) answers NOERROR with no answer
 *    (NODATA); a name with nothing at or below it answers NXDOMAIN. ANY returns every A and TXT.
 *    AA is set; RD is echoed; recursion is never offered. Other opcodes: NOTIMP; other classes: REFUSED;
 *    unreadable messages: FORMERR.
 *  - UDP answers larger than 512 bytes (or the EDNS size the client announced) come back with TC and
 *    no answers, and the client asks again over TCP (2-byte length framing, several queries per
 *    connection), as real resolvers do.
 *  - TTL defaults to 0, so no client caches an answer: a test sees each change at once.
 *  - Optional, each off by default: `propagationDelayMs` answers from a copy of the zone that lags every
 *    change by that long (Route53's change propagation: the API says done, resolvers see it later);
 *    `cache` answers like a caching resolver in front of it: a positive answer, once given, is given
 *    again unchanged until its TTL has passed (negative answers are not cached: the zone has no SOA).
 *
 * API: `const dns = await startDnsServer()`; `dns.port`, `dns.address` ('127.0.0.1:<port>', what
 * `--dns-server` and `dig @127.0.0.1 -p <port>` take), `dns.zone.set(name, 'A', ['127.0.0.11'])`,
 * `dns.zone.get(name, 'TXT')`, `dns.zone.delete(name, type?)`, `dns.zone.list()`, `dns.resolver()` (a
 * node:dns promises Resolver pointed at it), `dns.queries` ({udp, tcp} answered), `dns.stop()`.
 */
import dgram from 'node:dgram';
import { promises as dnsPromises } from 'node:dns';
import net from 'node:net';
import {
  aData,
  CLASS_IN,
  DnsFormatError,
  encodeResponse,
  formatError,
  parseQuery,
  PLAIN_UDP_LIMIT,
  RCODE,
  TYPE,
  txtData,
  type ResourceRecord,
} from './wire.ts';

export type RecordType = 'A' | 'TXT';

export interface RecordSet {
  /** Lower-case, without the trailing dot. */
  name: string;
  type: RecordType;
  values: string[];
  ttl: number;
}

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The records a DNS server answers from; every change is immediate. */
export class DnsZone {
  private readonly sets = new Map<string, RecordSet>();
  private readonly listeners = new Set<(name: string) => void>();
  private readonly defaultTtl: number;
  constructor(defaultTtl = 0) {
    this.defaultTtl = defaultTtl;
  }

  /** Replaces the record set `name`/`type` (an empty list deletes it). */
  set(name: string, type: RecordType, values: string[], ttl = this.defaultTtl): void {
    const n = norm(name);
    if (type === 'A') for (const v of values) aData(v); // throws for a bad address
    if (values.length === 0) this.sets.delete(`${n}/${type}`);
    else this.sets.set(`${n}/${type}`, { name: n, type, values: [...values], ttl });
    for (const l of this.listeners) l(n);
  }

  get(name: string, type: RecordType): string[] | undefined {
    return this.sets.get(`${norm(name)}/${type}`)?.values.slice();
  }

  /** Deletes one record set, or every set of the name when no type is given. */
  delete(name: string, type?: RecordType): void {
    for (const t of type ? [type] : (['A', 'TXT'] as const)) this.sets.delete(`${norm(name)}/${t}`);
    for (const l of this.listeners) l(norm(name));
  }

  list(): RecordSet[] {
    return [...this.sets.values()]
      .map((s) => ({ ...s, values: s.values.slice() }))
      .sort((a, b) => (a.name + a.type).localeCompare(b.name + b.type));
  }

  /** True when the name, or a name below it, holds records (so it is not NXDOMAIN). */
  exists(name: string): boolean {
    const n = norm(name);
    for (const s of this.sets.values()) if (s.name === n || (n === '' ? true : s.name.endsWith(`.${n}`))) return true;
    return false;
  }

  /** Called with the name after every change; returns an unsubscribe function. */
  onChange(listener: (name: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface DnsServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** '127.0.0.1:<port>' */
  readonly address: string;
  readonly zone: DnsZone;
  /** Queries answered so far, by transport. */
  readonly queries: { udp: number; tcp: number };
  /** A real DNS client (node:dns, c-ares) that asks only this server. */
  resolver(options?: { timeoutMs?: number }): dnsPromises.Resolver;
  stop(): Promise<void>;
}

export interface DnsServerOptions {
  /** Port for UDP and TCP (default: a free one). */
  port?: number;
  /** TTL of records set without one (default 0). */
  ttl?: number;
  /** Changes become visible to queries this long after they are made (default 0: at once). */
  propagationDelayMs?: number;
  /** Cache answered record sets for their TTL, as a resolver in front of the zone does (default false). */
  cache?: boolean;
}

/** What queries are answered from: the zone itself, or a lagging or caching view of it. */
interface ZoneView {
  exists(name: string): boolean;
  recordSet(name: string, type: RecordType): RecordSet | undefined;
}

const directView = (zone: DnsZone): ZoneView => ({
  exists: (name) => zone.exists(name),
  recordSet: (name, type) => zone.list().find((s) => s.name === name && s.type === type),
});

/** A copy of `zone` that takes each change `delayMs` after it happened; returns it and a stop function. */
function laggingView(zone: DnsZone, delayMs: number): { view: ZoneView; stop: () => void } {
  const published = new DnsZone();
  const timers = new Set<NodeJS.Timeout>();
  const copy = (name: string) => {
    for (const type of ['A', 'TXT'] as const) {
      const set = zone.list().find((s) => s.name === name && s.type === type);
      if (set) published.set(name, type, set.values, set.ttl);
      else if (published.get(name, type)) published.delete(name, type);
    }
  };
  for (const s of zone.list()) copy(s.name);
  const off = zone.onChange((name) => {
    const t = setTimeout(() => {
      timers.delete(t);
      copy(name);
    }, delayMs);
    timers.add(t);
  });
  return {
    view: directView(published),
    stop: () => {
      off();
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** A resolver cache over `inner`: a record set answered once is answered again until its TTL passes. */
function cachingView(inner: ZoneView): ZoneView {
  const cache = new Map<string, { set: RecordSet; until: number }>();
  return {
    exists: (name) => [...cache.values()].some((c) => c.set.name === name && c.until > Date.now()) || inner.exists(name),
    recordSet(name, type) {
      const hit = cache.get(`${name}/${type}`);
      if (hit && hit.until > Date.now()) return { ...hit.set, ttl: Math.max(0, Math.ceil((hit.until - Date.now()) / 1000)) };
      const set = inner.recordSet(name, type);
      if (set && set.ttl > 0) cache.set(`${name}/${type}`, { set, until: Date.now() + set.ttl * 1000 });
      else cache.delete(`${name}/${type}`);
      return set;
    },
  };
}

function answer(zone: ZoneView, msg: Buffer, tcp: boolean): Buffer | undefined {
  let query;
  try {
    query = parseQuery(msg);
  } catch (err) {
    if (err instanceof DnsFormatError) return formatError(msg);
    throw err;
  }
  if (query.isResponse) return undefined;
  const limit = tcp ? 65535 : Math.max(PLAIN_UDP_LIMIT, query.ednsUdpSize ?? 0);
  const reply = (rcode: number, answers: ResourceRecord[] = []) => encodeResponse({ query, rcode, answers, authoritative: true, limit });
  if (query.opcode !== 0) return reply(RCODE.NOTIMP);
  const q = query.questions[0];
  if (query.questions.length !== 1 || !q) return reply(RCODE.FORMERR);
  if (q.class !== CLASS_IN && q.class !== TYPE.ANY) return reply(RCODE.REFUSED);
  if (!zone.exists(q.name)) return reply(RCODE.NXDOMAIN);
  const out: ResourceRecord[] = [];
  for (const type of ['A', 'TXT'] as const) {
    const code = TYPE[type];
    if (q.type !== code && q.type !== TYPE.ANY) continue;
    const set = zone.recordSet(q.name, type);
    for (const v of set?.values ?? []) out.push({ type: code, ttl: set!.ttl, data: type === 'A' ? aData(v) : txtData(v) });
  }
  return reply(RCODE.NOERROR, out);
}

export async function startDnsServer(options: DnsServerOptions = {}): Promise<DnsServer> {
  const zone = new DnsZone(options.ttl ?? 0);
  const queries = { udp: 0, tcp: 0 };
  const sockets = new Set<net.Socket>();
  const lagging = options.propagationDelayMs ? laggingView(zone, options.propagationDelayMs) : undefined;
  const base = lagging?.view ?? directView(zone);
  const view = options.cache ? cachingView(base) : base;
  const respond = (msg: Buffer, tcp: boolean) => {
    const r = answer(view, msg, tcp);
    if (r) queries[tcp ? 'tcp' : 'udp']++;
    return r;
  };

  const tcpServer = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        const r = respond(msg, true);
        if (!r) continue;
        const framed = Buffer.alloc(2 + r.length);
        framed.writeUInt16BE(r.length, 0);
        r.copy(framed, 2);
        socket.write(framed);
      }
    });
  });

  // One port for both transports: take a free TCP port, then bind UDP to it (retry if UDP's is taken).
  let udp: dgram.Socket | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 20 && !udp; attempt++) {
    await new Promise<void>((resolve, reject) => {
      tcpServer.once('error', reject);
      tcpServer.listen(options.port ?? 0, '127.0.0.1', () => {
        tcpServer.off('error', reject);
        resolve();
      });
    });
    port = (tcpServer.address() as net.AddressInfo).port;
    const socket = dgram.createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) udp = socket;
    else {
      socket.close();
      await new Promise<void>((r) => tcpServer.close(() => r()));
      if (options.port) throw new Error(`dns: UDP port ${options.port} is in use`);
    }
  }
  if (!udp) throw new Error('dns: no port free for both UDP and TCP');
  const udpSocket = udp;
  udpSocket.on('message', (msg, rinfo) => {
    const r = respond(msg, false);
    if (r) udpSocket.send(r, rinfo.port, rinfo.address);
  });
  udpSocket.on('error', () => undefined);

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    zone,
    get queries() {
      return { ...queries };
    },
    resolver(o = {}) {
      const r = new dnsPromises.Resolver({ timeout: o.timeoutMs ?? 1000, tries: 2 });
      r.setServers([`127.0.0.1:${port}`]);
      return r;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      lagging?.stop();
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udpSocket.close(() => r())), new Promise<void>((r) => tcpServer.close(() => r()))]);
    },
  };
}
