/**
 * The adapters under the process's interrupt, against a server that accepts connections and
 * never answers: a request in flight when the signal fires fails at once as the interruption
 * (exit 130, naming what it waited for); a request started after it (the rollback's) is sent and
 * bounded, so a server that stopped answering cannot hold the rollback forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ExitCode, InterruptedError } from '../../../src/core/errors.ts';
import { RestKubeApi } from '../../../src/kube/rest.ts';
import { interruptible } from '../../../src/s3/interruptible.ts';
import { startSilentServer, type SilentServer } from '../../sandbox/net/hang-proxy.ts';
import { Resources } from '../../../src/core/model.ts';

const HC = Resources.hostedCluster;

let silent: SilentServer;
beforeAll(async () => {
  silent = await startSilentServer();
});
afterAll(() => silent.stop());

async function connected(before: number): Promise<void> {
  await expect.poll(() => silent.accepted, { timeout: 10_000 }).toBeGreaterThan(before);
}

describe('RestKubeApi under the interrupt', () => {
  const api = (signal: AbortSignal, requestTimeoutMs?: number) =>
    new RestKubeApi({
      server: silent.url,
      contextName: 't',
      auth: async () => ({ headers: {} }),
      signal,
      ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    });

  it('a request in flight fails at once as the interruption, naming the request', async () => {
    const interrupt = new AbortController();
    const before = silent.accepted;
    const pending = api(interrupt.signal)
      .get(HC, 'clusters', 'demo')
      .catch((e: unknown) => e);
    await connected(before);
    interrupt.abort(new InterruptedError('interrupted by SIGINT'));
    const err = await pending;
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err).toMatchObject({
      exitCode: ExitCode.interrupted,
      message: 'failed to get hostedclusters.hypershift.openshift.io "demo" in namespace "clusters": interrupted by SIGINT',
    });
  });

  it("a request after the signal (the rollback's) is sent, and bounded by the request timeout", async () => {
    const interrupt = new AbortController();
    interrupt.abort(new InterruptedError('interrupted by SIGINT'));
    const before = silent.accepted;
    const err = await api(interrupt.signal, 300)
      .mergePatch(HC, 'clusters', 'demo', { spec: { pausedUntil: null } })
      .catch((e: unknown) => e);
    expect(silent.accepted).toBeGreaterThan(before);
    expect(err).toMatchObject({
      code: 'HCPDR_TIMEOUT',
      exitCode: ExitCode.error,
      message: expect.stringContaining('sent no answer within 0.3s (--request-timeout)'),
    });
  });
});

describe('S3 request handler under the interrupt', () => {
  /** An HTTP request as the SDK hands it to its handler. */
  const request = () =>
    ({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: Number(new URL(silent.url).port),
      method: 'GET',
      path: '/bucket',
      query: {},
      headers: { host: new URL(silent.url).host },
    }) as unknown as Parameters<NodeHttpHandler['handle']>[0];

  it('a request in flight fails with the interruption itself, which the SDK does not retry', async () => {
    const interrupt = new AbortController();
    const requestHandler = interruptible(new NodeHttpHandler({ connectionTimeout: 10_000, socketTimeout: 120_000 }), interrupt.signal);
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: silent.url,
      forcePathStyle: true,
      maxAttempts: 3,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler,
    });
    const before = silent.accepted;
    const pending = client.send(new ListObjectsV2Command({ Bucket: 'bucket' })).catch((e: unknown) => e);
    await connected(before);
    const reason = new InterruptedError('interrupted by SIGTERM');
    interrupt.abort(reason);
    expect(await pending).toBe(reason);
    expect(silent.accepted).toBe(before + 1); // one attempt: a retry would have connected again first
    client.destroy();
  });

  it('a request after the signal is sent and bounded', async () => {
    const interrupt = new AbortController();
    interrupt.abort(new InterruptedError('interrupted by SIGINT'));
    const handler = interruptible(new NodeHttpHandler({ connectionTimeout: 10_000, socketTimeout: 120_000 }), interrupt.signal, 300);
    const before = silent.accepted;
    const err = await handler.handle(request()).catch((e: unknown) => e);
    expect(silent.accepted).toBeGreaterThan(before);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(err).not.toBeInstanceOf(InterruptedError);
    handler.destroy();
  });
});
