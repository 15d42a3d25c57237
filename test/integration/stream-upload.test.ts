/**
 * streamPodFileToStore (src/core/capture/stream-upload.ts) with the real S3 store and the
 * SigV4-verifying test server; the pod is a stateful fake PodExec that plays a file out as the
 * WebSocket exec client does: with backpressure, stopping (and failing) when its sink closes.
 */
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RemoteError } from '../../src/core/errors.ts';
import type { ExecRequest, ExecResult, ObjectStore, PodExec } from '../../src/core/ports.ts';
import { streamPodFileToStore } from '../../src/core/capture/stream-upload.ts';
import { openObjectStore } from '../../src/s3/store.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { silentReporter, useS3Env } from './s3-env.ts';

const MiB = 1024 * 1024;

/** A file in a pod: `cat` writes it in 256 KiB chunks, or fails after `failAfter` bytes. */
class FakePod implements PodExec {
  written = 0;
  sinkClosedEarly = false;
  readonly file: Buffer;
  readonly failAfter: number | undefined;
  constructor(file: Buffer, failAfter?: number) {
    this.file = file;
    this.failAfter = failAfter;
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    const sink = request.stdout as Writable;
    let closed = false;
    sink.once('close', () => {
      closed = true;
    });
    for (let at = 0; at < this.file.length; at += 256 * 1024) {
      if (this.failAfter !== undefined && at >= this.failAfter)
        return { exitCode: 1, stdout: '', stderr: 'cat: read error: Input/output error\n' };
      if (closed) break;
      const chunk = this.file.subarray(at, at + 256 * 1024);
      this.written += chunk.length;
      if (!sink.write(chunk))
        await new Promise<void>((resolve) => {
          sink.once('drain', resolve);
          sink.once('close', resolve);
        });
    }
    if (closed) {
      this.sinkClosedEarly = true;
      throw new RemoteError('failed to exec: the output stream closed before the command ended');
    }
    return { exitCode: 0, stdout: '', stderr: '' };
  }
}

/** etcd-like snapshot bytes: a body and its SHA-256 trailer. */
function snapshot(size: number): Buffer {
  const body = randomBytes(size);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

describe('streamPodFileToStore', () => {
  let server: S3Server;
  let env: { restore(): void };
  let store: ObjectStore;
  const dir = path.join(os.tmpdir(), `hcpdr-stream-upload-${process.pid}-${Date.now()}`);
  const uploadsLeft = () => server.pendingUploads('b');

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: ['b'] });
    env = useS3Env(server);
    store = (await openObjectStore({ url: 's3://b', endpoint: server.endpoint }, silentReporter, { partSize: 5 * MiB, queueSize: 2 }))
      .store;
  });
  afterEach(() => server.setFault(undefined));
  afterAll(async () => {
    env?.restore();
    await server?.stop();
  });
  const pod = (exec: PodExec) => ({ exec, namespace: 'ns', pod: 'etcd-0' });

  it('stores the file byte-exact and reports its SHA-256 and valid trailer', async () => {
    const file = snapshot(12 * MiB);
    const result = await streamPodFileToStore(pod(new FakePod(file)), '/var/lib/x.db', store, 'ok/snapshot.db');
    expect(result).toEqual({
      size: file.length,
      sha256: createHash('sha256').update(file).digest('hex'),
      trailerValid: true,
      etag: expect.stringMatching(/^"[0-9a-f]{32}-\d+"$/),
    });
    // The ETag the upload answered is the one HEAD gives: what a restore compares with backup.json's.
    expect((await store.head('ok/snapshot.db'))?.etag).toBe(result.etag);
    const stored = Buffer.concat(await (await store.get('ok/snapshot.db')).toArray());
    expect(stored.equals(file)).toBe(true);
  });

  it('when the pod stream fails midway, it rejects with that error and aborts the upload instead of storing a cut object', async () => {
    const fake = new FakePod(snapshot(16 * MiB), 11 * MiB);
    const err = await streamPodFileToStore(pod(fake), '/var/lib/x.db', store, 'cut/snapshot.db').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/read error/);
    expect(await store.head('cut/snapshot.db')).toBeUndefined();
    expect(await uploadsLeft()).toEqual([]);
  });

  it('when the upload fails, it rejects with the upload error and the pod stream stops early', async () => {
    server.setFault({ op: 'UploadPart', mode: 'error500', times: Infinity });
    const fake = new FakePod(snapshot(40 * MiB));
    const err = await streamPodFileToStore(pod(fake), '/var/lib/x.db', store, 'failed/snapshot.db').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^failed to upload s3:\/\/b\/failed\/snapshot\.db/);
    expect(fake.sinkClosedEarly).toBe(true);
    expect(fake.written).toBeLessThan(40 * MiB);
    expect(await store.head('failed/snapshot.db')).toBeUndefined();
  });
});
