/**
 * pods/exec over WebSocket, subprotocols v5.channel.k8s.io (preferred) and v4.channel.k8s.io.
 * Frames are binary: byte 0 is the channel (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize);
 * on v5 a client frame [255, 0] closes stdin. One JSON V1Status on channel 3 ends the session,
 * then the socket closes with 1000.
 *
 * Memory stays bounded whatever the handler writes: the stdout/stderr Writables acknowledge a chunk
 * only while the socket's send buffer is below HIGH_WATER, otherwise once ws has flushed it; stdin
 * frames pause the socket while the handler's Readable is full.
 */
import { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ExecTarget } from './exec-target.ts';
import type { ExecHandler } from './types.ts';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const HIGH_WATER = 1024 * 1024;
const FRAME_MAX = 64 * 1024;
const CH_STDIN = 0;
const CH_STDOUT = 1;
const CH_STDERR = 2;
const CH_STATUS = 3;
const CH_CLOSE = 255;

/** Picks the subprotocol to answer with, or undefined when none we speak was offered. */
export function pickExecProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  return EXEC_PROTOCOLS.find((p) => set.has(p));
}

function channelWriter(ws: WebSocket, channel: number): Writable {
  let pending: (() => void) | undefined;
  const release = () => {
    const p = pending;
    pending = undefined;
    p?.();
  };
  ws.once('close', release);
  const w = new Writable({
    highWaterMark: HIGH_WATER,
    write(chunk: Buffer, _enc, cb) {
      // After the client went away, output is discarded: the handler learns of it through its signal.
      if (ws.readyState !== ws.OPEN) return cb();
      for (let off = 0; off < chunk.length; off += FRAME_MAX) {
        const piece = chunk.subarray(off, Math.min(off + FRAME_MAX, chunk.length));
        const frame = Buffer.allocUnsafe(piece.length + 1);
        frame[0] = channel;
        piece.copy(frame, 1);
        const last = off + FRAME_MAX >= chunk.length;
        ws.send(frame, { binary: true }, last ? () => release() : undefined);
      }
      if (ws.bufferedAmount < HIGH_WATER) return cb();
      pending = () => cb();
    },
  });
  // Writes after end() (a handler that resolved before its pipes drained) must not crash the process.
  w.on('error', () => {});
  return w;
}

function stdinReader(ws: WebSocket): Readable {
  return new Readable({
    highWaterMark: HIGH_WATER,
    read() {
      if (ws.isPaused) ws.resume();
    },
  });
}

function statusFor(code: number, command: string[]): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function failureStatus(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

function sendStatus(ws: WebSocket, status: Record<string, unknown>): void {
  if (ws.readyState !== ws.OPEN) return;
  const body = Buffer.from(JSON.stringify(status));
  ws.send(Buffer.concat([Buffer.from([CH_STATUS]), body]), { binary: true }, () => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
}

function finished(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (w.writableFinished || w.destroyed) return resolve();
    w.once('finish', () => resolve());
    w.once('close', () => resolve());
    if (!w.writableEnded) w.end();
  });
}

/** Runs one exec session on an upgraded socket. Resolves when the session is over. */
export async function runExecSession(ws: WebSocket, target: ExecTarget, handler: ExecHandler | undefined): Promise<void> {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const abort = new AbortController();
  const stdout = channelWriter(ws, CH_STDOUT);
  const stderr = channelWriter(ws, CH_STDERR);
  const stdin = target.stdin ? stdinReader(ws) : undefined;
  let stdinEnded = false;
  const endStdin = () => {
    if (stdin && !stdinEnded) {
      stdinEnded = true;
      stdin.push(null);
    }
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const ch = data[0];
    if (ch === CH_STDIN && stdin && !stdinEnded && data.length > 1) {
      if (!stdin.push(data.subarray(1))) ws.pause();
    } else if (ch === CH_CLOSE && v5 && data[1] === CH_STDIN) endStdin();
  });
  ws.on('close', () => {
    endStdin();
    abort.abort(new Error('exec client disconnected'));
  });
  ws.on('error', () => {});

  if (!handler) {
    sendStatus(ws, failureStatus('the API simulator has no exec handler: call setExecHandler() first'));
    return;
  }
  let status: Record<string, unknown>;
  try {
    const call: Parameters<ExecHandler>[0] = {
      namespace: target.namespace,
      pod: target.pod,
      container: target.container,
      command: target.command,
      stdout,
      stderr,
      signal: abort.signal,
    };
    if (stdin) call.stdin = stdin;
    const code = await handler(call);
    status = statusFor(code, target.command);
  } catch (err) {
    status = failureStatus(
      `Internal error occurred: error executing command in container: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  await Promise.all([finished(stdout), finished(stderr)]);
  sendStatus(ws, status);
}
