/** The hosted cluster's node wait (src/core/controlplane/nodes.ts) on in-memory APIs and a stepping clock. */
import { describe, expect, it } from 'vitest';
import { waitForNodes } from '../../../../src/core/controlplane/nodes.ts';
import { Resources, type KubeObject } from '../../../../src/core/model.ts';
import type { Clock } from '../../../../src/core/ports.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';

const node = (name: string, ready?: { status: string; reason?: string; message?: string }): KubeObject => ({
  metadata: { name },
  status: { conditions: ready ? [{ type: 'Ready', ...ready }] : [] },
});

/** A clock whose sleep advances time at once: the wait's deadline comes after a few polls. */
function steppingClock(): Clock {
  let t = Date.parse('2026-01-01T00:00:00Z');
  return { now: () => new Date(t), sleep: async (ms) => void (t += ms) };
}

function world(nodes: KubeObject[]) {
  const mgmt = new FakeKube();
  mgmt.put(Resources.hostedCluster, {
    metadata: { name: 'demo', namespace: 'clusters' },
    status: { kubeconfig: { name: 'demo-admin-kubeconfig' } },
  });
  mgmt.put(Resources.secret, {
    metadata: { name: 'demo-admin-kubeconfig', namespace: 'clusters' },
    data: { kubeconfig: Buffer.from('apiVersion: v1').toString('base64') },
  });
  const guest = new FakeKube();
  for (const n of nodes) guest.put(Resources.node, n);
  const lines: string[] = [];
  const reporter = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), debug: () => undefined };
  const ctx = {
    api: mgmt,
    connectGuest: async () => ({ api: guest, close: async () => undefined }),
    clock: steppingClock(),
    reporter,
    namespace: 'clusters',
    name: 'demo',
    timeoutMs: 5000,
    expected: 2,
  };
  return { ctx, lines };
}

describe('waitForNodes', () => {
  it('reports Ready at once when the Ready nodes equal the expected count', async () => {
    const { ctx } = world([node('a', { status: 'True', reason: 'KubeletReady' }), node('b', { status: 'True' })]);
    const r = await waitForNodes(ctx);
    expect(r).toMatchObject({ state: 'Ready', expected: 2, ready: 2, total: 2, notReady: [], notReadyWhy: [] });
  });

  it('at the deadline names each node not Ready with its Ready condition, in the result and the progress line', async () => {
    const msg = 'Kubelet stopped posting node status: x509: certificate signed by unknown authority (client-ca)';
    const { ctx, lines } = world([
      node('a', { status: 'True' }),
      node('b', { status: 'Unknown', reason: 'NodeStatusUnknown', message: msg }),
      node('c'),
    ]);
    ctx.expected = 3;
    const r = await waitForNodes(ctx);
    expect(r.state).toBe('NotReady');
    expect(r).toMatchObject({ ready: 1, total: 3, notReady: ['b', 'c'] });
    expect(r.notReadyWhy).toEqual([
      { name: 'b', status: 'Unknown', reason: 'NodeStatusUnknown', message: msg },
      { name: 'c', status: 'missing' },
    ]);
    expect(r.detail).toContain(`not Ready: b (Ready=Unknown NodeStatusUnknown: ${msg}), c (Ready=missing)`);
    expect(lines.some((l) => l.startsWith('nodes: 1/3 Ready') && l.includes('b (Ready=Unknown NodeStatusUnknown: Kubelet stopped'))).toBe(
      true,
    );
  });
});
