/**
 * Kubernetes CEL URL, IP and CIDR libraries (k8s.io/apiserver/pkg/cel/library), with Go's
 * parsing rules: isURL/url follow url.ParseRequestURI (absolute URL or absolute path);
 * isIP/ip follow netip.ParseAddr without zones; isCIDR/cidr follow netip.ParsePrefix.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { isIPv4, isIPv6 } from './formats.ts';
import { KubeCelError } from './cel-errors.ts';

export class KubeURL {
  scheme = '';
  host = '';
  path = '';
  rawQuery = '';
  opaque = '';
}

function validEscapes(s: string): boolean {
  return !/%(?![0-9A-Fa-f]{2})/.test(s);
}

/** Go url.ParseRequestURI, reduced to what the URL library exposes. */
export function parseRequestURI(raw: string): KubeURL | undefined {
  if (/[\x00-\x1f\x7f ]/.test(raw)) return undefined;
  const u = new KubeURL();
  let rest = raw;
  const sm = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw);
  if (sm) {
    u.scheme = (sm[1] ?? '').toLowerCase();
    rest = raw.slice(sm[0].length);
  } else if (raw.startsWith(':')) return undefined;
  const q = rest.indexOf('?');
  if (q >= 0) {
    u.rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) {
    if (u.scheme !== '') {
      u.opaque = rest;
      return u;
    }
    return undefined;
  }
  if (u.scheme !== '' && rest.startsWith('//') && !rest.startsWith('///')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    if (!validHost(host)) return undefined;
    u.host = host;
  }
  if (!validEscapes(rest)) return undefined;
  u.path = rest;
  return u;
}

function validHost(host: string): boolean {
  let port = '';
  let name = host;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0 || !isIPv6(host.slice(1, close).replace(/%.*$/, ''))) return false;
    port = host.slice(close + 1);
    if (port !== '' && !port.startsWith(':')) return false;
    return /^(:\d*)?$/.test(port);
  }
  const c = host.lastIndexOf(':');
  if (c >= 0) {
    port = host.slice(c);
    name = host.slice(0, c);
  }
  if (port !== '' && !/^:\d*$/.test(port)) return false;
  return /^[A-Za-z0-9\-._~!$&'()*+,;=%]*$/.test(name) && validEscapes(name);
}

function hostname(u: KubeURL): string {
  if (u.host.startsWith('[')) return u.host.slice(1, u.host.indexOf(']'));
  const c = u.host.lastIndexOf(':');
  return c >= 0 ? u.host.slice(0, c) : u.host;
}

function query(u: KubeURL): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pair of u.rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const [k, v = ''] = pair.split(/=(.*)/s);
    try {
      const key = decodeURIComponent((k ?? '').replace(/\+/g, ' '));
      (out[key] ??= []).push(decodeURIComponent(v.replace(/\+/g, ' ')));
    } catch {
      /* invalid escapes are skipped, as Go's Query() does */
    }
  }
  return out;
}

export class KubeIP {
  readonly text: string;
  readonly family: 4 | 6;
  constructor(text: string, family: 4 | 6) {
    this.text = text;
    this.family = family;
  }
}

export class KubeCIDR {
  readonly ip: KubeIP;
  readonly prefix: number;
  constructor(ip: KubeIP, prefix: number) {
    this.ip = ip;
    this.prefix = prefix;
  }
}

function parseIP(s: string): KubeIP | undefined {
  if (isIPv4(s)) return new KubeIP(s, 4);
  if (isIPv6(s)) return new KubeIP(s, 6);
  return undefined;
}

/** The address as 16-bit groups (IPv4 as two groups) for masking/containment. */
function bits(ip: KubeIP): string {
  if (ip.family === 4)
    return ip.text
      .split('.')
      .map((o) => Number(o).toString(2).padStart(8, '0'))
      .join('');
  const [hi = '', lo = ''] = ip.text.split('::');
  const expand = (h: string): number[] =>
    h === ''
      ? []
      : h
          .split(':')
          .flatMap((g) =>
            g.includes('.')
              ? g
                  .split('.')
                  .reduce<number[]>(
                    (acc, o, i) => (i % 2 ? [...acc.slice(0, -1), (acc.at(-1) ?? 0) * 256 + Number(o)] : [...acc, Number(o)]),
                    [],
                  )
              : [parseInt(g, 16)],
          );
  const a = expand(hi);
  const b = ip.text.includes('::') ? expand(lo) : [];
  const groups = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  return groups.map((g) => g.toString(2).padStart(16, '0')).join('');
}

function parseCIDR(s: string): KubeCIDR | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const ip = m ? parseIP(m[1] ?? '') : undefined;
  if (!m || !ip) return undefined;
  const digits = m[2] ?? '';
  const len = Number(digits);
  if (/^0\d/.test(digits) || len > (ip.family === 4 ? 32 : 128)) return undefined;
  return new KubeCIDR(ip, len);
}

