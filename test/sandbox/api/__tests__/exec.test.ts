import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApiSimulator, type RunningSimulator } from '../server.ts';
import type { ExecCall } from '../types.ts';

let sim: RunningSimulator;
const PODS = { group: '', version: 'v1', plural: 'pods' };

function pod(name: string, phase: string, extra: Record<string, unknown> = {}) {
  sim.store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'hcp' },
    spec: { containers: [{ name: 'etcd' }, { name: 'healthz' }] },
    status: { phase, ...extra },
  });
}

function execUrl(podName: string, query: string): string {
  return `${sim.url.replace('http', 'ws')}/api/v1/namespaces/hcp/pods/${podName}/exec?${query}`;
}

interface Session {
  protocol: string;
  frames: Map<number, Buffer>;
  status: Record<string, any> | undefined;
  closeCode: number;
}

/** Runs a whole exec session as a raw ws client; `input` frames are sent after open. */
async function session(url: string, protocols: string[], input: Buffer[] = []): Promise<Session> {
  const ws = new WebSocket(url, protocols);
  const frames = new Map<number, Buffer>();
  let status: Record<string, any> | undefined;
  ws.on('message', (data: Buffer) => {
    const ch = data[0] ?? -1;
    if (ch === 3) status = JSON.parse(data.subarray(1).toString());
    else frames.set(ch, Buffer.concat([frames.get(ch) ?? Buffer.alloc(0), data.subarray(1)]));
  });
  await once(ws, 'open');
  for (const f of input) ws.send(f);
  const [code] = (await once(ws, 'close')) as [number];
  return { protocol: ws.protocol, frames, status, closeCode: code };
}

/** The HTTP answer to an upgrade the server refused. */
async function refused(url: string, protocols = ['v5.channel.k8s.io']): Promise<{ code: number; body: string }> {
  const ws = new WebSocket(url, protocols);
  ws.on('error', () => {});
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  let body = '';
  for await (const c of res) body += String(c);
  ws.terminate();
  return { code: res.statusCode ?? 0, body };
}

let lastCall: ExecCall | undefined;

beforeAll(async () => {
  sim = await startApiSimulator();
  sim.store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hcp' } });
  pod('etcd-0', 'Running');
  pod('done', 'Failed');
  pod('starting', 'Running', { containerStatuses: [{ name: 'etcd', state: { waiting: { reason: 'ContainerCreating' } } }] });
  sim.setExecHandler(async (call) => {
    lastCall = call;
    const [cmd, arg] = call.command;
    if (cmd === 'cat') {
      let n = 0;
      for await (const c of call.stdin ?? []) n += (c as Buffer).length;
      call.stdout.write(`read ${n}\n`);
      return 0;
    }
    if (cmd === 'fail') {
      call.stderr.write('boom\n');
      return Number(arg);
    }
    if (cmd === 'throw') throw new Error('runtime exploded');
    call.stdout.write(call.command.slice(1).join(' '));
    return 0;
  });
});
afterAll(async () => sim.stop());

