/**
 * The CPU the age format itself costs an encrypted backup, measured on the machine that runs the
 * benchmark: what no implementation of `--encrypt-to` can do without. Per GiB of plaintext:
 *  - ChaCha20-Poly1305 sealing in the age STREAM's 64 KiB chunks (a cipher with its own nonce per
 *    chunk), OpenSSL's through node:crypto;
 *  - the SHA-256 of the stored bytes (backup.json records it beside the plaintext's, issue 25).
 * The plaintext's SHA-256 is not counted: a plain backup computes it too.
 * One thread, CPU time (process.cpuUsage), the least of `rounds` passes over 256 MiB of random
 * bytes (neither primitive's speed depends on the data): other work on the machine only ever adds
 * to a pass (a busy sibling core slows SHA-256 and ChaCha20 down), and a floor must not be inflated.
 */
import { createCipheriv, createHash, createSecretKey, randomBytes } from 'node:crypto';

const CHUNK = 64 * 1024;
const BYTES = 256 * 1024 * 1024;

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function onePass(data: Buffer): number {
  const key = createSecretKey(randomBytes(32));
  const nonce = Buffer.alloc(12);
  const stored = createHash('sha256');
  const start = cpuSeconds();
  for (let at = 0, counter = 0; at < data.length; at += CHUNK, counter++) {
    nonce.writeUIntBE(counter, 5, 6);
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    stored.update(c.update(data.subarray(at, at + CHUNK)));
    c.final();
    stored.update(c.getAuthTag());
  }
  stored.digest();
  return cpuSeconds() - start;
}

/** CPU seconds per GiB of plaintext that age sealing and the stored bytes' SHA-256 take here. */
export function ageFloorSecondsPerGiB(rounds = 5): number {
  const data = randomBytes(BYTES);
  let least = Infinity;
  for (let r = 0; r < rounds; r++) least = Math.min(least, onePass(data));
  return (least * (1024 * 1024 * 1024)) / BYTES;
}
