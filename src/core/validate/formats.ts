/**
 * String `format` checks the apiextensions-apiserver applies (its go-openapi strfmt subset).
 * Formats kube ignores (int32, int64, float, double, or any unknown name) are not checked.
 * Returns true/false, or undefined for a kube-checked format this module does not implement
 * (the caller reports that as not evaluated).
 */
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;
const DURATION_PART =
  /(\d+(?:\.\d+)?)\s*(ns|us|µs|μs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)/y;

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** IPv6 textual form (RFC 4291), including an embedded dotted IPv4 tail; no zone. */
export function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.split('::').length > 2) return false;
  let groups = 0;
  const halves = s.split('::');
  for (const [hi, half] of halves.entries()) {
    if (half === '') continue;
    const parts = half.split(':');
    for (const [i, p] of parts.entries()) {
      const last = hi === halves.length - 1 && i === parts.length - 1;
      if (last && p.includes('.')) {
        if (!isIPv4(p)) return false;
        groups += 2;
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) groups += 1;
      else return false;
    }
  }
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

function validDate(y: string, m: string, d: string): boolean {
  const dt = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return dt.getUTCFullYear() === Number(y) && dt.getUTCMonth() === Number(m) - 1 && dt.getUTCDate() === Number(d);
}

export function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  return validDate(m[1] ?? '', m[2] ?? '', m[3] ?? '') && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[7] ?? 0) < 61;
}

function isDuration(s: string): boolean {
  if (s === '0') return true;
  let i = 0;
  let n = 0;
  const body = s.replace(/^[+-]/, '');
  while (i < body.length) {
    DURATION_PART.lastIndex = i;
    const m = DURATION_PART.exec(body);
    if (!m) return false;
    i = DURATION_PART.lastIndex;
    while (body[i] === ' ') i++;
    n++;
  }
  return n > 0;
}

function isHostname(s: string): boolean {
  const h = s.endsWith('.') ? s.slice(0, -1) : s;
  return h.length > 0 && h.length <= 253 && h.split('.').every((l) => HOST_LABEL.test(l));
}

function isURI(s: string): boolean {
  // go's url.ParseRequestURI: an absolute URI or an absolute path; no spaces or controls.
  if (/[\s\x00-\x1f\x7f]/.test(s)) return false;
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) || s.startsWith('/');
}

function isCIDR(s: string): boolean {
  const [ip, len, extra] = s.split('/');
  if (ip === undefined || len === undefined || extra !== undefined || !/^\d{1,3}$/.test(len)) return false;
  if (isIPv4(ip)) return Number(len) <= 32;
  return isIPv6(ip) && Number(len) <= 128;
}

export function checkFormat(format: string, s: string): boolean | undefined {
  switch (format) {
    case 'date-time':
    case 'datetime':
      return isDateTime(s);
    case 'date': {
      const m = DATE.exec(s);
      return m !== null && validDate(m[1] ?? '', m[2] ?? '', m[3] ?? '');
    }
    case 'duration':
      return isDuration(s);
    case 'uri':
      return isURI(s);
    case 'hostname':
      return isHostname(s);
    case 'ipv4':
      return isIPv4(s);
    case 'ipv6':
      return isIPv6(s);
    case 'cidr':
      return isCIDR(s);
    case 'mac':
      return /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(s);
    case 'uuid':
    case 'uuid3':
    case 'uuid4':
    case 'uuid5':
      return UUID.test(s);
    case 'email':
      return /^[^\s@]+@[^\s@]+$/.test(s);
    case 'byte':
      return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
    case 'hexcolor':
      return /^#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$/.test(s);
    case 'password':
      return true;
    case 'bsonobjectid':
      return /^[0-9a-fA-F]{24}$/.test(s);
    case 'isbn':
    case 'isbn10':
    case 'isbn13':
    case 'creditcard':
    case 'ssn':
    case 'rgbcolor':
      return undefined;
    default:
      return true;
  }
}
