/**
 * Real certificates for the sandbox's control-plane PKI (test support): self-signed CAs and leaves
 * signed by them, EC P-256 with ECDSA-SHA256 (nothing in the sandbox needs RSA for them), built in
 * process as DER (the way sim/selfsigned.ts builds its serving certificate) so that a control plane's
 * dozen certificates cost milliseconds, not a dozen openssl runs; and the checks a TLS peer makes
 * (node:crypto's X509Certificate). openssl and Go's crypto/x509 (kubectl) read them.
 * A key pair is `{ cert, key }` in PEM (key PKCS#8); a trust bundle is concatenated certificate PEMs.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

export interface KeyPair {
  cert: string;
  key: string;
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...p: Buffer[]) => tlv(0x30, ...p);

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift(0x80 | (x & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

const ATTRIBUTES: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11' };

/** "/OU=openshift/CN=root-ca" as a DER Name, in the order given. */
function name(subject: string): Buffer {
  const rdns = subject
    .split('/')
    .filter(Boolean)
    .map((part) => {
      const [type = '', ...value] = part.split('=');
      const id = ATTRIBUTES[type];
      if (!id) throw new Error(`x509: unsupported attribute ${type} in ${subject}`);
      return tlv(0x31, seq(oid(id), tlv(0x0c, Buffer.from(value.join('='), 'utf8'))));
    });
  return seq(...rdns);
}

function pem(label: string, der: Buffer): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const extension = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));

function certificate(subject: string, issuer: { subject: string; key: string } | undefined, isCa: boolean, days: number): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and minimal
  const now = Date.now();
  const extensions = isCa
    ? [
        extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))), // CA:TRUE
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x01, 0x86]))), // digitalSignature, keyCertSign, cRLSign
      ]
    : [
        extension('2.5.29.19', true, seq()), // CA:FALSE
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x05, 0xa0]))), // digitalSignature, keyEncipherment
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))), // serverAuth, clientAuth
      ];
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ECDSA_SHA256,
    name(issuer?.subject ?? subject),
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + days * 24 * 3600_000))),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signer = issuer ? createPrivateKey(issuer.key) : privateKey;
  const signature = sign('sha256', tbs, { key: signer, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return { cert: pem('CERTIFICATE', der), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** A self-signed CA, 10 years, as the control-plane operator generates one (subject OU=openshift, CN=<name>). */
export function selfSignedCa(commonName: string): Promise<KeyPair> {
  return Promise.resolve(certificate(`/OU=openshift/CN=${commonName}`, undefined, true, 3650));
}

/** A leaf signed by `ca`, 1 year, for client and server use; `subject` like "/O=system:nodes/CN=system:node:x". */
export function signedLeaf(ca: KeyPair, subject: string): Promise<KeyPair> {
  const [caCert] = certificates(ca.cert);
  if (!caCert) return Promise.reject(new Error('x509: the CA certificate does not parse'));
  // The issuer Name must be the CA's subject, byte for byte as it reads: rebuilt from its fields.
  const issuer = caCert.subject
    .split('\n')
    .map((l) => `/${l}`)
    .join('');
  return Promise.resolve(certificate(subject, { subject: issuer, key: ca.key }, false, 365));
}

const parsed = new Map<string, X509Certificate | null>();

/** The certificates of a PEM bundle (unparseable ones left out); parsed once per process. */
export function certificates(bundle: string | undefined): X509Certificate[] {
  if (!bundle) return [];
  const pems = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return pems.flatMap((pem) => {
    if (!parsed.has(pem)) {
      let cert: X509Certificate | null;
      try {
        cert = new X509Certificate(pem);
      } catch {
        cert = null;
      }
      if (parsed.size > 5000) parsed.clear();
      parsed.set(pem, cert);
    }
    const c = parsed.get(pem);
    return c ? [c] : [];
  });
}

/** Whether the (first) certificate of `leaf` was signed by a certificate of the trust bundle, as a TLS peer checks it. */
export function trusts(bundle: string | undefined, leaf: string | undefined): boolean {
  const [cert] = certificates(leaf);
  if (!cert) return false;
  return certificates(bundle).some((ca) => {
    try {
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}
