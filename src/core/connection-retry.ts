/**
 * Writes that must not be lost to the network: a request cut at the connection level (the peer
 * reset it, the pipe broke, the socket hung up before any answer) is sent again, a few times.
 * Only for writes whose repetition is harmless (a merge patch setting fixed values, a delete
 * that accepts NotFound): the server may have applied the first attempt.
 */

const CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Whether `err` (or an error it wraps) is a connection-level failure. */
export function isConnectionFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (e instanceof Error && /socket hang up|ECONNRESET|EPIPE/.test(e.message)) return true;
  }
  return false;
}

/** `work`, sent again (up to `attempts` in all, 200 ms apart) while it fails at the connection level. */
export async function retryOnConnectionFailure<T>(work: () => Promise<T>, attempts = 4, delayMs = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      if (i >= attempts || !isConnectionFailure(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs * i));
    }
  }
}