function contains(c: KubeCIDR, ip: KubeIP): boolean {
  return c.ip.family === ip.family && bits(c.ip).slice(0, c.prefix) === bits(ip).slice(0, c.prefix);
}

function must<T>(v: T | undefined, what: string, s: string): T {
  if (v === undefined) throw new KubeCelError(`${what} parse error during conversion from string: ${s}`);
  return v;
}

export function registerNetLibrary(env: Environment): void {
  env.registerType('net.URL', KubeURL);
  env.registerType('net.IP', KubeIP);
  env.registerType('net.CIDR', KubeCIDR);
  env.registerFunction('isURL(string): bool', (s: string) => parseRequestURI(s) !== undefined);
  env.registerFunction('url(string): net.URL', (s: string) => must(parseRequestURI(s), 'URL', s));
  env.registerFunction('net.URL.getScheme(): string', (u: KubeURL) => u.scheme);
  env.registerFunction('net.URL.getHost(): string', (u: KubeURL) => u.host);
  env.registerFunction('net.URL.getHostname(): string', hostname);
  env.registerFunction('net.URL.getPort(): string', (u: KubeURL) =>
    u.host.startsWith('[') ? u.host.slice(u.host.indexOf(']') + 2) : (u.host.split(':')[1] ?? ''),
  );
  env.registerFunction('net.URL.getEscapedPath(): string', (u: KubeURL) => u.path);
  env.registerFunction('net.URL.getQuery(): map', query);

  env.registerFunction('isIP(string): bool', (s: string) => parseIP(s) !== undefined);
  env.registerFunction('ip(string): net.IP', (s: string) => must(parseIP(s), 'IP Address', s));
  env.registerFunction('net.IP.family(): int', (ip: KubeIP) => BigInt(ip.family));
  env.registerFunction('net.IP.isUnspecified(): bool', (ip: KubeIP) => /^0+$/.test(bits(ip)));
  env.registerFunction('net.IP.isLoopback(): bool', (ip: KubeIP) =>
    ip.family === 4 ? ip.text.startsWith('127.') : /^0{127}1$/.test(bits(ip)),
  );
  env.registerFunction('net.IP.isLinkLocalUnicast(): bool', (ip: KubeIP) =>
    ip.family === 4 ? ip.text.startsWith('169.254.') : bits(ip).startsWith('1111111010'),
  );
  env.registerFunction('net.IP.isLinkLocalMulticast(): bool', (ip: KubeIP) =>
    ip.family === 4 ? ip.text.startsWith('224.0.0.') : bits(ip).startsWith('1111111100000010'),
  );
  env.registerFunction('net.IP.isGlobalUnicast(): bool', (ip: KubeIP) => {
    const b = bits(ip);
    if (/^0+$/.test(b)) return false;
    return ip.family === 4
      ? !ip.text.startsWith('127.') && !ip.text.startsWith('169.254.') && !b.startsWith('1110') && b !== '1'.repeat(32)
      : !b.startsWith('11111111') && !b.startsWith('1111111010') && !/^0{127}1$/.test(b);
  });
  env.registerFunction('ip_isCanonical(string): bool', (s: string) => {
    const ip = must(parseIP(s), 'IP Address', s);
    return ip.family === 4 || (s === s.toLowerCase() && !/(^|:)0[0-9a-f]/.test(s));
  });
  env.registerFunction('string(net.IP): string', (ip: KubeIP) => ip.text);
  env.registerOperator('net.IP == net.IP', (a: KubeIP, b: KubeIP) => a.family === b.family && bits(a) === bits(b));

  env.registerFunction('isCIDR(string): bool', (s: string) => parseCIDR(s) !== undefined);
  env.registerFunction('cidr(string): net.CIDR', (s: string) => must(parseCIDR(s), 'network address', s));
  env.registerFunction('net.CIDR.ip(): net.IP', (c: KubeCIDR) => c.ip);
  env.registerFunction('net.CIDR.prefixLength(): int', (c: KubeCIDR) => BigInt(c.prefix));
  env.registerFunction('net.CIDR.containsIP(net.IP): bool', contains);
  env.registerFunction('net.CIDR.containsIP(string): bool', (c: KubeCIDR, s: string) => contains(c, must(parseIP(s), 'IP Address', s)));
  env.registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: KubeCIDR, o: KubeCIDR) => o.prefix >= c.prefix && contains(c, o.ip));
  env.registerFunction('net.CIDR.containsCIDR(string): bool', (c: KubeCIDR, s: string) => {
    const o = must(parseCIDR(s), 'network address', s);
    return o.prefix >= c.prefix && contains(c, o.ip);
  });
  env.registerFunction('string(net.CIDR): string', (c: KubeCIDR) => `${c.ip.text}/${c.prefix}`);
  env.registerOperator(
    'net.CIDR == net.CIDR',
    (a: KubeCIDR, b: KubeCIDR) => a.prefix === b.prefix && a.ip.family === b.ip.family && bits(a.ip) === bits(b.ip),
  );
}
