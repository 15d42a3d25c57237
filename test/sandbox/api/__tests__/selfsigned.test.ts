import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../selfsigned.ts';

describe('the simulator self-signed certificate', () => {
  // Random serials starting 0x00 or 0x80 once gave OpenSSL "illegal padding" (a non-minimal or
  // negative DER INTEGER) and failed an https listener one start in a few hundred.
  it.each([
    ['00 00', [0x00, 0x00]],
    ['00 7f', [0x00, 0x7f]],
    ['80 00', [0x80, 0x00]],
    ['ff ff', [0xff, 0xff]],
  ])('parses with a random serial starting %s', (_label, head) => {
    const serial = Buffer.alloc(8, 0x11);
    serial.set(head);
    const { cert } = selfSignedCertificate('t', serial);
    const x509 = new X509Certificate(cert);
    expect(x509.subject).toBe('CN=t');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(Number.parseInt(x509.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
  });
});
