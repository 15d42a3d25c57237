/**
 * The world a move and its resume reach both management clusters and the store through: every
 * session it opens carries --request-timeout (issue: a 20 s API stall stalled a move with 5 s set),
 * and resume's S3 flags replace what the record says about the store, nothing else.
 */
import { describe, expect, it } from 'vitest';
import { moveWorld } from '../../../src/cli/move-world.ts';
import type { CliDeps, KubeTarget, S3Target } from '../../../src/cli/deps.ts';

function recordingDeps() {
  const kube: KubeTarget[] = [];
  const s3: S3Target[] = [];
  const deps = {
    connectKube: (t: KubeTarget) => {
      kube.push(t);
      return Promise.resolve({ api: {}, exec: {}, namespace: 'ns', contextName: t.context ?? '' });
    },
    openObjectStore: (t: S3Target) => {
      s3.push(t);
      return Promise.resolve({ store: {}, prefix: '' });
    },
  } as unknown as CliDeps;
  return { deps, kube, s3 };
}

describe('moveWorld', () => {
  it('gives --request-timeout to every management cluster session and every store it opens', async () => {
    const { deps, kube, s3 } = recordingDeps();
    const world = moveWorld(deps, { requestTimeoutMs: 5000 });
    await world.connectKube({ context: 'source' });
    await world.connectKube({ context: 'destination', kubeconfig: '/k' });
    await world.openObjectStore({ url: 's3://b/p' });
    expect(kube).toEqual([
      { requestTimeoutMs: 5000, context: 'source' },
      { requestTimeoutMs: 5000, context: 'destination', kubeconfig: '/k' },
    ]);
    expect(s3).toEqual([{ url: 's3://b/p', requestTimeoutMs: 5000 }]);
  });

  it("without the flag adds no timeout; resume's S3 flags override the recorded ones and only those", async () => {
    const { deps, kube, s3 } = recordingDeps();
    const world = moveWorld(deps, { s3: { endpoint: 'https://new:9443', caBundle: '/new.pem' } });
    await world.connectKube({ context: 'c' });
    await world.openObjectStore({ url: 's3://b/p', endpoint: 'http://old:9000', region: 'eu-west-1', pathStyle: true });
    expect(kube).toEqual([{ context: 'c' }]);
    expect(s3).toEqual([{ url: 's3://b/p', endpoint: 'https://new:9443', caBundle: '/new.pem', region: 'eu-west-1', pathStyle: true }]);
  });
});

describe("moveWorld of a move: the destination's kubeconfig errors name the destination's flags", () => {
  it('a missing --to-kubeconfig file: the hint names --to-kubeconfig, not --kubeconfig (real kubeconfig loader)', async () => {
    const { connectKube } = await import('../../../src/kube/session.ts');
    const reporter = { info() {}, warn() {}, debug() {} };
    const deps = { connectKube: (t: KubeTarget) => connectKube(t, reporter) } as unknown as CliDeps;
    const err = await moveWorld(deps, { destinationFlags: true })
      .connectKube({ context: 'other', kubeconfig: '/nonexistent/hcp-dr-destination-kubeconfig' })
      .then(
        () => undefined,
        (e: unknown) => e as { message: string; hint?: string; exitCode: number },
      );
    expect(err?.message).toMatch(/^destination: .*\/nonexistent\/hcp-dr-destination-kubeconfig/);
    expect(err?.hint).toMatch(/--to-kubeconfig/);
    expect(err?.hint).not.toMatch(/--kubeconfig\b/);
    expect(err?.exitCode).toBe(2);
    // resume's world (no destination flags) keeps the loader's own hint.
    const plain = await moveWorld(deps)
      .connectKube({ context: 'other', kubeconfig: '/nonexistent/hcp-dr-destination-kubeconfig' })
      .then(
        () => undefined,
        (e: unknown) => e as { hint?: string },
      );
    expect(plain?.hint).toMatch(/--kubeconfig\b/);
  });
});
