/**
 * pods/exec over WebSocket (v5.channel.k8s.io, falling back to v4). Written on `ws` rather than
 * client-node's Exec because a 1 GiB snapshot must stream with backpressure (client-node writes
 * stdout without waiting for the sink), and because the exit status and the close must both
 * be awaited: a server that closes without a status would otherwise hang the caller.
 */
import { Readable, type Writable } from 'node:stream';
import WebSocket from 'ws';
import { InterruptedError, RemoteError } from '../core/errors.ts';
import type { ExecRequest, ExecResult, PodExec } from '../core/ports.ts';
import { connectionError, httpError, interruptedRequest, parseStatus, type ApiStatus } from './errors.ts';
import { untilAborted, type RequestAuth } from './rest.ts';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const Channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, close: 255 } as const;
const MAX_COLLECTED = 64 * 1024 * 1024;
const MAX_STDERR = 256 * 1024;

export interface ExecOptions {
  server: string;
  auth(): Promise<RequestAuth & { tls?: Record<string, unknown> }>;
  /** --request-timeout: bounds the connection's opening (the command itself may run for long). */
  requestTimeoutMs?: number;
}

export class WebSocketPodExec implements PodExec {
  readonly #options: ExecOptions;

  constructor(options: ExecOptions) {
    this.#options = options;
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    const { namespace, pod, container, command } = request;
    const what = `exec "${request.description ?? command.join(' ').slice(0, 80)}" in pod "${pod}" (container "${container}") in namespace "${namespace}"`;
    const query = new URLSearchParams({
      container,
      stdout: 'true',
      stderr: 'true',
      stdin: String(request.stdin !== undefined),
      tty: 'false',
    });
    for (const arg of command) query.append('command', arg);
    const base = this.#options.server.replace(/\/+$/, '').replace(/^http/, 'ws');
    const url = `${base}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${query}`;
    const auth = await untilAborted(this.#options.auth(), request.signal, () => abortFailure(what, request.signal));
    const handshake = this.#options.requestTimeoutMs ? { handshakeTimeout: this.#options.requestTimeoutMs } : {};
    const ws = new WebSocket(url, PROTOCOLS, {
      agent: auth.agent,
      headers: auth.headers,
      perMessageDeflate: false,
      ...handshake,
      ...auth.tls,
    });
    return runSession(ws, request, what, this.#options.server);
  }
}

function runSession(ws: WebSocket, request: ExecRequest, what: string, server: string): Promise<ExecResult> {
  const collected: Buffer[] = [];
  let collectedBytes = 0;
  let stderr = '';
  let exitCode: number | undefined;
  let failure: Error | undefined;

  return new Promise<ExecResult>((resolve, reject) => {
    const onAbort = () => {
      failure = abortFailure(what, request.signal);
      ws.terminate();
    };
    if (request.signal?.aborted) return reject(abortFailure(what, request.signal));
    request.signal?.addEventListener('abort', onAbort, { once: true });

    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        failure = httpError(what, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), server);
        ws.terminate();
      });
    });
    ws.on('error', (err) => {
      failure ??= connectionError(what, server, err);
    });
    ws.on('open', () => {
      if (request.stdin !== undefined) sendStdin(ws, request.stdin).catch((err: unknown) => (failure ??= err as Error));
    });
    // A sink that fails or closes early (an upload that died) must end the session, not leave
    // it paused forever waiting for a 'drain' that never comes.
    const sinkGone = (err?: Error) => {
      failure ??= new RemoteError(
        `failed to ${what}: the output stream ${err ? `failed: ${err.message}` : 'closed before the command ended'}`,
        { cause: err },
      );
      ws.terminate();
    };
    const onSinkError = (err: Error) => sinkGone(err);
    const onSinkClose = () => {
      if (exitCode === undefined) sinkGone();
    };
    request.stdout?.once('error', onSinkError);
    request.stdout?.once('close', onSinkClose);
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === Channel.stdout) {
        if (request.stdout) writeWithBackpressure(ws, request.stdout, payload);
        else if ((collectedBytes += payload.length) <= MAX_COLLECTED) collected.push(Buffer.from(payload));
        else failure ??= new RemoteError(`failed to ${what}: output larger than ${MAX_COLLECTED} bytes`);
      } else if (channel === Channel.stderr) {
        if (stderr.length < MAX_STDERR) stderr += payload.toString('utf8');
      } else if (channel === Channel.status) {
        const outcome = exitCodeOfStatus(payload.toString('utf8'));
        if (typeof outcome === 'number') exitCode = outcome;
        else failure ??= new RemoteError(`failed to ${what}: ${outcome.message}`);
      }
    });
    ws.on('close', () => {
      request.signal?.removeEventListener('abort', onAbort);
      request.stdout?.off('error', onSinkError);
      request.stdout?.off('close', onSinkClose);
      if (failure) return reject(failure);
      if (exitCode === undefined) {
        return reject(new RemoteError(`failed to ${what}: the connection closed before the command reported its exit status`));
      }
      resolve({ exitCode, stdout: Buffer.concat(collected).toString('utf8'), stderr });
    });
  });
}

/** SIGINT/SIGTERM name the command they cut (exit 130); another abort reason (a failed upload) stays itself. */
function abortFailure(what: string, signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof InterruptedError) return interruptedRequest(what, reason);
  return reason instanceof Error ? reason : new Error('exec aborted');
}

/** Pauses the socket while the sink is full, so memory stays bounded whatever the output size. */
function writeWithBackpressure(ws: WebSocket, sink: Writable, payload: Buffer): void {
  // ws hands over a fresh Buffer per message: the payload view can be passed on without a copy.
  if (!sink.write(payload)) {
    ws.pause();
    sink.once('drain', () => ws.resume());
  }
}

/** Exit status as kube-apiserver reports it on channel 3 (V1Status). */
export function exitCodeOfStatus(text: string): number | { message: string } {
  const status: (ApiStatus & { details?: { causes?: { reason?: string; message?: string }[] } }) | undefined = parseStatus(text);
  if (!status) return { message: `unreadable exit status: ${text.slice(0, 200)}` };
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  return { message: status.message ?? 'the command could not be run' };
}

/**
 * Up to STDIN_WINDOW bytes of stdin are queued on the socket before the sender waits for a frame
 * to be flushed: reading the source (an S3 download) and writing the socket overlap, where
 * waiting for every 64 KiB frame made each one a round of the event loop. Memory stays bounded.
 */
const STDIN_WINDOW = 4 * 1024 * 1024;
const STDIN_FRAME = 64 * 1024;

async function sendStdin(ws: WebSocket, stdin: Readable | Buffer): Promise<void> {
  const source = Buffer.isBuffer(stdin) ? Readable.from([stdin]) : stdin;
  let failed: Error | undefined;
  const noted = (err?: Error | null) => {
    if (err) failed ??= err;
  };
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    for (let offset = 0; offset < buf.length; offset += STDIN_FRAME) {
      if (failed) throw failed;
      const piece = buf.subarray(offset, offset + STDIN_FRAME);
      const frame = Buffer.allocUnsafe(piece.length + 1);
      frame[0] = Channel.stdin;
      piece.copy(frame, 1);
      if (ws.bufferedAmount < STDIN_WINDOW) ws.send(frame, noted);
      else await new Promise<void>((resolve, reject) => ws.send(frame, (err) => (err ? reject(err) : resolve())));
    }
  }
  if (failed) throw failed;
  // Only v5 can close stdin alone; on v4 the command sees EOF when the connection ends.
  if (ws.protocol === 'v5.channel.k8s.io') ws.send(Buffer.from([Channel.close, Channel.stdin]));
}