describe('pods/exec over WebSocket', () => {
  it('v5: stdout frames, stdin closed by [255,0], Success status, close 1000', async () => {
    const s = await session(
      execUrl('etcd-0', 'command=cat&container=etcd&stdin=true&stdout=true&stderr=true&tty=false'),
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
      [Buffer.from([0, 104, 105, 33]), Buffer.from([0, 10]), Buffer.from([255, 0])],
    );
    expect(s.protocol).toBe('v5.channel.k8s.io');
    expect(s.frames.get(1)?.toString()).toBe('read 4\n');
    expect(s.status).toEqual({ metadata: {}, status: 'Success' });
    expect(s.closeCode).toBe(1000);
    expect(lastCall?.container).toBe('etcd');
  });

  it('v4: stderr and a NonZeroExitCode status carrying the exit code', async () => {
    const s = await session(execUrl('etcd-0', 'command=fail&command=7&container=etcd&stdout=true&stderr=true'), [
      'v4.channel.k8s.io',
      'channel.k8s.io',
    ]);
    expect(s.protocol).toBe('v4.channel.k8s.io');
    expect(s.frames.get(2)?.toString()).toBe('boom\n');
    expect(s.status).toEqual({
      metadata: {},
      status: 'Failure',
      reason: 'NonZeroExitCode',
      message: 'command terminated with non-zero exit code: error executing command [fail 7], exit code 7',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('a handler that throws gives a Failure status', async () => {
    const s = await session(execUrl('etcd-0', 'command=throw&container=etcd&stdout=true'), ['v5.channel.k8s.io']);
    expect(s.status?.['status']).toBe('Failure');
    expect(s.status?.['message']).toContain('runtime exploded');
  });

  it('refuses before upgrading with the messages a cluster gives', async () => {
    const missing = await refused(execUrl('etcd-9', 'command=x&container=etcd&stdout=true'));
    expect(missing.code).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "etcd-9" not found' });
    const badContainer = await refused(execUrl('etcd-0', 'command=x&container=nope&stdout=true'));
    expect(JSON.parse(badContainer.body)).toMatchObject({ code: 400, message: 'container nope is not valid for pod etcd-0' });
    const ambiguous = await refused(execUrl('etcd-0', 'command=x&stdout=true'));
    expect(JSON.parse(ambiguous.body).message).toBe('a container name must be specified for pod etcd-0, choose one of: [etcd healthz]');
    const done = await refused(execUrl('done', 'command=x&container=etcd&stdout=true'));
    expect(JSON.parse(done.body).message).toBe('cannot exec into a container in a completed pod; current phase is Failed');
    const starting = await refused(execUrl('starting', 'command=x&container=etcd&stdout=true'));
    expect([starting.code, starting.body]).toEqual([404, 'container not found ("etcd")']);
    const oldProto = await refused(execUrl('etcd-0', 'command=x&container=etcd&stdout=true'), ['channel.k8s.io']);
    expect(oldProto.code).toBe(400);
    sim.denyToken('t-denied');
    const ws = new WebSocket(execUrl('etcd-0', 'command=x&container=etcd&stdout=true'), ['v5.channel.k8s.io'], {
      headers: { Authorization: 'Bearer t-denied' },
    });
    ws.on('error', () => {});
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(res.statusCode).toBe(403);
    ws.terminate();
  });

  it('answers a plain POST (no upgrade) with 400', async () => {
    const r = await fetch(`${sim.url}/api/v1/namespaces/hcp/pods/etcd-0/exec?command=x&container=etcd&stdout=true`, { method: 'POST' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toBe('Upgrade request required');
  });

  it('bounds memory with backpressure and aborts the handler when the client leaves', async () => {
    const total = 64 * 1024 * 1024;
    let produced = 0;
    let aborted = false;
    sim.setExecHandler(async (call) => {
      call.signal.addEventListener('abort', () => (aborted = true));
      const chunk = Buffer.alloc(64 * 1024, 120);
      while (produced < total && !call.signal.aborted) {
        produced += chunk.length;
        if (!call.stdout.write(chunk)) await once(call.stdout, 'drain');
      }
      return 0;
    });
    const ws = new WebSocket(execUrl('etcd-0', 'command=big&container=etcd&stdout=true'), ['v5.channel.k8s.io']);
    let received = 0;
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1) received += d.length - 1;
    });
    const closed = once(ws, 'close');
    await once(ws, 'open');
    ws.pause();
    await new Promise((r) => setTimeout(r, 400));
    const whilePaused = produced;
    expect(whilePaused).toBeLessThan(24 * 1024 * 1024);
    ws.resume();
    while (received < total) await new Promise((r) => setTimeout(r, 20));
    expect(received).toBe(total);
    expect(((await closed) as [number])[0]).toBe(1000);

    produced = 0;
    const quitter = new WebSocket(execUrl('etcd-0', 'command=big&container=etcd&stdout=true'), ['v5.channel.k8s.io']);
    await once(quitter, 'open');
    quitter.pause();
    await new Promise((r) => setTimeout(r, 100));
    quitter.terminate();
    for (let i = 0; i < 100 && !aborted; i++) await new Promise((r) => setTimeout(r, 10));
    expect(aborted).toBe(true);
    expect(produced).toBeLessThan(total);
  });
});
