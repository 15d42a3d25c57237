/**
 * Removes the Authenticode signature from a PE file (node.exe is signed by the Node.js project).
 * Injecting the SEA blob would leave that signature present but broken ("The signature seems
 * corrupted!"); without a certificate of our own, a cleanly unsigned binary is the honest result.
 * The signature is the certificate table at the end of the file, named by data directory 4.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export function stripAuthenticode(file: string): boolean {
  const buf = readFileSync(file);
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error(`${file} is not a PE file`);
  const optional = pe + 24;
  const magic = buf.readUInt16LE(optional);
  const directories = optional + (magic === 0x20b ? 112 : 96); // PE32+ : PE32
  const security = directories + 4 * 8;
  const offset = buf.readUInt32LE(security);
  const size = buf.readUInt32LE(security + 4);
  if (offset === 0 || size === 0) return false;
  if (offset + size !== buf.length) throw new Error(`${file}: the certificate table is not at the end of the file`);
  buf.writeUInt32LE(0, security);
  buf.writeUInt32LE(0, security + 4);
  buf.writeUInt32LE(0, optional + 64); // CheckSum: not verified for executables; 0 = none
  writeFileSync(file, buf.subarray(0, offset));
  return true;
}
