/**
 * Quiescing as every workflow uses it: a pause is a deadline that reaches the HostedControlPlane
 * before anything is scaled, is renewed while the run holds its record, and is undone (with the
 * recorded replicas) from the record alone. Against a stateful in-memory cluster whose
 * "operator" copies spec.pausedUntil to the HostedControlPlane on every HostedCluster write.
 */
import { describe, expect, it } from 'vitest';
import { PreconditionError } from '../../../../src/core/errors.ts';
import { Resources, type KubeObject } from '../../../../src/core/model.ts';
import type { ResourceType } from '../../../../src/core/ports.ts';
import { readReplicas, scaleDeployments, startPause, undoQuiesce, type QuiesceContext } from '../../../../src/core/controlplane/quiesce.ts';
import { hostedClusterRef, listNodePools, resolveHostedCluster } from '../../../../src/core/controlplane/hosted-cluster.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** The operator stand-in: after a HostedCluster write, the HostedControlPlane gets its spec.pausedUntil. */
class ClusterWithOperator extends FakeKube {
  override async mergePatch(t: ResourceType, ns: string, name: string, patch: unknown) {
    const out = await super.mergePatch(t, ns, name, patch);
    if (t === Resources.hostedCluster) {
      const pausedUntil = (out['spec'] as { pausedUntil?: string }).pausedUntil;
      const hcp = (await this.get(Resources.hostedControlPlane, 'clusters-demo', name)) as KubeObject;
      this.put(Resources.hostedControlPlane, { ...hcp, spec: pausedUntil === undefined ? {} : { pausedUntil } });
    }
    return out;
  }
}

function world(): ClusterWithOperator {
  const api = new ClusterWithOperator();
  api.put(Resources.hostedCluster, { metadata: { namespace: 'clusters', name: 'demo' }, spec: { pausedUntil: '2030-01-01T00:00:00Z' } });
  api.put(Resources.hostedControlPlane, {
    metadata: { namespace: 'clusters-demo', name: 'demo' },
    spec: { pausedUntil: '2030-01-01T00:00:00Z' },
  });
  for (const [d, n] of [
    ['kube-apiserver', 3],
    ['openshift-apiserver', 2],
    ['control-plane-operator', 1],
  ] as const) {
    api.put(Resources.deployment, {
      metadata: { namespace: 'clusters-demo', name: d },
      spec: { replicas: n },
      status: { replicas: n, readyReplicas: n },
    });
  }
  api.put(Resources.nodePool, { metadata: { namespace: 'clusters', name: 'a' }, spec: { clusterName: 'demo' } });
  api.put(Resources.nodePool, { metadata: { namespace: 'clusters', name: 'other' }, spec: { clusterName: 'other' } });
  return api;
}

const ctxOf = (api: FakeKube, over: Partial<QuiesceContext> = {}): QuiesceContext => ({
  api,
  clock: { now: () => new Date('2026-11-29T12:00:00Z'), sleep: async () => undefined },
  reporter: quiet,
  namespace: 'clusters',
  name: 'demo',
  controlPlaneNamespace: 'clusters-demo',
  waitTimeoutMs: 5000,
  ...over,
});
const spec = async (api: FakeKube, t: ResourceType, ns: string, name: string) =>
  (await api.get(t, ns, name))?.['spec'] as Record<string, unknown>;

describe('quiesce', () => {
  it('pauses with an RFC3339 deadline, and returns only once the HostedControlPlane has it', async () => {
    const api = world();
    const pause = await startPause(ctxOf(api), 30 * 60_000);
    pause.stop();
    expect(pause.deadline).toBe('2026-11-29T12:30:00Z');
    expect((await spec(api, Resources.hostedControlPlane, 'clusters-demo', 'demo'))['pausedUntil']).toBe('2026-11-29T12:30:00Z');
  });

  it('renews the deadline while the record is held, and not once the check fails', async () => {
    const api = world();
    let now = Date.parse('2026-11-29T12:00:00Z');
    let held = true;
    const ctx = ctxOf(api, {
      clock: { now: () => new Date((now += 60_000)), sleep: async () => undefined },
      stillHeld: async () => {
        if (!held) throw new PreconditionError('gone');
      },
    });
    const pause = await startPause(ctx, 300);
    const first = pause.deadline;
    const current = async () => (await spec(api, Resources.hostedCluster, 'clusters', 'demo'))['pausedUntil'];
    for (let i = 0; i < 200 && (await current()) === first; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await current()).not.toBe(first);
    held = false;
    await new Promise((r) => setTimeout(r, 250));
    const frozen = await current();
    await new Promise((r) => setTimeout(r, 250));
    expect(await current()).toBe(frozen);
    pause.stop();
  });

  it('undoes a scale-down and a pause from the record, scaling only the deployments allowed', async () => {
    const api = world();
    const ctx = ctxOf(api);
    await scaleDeployments(ctx, { 'kube-apiserver': 0, 'openshift-apiserver': 0 });
    const undo = await undoQuiesce(ctx, {
      previousPausedUntil: null,
      previousReplicas: { 'kube-apiserver': 3, 'openshift-apiserver': 2, 'control-plane-operator': 7, bogus: -1 },
    });
    expect(undo).toEqual({ actions: ['scaled kube-apiserver to 3, openshift-apiserver to 2', 'removed spec.pausedUntil'], failures: [] });
    expect((await spec(api, Resources.deployment, 'clusters-demo', 'control-plane-operator'))['replicas']).toBe(1);
    expect(await spec(api, Resources.hostedCluster, 'clusters', 'demo')).toEqual({});
    expect(await spec(api, Resources.hostedControlPlane, 'clusters-demo', 'demo')).toEqual({});
  });

  it('reports each failed undo and still tries the others', async () => {
    const api = world();
    api.objects.delete(`${Resources.deployment.plural}/clusters-demo/kube-apiserver`);
    const undo = await undoQuiesce(ctxOf(api), { previousPausedUntil: '2031-01-01T00:00:00Z', previousReplicas: { 'kube-apiserver': 3 } });
    expect(undo.actions).toEqual(['restored spec.pausedUntil to "2031-01-01T00:00:00Z"']);
    expect(undo.failures).toEqual([expect.stringMatching(/^scaled kube-apiserver to 3: /)]);
  });

  it('reads the replicas of the named deployments; a missing one is a precondition failure with the given hint', async () => {
    const api = world();
    expect(await readReplicas(ctxOf(api), ['kube-apiserver', 'control-plane-operator'])).toEqual({
      'kube-apiserver': 3,
      'control-plane-operator': 1,
    });
    await expect(readReplicas(ctxOf(api), undefined, 'use --online')).rejects.toThrow(
      /deployment "openshift-oauth-apiserver" in namespace "clusters-demo"/,
    );
  });
});

describe('hosted-cluster resolution', () => {
  it('names the control-plane namespace as HyperShift does, finds the NodePools by clusterName, refuses a missing cluster', async () => {
    expect(hostedClusterRef('clusters', 'my.demo')).toEqual({
      namespace: 'clusters',
      name: 'my.demo',
      controlPlaneNamespace: 'clusters-my-demo',
    });
    const api = world();
    expect((await listNodePools(api, 'clusters', 'demo')).map((np) => np.metadata.name)).toEqual(['a']);
    await expect(resolveHostedCluster(api, 'clusters', 'nope')).rejects.toThrow(
      'failed to find HostedCluster "nope" in namespace "clusters"',
    );
  });
});
