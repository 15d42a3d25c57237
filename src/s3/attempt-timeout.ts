/**
 * The bound of every S3 attempt, and of the retries around it (the contract --request-timeout states):
 *  - an attempt fails once the store has been silent for `silenceMs`: while connecting, during the
 *    TLS handshake (the agents below; the SDK's own timers start only after TCP connect), waiting
 *    for the answer, and between bytes of a transfer (the SDK's socket timeout). A transfer that
 *    keeps moving is never cut;
 *  - a timed-out attempt is not retried: the user said how long to wait. Errors the store answers
 *    (5xx, throttling, a reset connection) are retried by the SDK, at most MAX_S3_ATTEMPTS attempts
 *    in all, with its backoff (random up to 2 x 100 ms, then 4 x 100 ms; 500 ms bases when throttled).
 * Worst case of one request against a store that never answers: silenceMs. Against one that
 * answers each attempt with an error just before the bound: MAX_S3_ATTEMPTS x silenceMs + 3 s
 * (0.6 s of it unless the store throttles). A transfer that keeps moving is bounded by its size.
 * No SDK import: errors are recognised by shape, the handler is patched through its `handle`.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { RequestHandlerLike } from './interruptible.ts';

export const MAX_S3_ATTEMPTS = 3;

/**
 * The error of an attempt that timed out. Neither its name nor a cause is one the SDK's retry
 * classifies as transient (it follows `cause`), so the SDK's error is kept as `sdkMessage` only.
 */
export class S3AttemptTimeout extends Error {
  override readonly name = 'S3AttemptTimeout';
  readonly timeoutMs: number;
  readonly sdkMessage: string | undefined;
  constructor(timeoutMs: number, sdkMessage?: string) {
    super(`timed out after ${timeoutMs} ms without an answer from the store (not retried)`);
    this.timeoutMs = timeoutMs;
    this.sdkMessage = sdkMessage;
  }
}

export function isS3AttemptTimeout(err: unknown): err is S3AttemptTimeout {
  return err instanceof Error && err.name === 'S3AttemptTimeout';
}

/** HTTP(S) agents whose new connections fail after `silenceMs` without completing TCP connect (and TLS). */
export function timedAgents(silenceMs: number, ca: string | undefined): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const common = { keepAlive: true, maxSockets: 50 };
  const httpAgent = new http.Agent(common);
  const httpsAgent = new https.Agent({ ...common, ...(ca ? { ca } : {}) });
  guardConnect(httpAgent, 'connect', silenceMs);
  guardConnect(httpsAgent, 'secureConnect', silenceMs);
  return { httpAgent, httpsAgent };
}

function guardConnect(agent: http.Agent, ready: 'connect' | 'secureConnect', silenceMs: number): void {
  const create = (agent as unknown as { createConnection: (...a: unknown[]) => Socket }).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...a: unknown[]) => Socket }).createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    const timer = setTimeout(() => socket.destroy(new S3AttemptTimeout(silenceMs)), silenceMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    socket.once(ready, clear);
    socket.once('close', clear);
    return socket;
  };
}

/** A timeout of the SDK's handler (connection or socket silence), or of the agents above. */
function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return err.name === 'TimeoutError' || err.name === 'S3AttemptTimeout' || code === 'ETIMEDOUT' || code === 'ERR_SOCKET_CONNECTION_TIMEOUT';
}

/** Turns an attempt's timeout into S3AttemptTimeout, which the SDK does not retry. */
export function noRetryOnTimeout<H extends RequestHandlerLike>(handler: H, silenceMs: number): H {
  const handle = handler.handle.bind(handler);
  handler.handle = async (request, options) => {
    try {
      return await handle(request, options);
    } catch (err) {
      if (isTimeout(err) && !isS3AttemptTimeout(err)) throw new S3AttemptTimeout(silenceMs, (err as Error).message);
      throw err;
    }
  };
  return handler;
}
