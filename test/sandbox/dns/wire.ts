/**
 * DNS wire format (RFC 1035 §4, RFC 6891 for the OPT pseudo-record), written for the sandbox's DNS
 * server: queries are parsed (names with compression pointers, EDNS's UDP size), answers are built
 * (A and TXT data, the answer's name as a pointer to the question). Test support only.
 */

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** What every resolver accepts without EDNS (RFC 1035 §4.2.1). */
export const PLAIN_UDP_LIMIT = 512;
/** The UDP size this server announces in its OPT record (the DNS Flag Day 2020 value). */
export const SERVER_UDP_SIZE = 1232;

export class DnsFormatError extends Error {}

export interface Question {
  /** Lower-case, without the trailing dot; '' is the root. */
  name: string;
  type: number;
  class: number;
}

export interface Query {
  id: number;
  opcode: number;
  /** Recursion desired: echoed in the answer. */
  rd: boolean;
  /** The header says this is a response (QR=1): a server ignores it. */
  isResponse: boolean;
  questions: Question[];
  /** The requester's UDP payload size from its OPT record; undefined without EDNS. */
  ednsUdpSize?: number;
}

function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let next = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (offset >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[offset]!;
    if ((len & 0xc0) === 0xc0) {
      if (offset + 1 >= buf.length) throw new DnsFormatError('truncated compression pointer');
      if (++jumps > 32) throw new DnsFormatError('compression pointer loop');
      if (next < 0) next = offset + 2;
      offset = ((len & 0x3f) << 8) | buf[offset + 1]!;
      continue;
    }
    if (len & 0xc0) throw new DnsFormatError('unknown label type');
    if (len === 0) {
      if (next < 0) next = offset + 1;
      break;
    }
    if (offset + 1 + len > buf.length) throw new DnsFormatError('label runs past the message');
    length += len + 1;
    if (length > 255) throw new DnsFormatError('name longer than 255 octets');
    labels.push(buf.toString('latin1', offset + 1, offset + 1 + len).toLowerCase());
    offset += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** Parses a query message; throws DnsFormatError when it is not one (the caller answers FORMERR if it has an id). */
export function parseQuery(buf: Buffer): Query {
  if (buf.length < 12) throw new DnsFormatError('shorter than a DNS header');
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  const query: Query = {
    id: buf.readUInt16BE(0),
    opcode: (flags >> 11) & 0xf,
    rd: (flags & 0x0100) !== 0,
    isResponse: (flags & 0x8000) !== 0,
    questions: [],
  };
  let offset = 12;
  for (let i = 0; i < qd; i++) {
    const { name, next } = readName(buf, offset);
    if (next + 4 > buf.length) throw new DnsFormatError('question runs past the message');
    query.questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    offset = next + 4;
  }
  // Answer and authority records are skipped; the additional section may carry EDNS's OPT record.
  for (let i = 0; i < an + ns + ar; i++) {
    const { name, next } = readName(buf, offset);
    if (next + 10 > buf.length) throw new DnsFormatError('record runs past the message');
    const type = buf.readUInt16BE(next);
    const rdlength = buf.readUInt16BE(next + 8);
    if (next + 10 + rdlength > buf.length) throw new DnsFormatError('record data runs past the message');
    if (i >= an + ns && type === TYPE.OPT && name === '') query.ednsUdpSize = buf.readUInt16BE(next + 2);
    offset = next + 10 + rdlength;
  }
  return query;
}

/** A name in uncompressed wire form. Throws for labels over 63 octets or names over 255. */
export function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, '');
  const parts: Buffer[] = [];
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const bytes = Buffer.from(label, 'latin1');
      if (bytes.length === 0 || bytes.length > 63) throw new DnsFormatError(`bad label in ${name}`);
      parts.push(Buffer.from([bytes.length]), bytes);
    }
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsFormatError(`name longer than 255 octets: ${name}`);
  return out;
}

export function aData(ip: string): Buffer {
  const octets = ip.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return Buffer.from(octets);
}

/** TXT data: one value as character-strings of at most 255 octets each (RFC 1035 §3.3.14). */
export function txtData(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

export interface ResourceRecord {
  type: number;
  ttl: number;
  data: Buffer;
}

export interface ResponseParts {
  query: Query;
  rcode: number;
  /** Answers to the first question (its name is written as a pointer to the question). */
  answers: ResourceRecord[];
  authoritative: boolean;
  /** Largest message the transport takes: 65535 over TCP, the EDNS size (or 512) over UDP. */
  limit: number;
}

function header(id: number, flags: number, qd: number, an: number, ar: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  h.writeUInt16BE(0, 8);
  h.writeUInt16BE(ar, 10);
  return h;
}

function optRecord(): Buffer {
  const r = Buffer.alloc(11);
  r.writeUInt8(0, 0); // root name
  r.writeUInt16BE(TYPE.OPT, 1);
  r.writeUInt16BE(SERVER_UDP_SIZE, 3);
  r.writeUInt32BE(0, 5); // extended rcode 0, version 0, no flags
  r.writeUInt16BE(0, 9);
  return r;
}

/**
 * The response message. When the answers do not fit the transport's limit, the message carries the
 * question only with TC set, and the client asks again over TCP (RFC 1035 §4.2.1, RFC 7766).
 */
export function encodeResponse(parts: ResponseParts): Buffer {
  const { query, rcode } = parts;
  const question = query.questions[0];
  const opt = query.ednsUdpSize !== undefined ? [optRecord()] : [];
  const build = (answers: ResourceRecord[], truncated: boolean) => {
    const flags =
      0x8000 |
      ((query.opcode & 0xf) << 11) |
      (parts.authoritative ? 0x0400 : 0) |
      (truncated ? 0x0200 : 0) |
      (query.rd ? 0x0100 : 0) |
      rcode;
    const body: Buffer[] = [];
    if (question) {
      body.push(encodeName(question.name));
      const qt = Buffer.alloc(4);
      qt.writeUInt16BE(question.type, 0);
      qt.writeUInt16BE(question.class, 2);
      body.push(qt);
    }
    for (const a of answers) {
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // the question's name, at offset 12
      rr.writeUInt16BE(a.type, 2);
      rr.writeUInt16BE(CLASS_IN, 4);
      rr.writeUInt32BE(a.ttl, 6);
      rr.writeUInt16BE(a.data.length, 10);
      body.push(rr, a.data);
    }
    return Buffer.concat([header(query.id, flags, question ? 1 : 0, answers.length, opt.length), ...body, ...opt]);
  };
  const full = build(question ? parts.answers : [], false);
  return full.length <= parts.limit ? full : build([], true);
}

/** FORMERR for a message whose header could be read but not the rest. */
export function formatError(buf: Buffer): Buffer | undefined {
  if (buf.length < 12) return undefined;
  const id = buf.readUInt16BE(0);
  const opcode = (buf.readUInt16BE(2) >> 11) & 0xf;
  return header(id, 0x8000 | (opcode << 11) | RCODE.FORMERR, 0, 0, 0);
}
