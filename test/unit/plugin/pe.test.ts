import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stripAuthenticode } from '../../../plugin/pe.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-pe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal PE32+ image: headers only, then a certificate table of `certBytes` at the end. */
function fakePe(certBytes: number): Buffer {
  const body = Buffer.alloc(0x400);
  body.write('MZ', 0, 'latin1');
  body.writeUInt32LE(0x80, 0x3c);
  body.write('PE\0\0', 0x80, 'latin1');
  const optional = 0x80 + 24;
  body.writeUInt16LE(0x20b, optional);
  body.writeUInt32LE(0x1234, optional + 64);
  if (certBytes > 0) {
    body.writeUInt32LE(0x400, optional + 112 + 32);
    body.writeUInt32LE(certBytes, optional + 112 + 36);
  }
  return Buffer.concat([body, Buffer.alloc(certBytes, 0xaa)]);
}

describe('stripAuthenticode', () => {
  it('drops the certificate table and clears its directory entry and the checksum', () => {
    const file = path.join(dir, 'signed.exe');
    writeFileSync(file, fakePe(0x20));
    expect(stripAuthenticode(file)).toBe(true);
    const out = readFileSync(file);
    const optional = 0x80 + 24;
    expect(out.length).toBe(0x400);
    expect(out.readUInt32LE(optional + 112 + 32)).toBe(0);
    expect(out.readUInt32LE(optional + 112 + 36)).toBe(0);
    expect(out.readUInt32LE(optional + 64)).toBe(0);
  });

  it('leaves an unsigned file alone and refuses what is not a PE', () => {
    const file = path.join(dir, 'unsigned.exe');
    writeFileSync(file, fakePe(0));
    expect(stripAuthenticode(file)).toBe(false);
    expect(readFileSync(file).length).toBe(0x400);
    writeFileSync(file, Buffer.alloc(0x200));
    expect(() => stripAuthenticode(file)).toThrow(/not a PE file/);
  });
});
