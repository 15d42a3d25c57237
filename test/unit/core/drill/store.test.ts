/** The drill's record on its scratch namespace, and resume from it, against the in-memory fake. */
import { describe, expect, it } from 'vitest';
import { Annotations, Resources } from '../../../../src/core/model.ts';
import type { PodExec } from '../../../../src/core/ports.ts';
import type { DrillOperation } from '../../../../src/core/operation/record.ts';
import { readDrillRecord, scratchNamespaceStore } from '../../../../src/core/drill/store.ts';
import { resumeDrillIn } from '../../../../src/core/drill/resume.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';
import { FakeClock, memoryReporter } from '../../../support/fakes/clock.ts';

const op: DrillOperation = {
  id: 'drill-1',
  type: 'drill',
  startedAt: '2026-12-07T00:00:00Z',
  phase: 'started',
  hostedCluster: 'clusters/demo',
};
const noExec: PodExec = { exec: () => Promise.reject(new Error('no exec in this test')) };

function world() {
  const api = new FakeKube();
  const deps = { api, exec: noExec, clock: new FakeClock(), reporter: memoryReporter() };
  return {
    api,
    deps,
    store: (keep = false) => scratchNamespaceStore({ ...deps, namespace: 'scratch', keep: () => keep, waitTimeoutMs: 10_000 }),
  };
}

describe('scratch namespace store', () => {
  it('locks by creating the namespace with the record on it, writes phases there, and releases by removing it', async () => {
    const { api, store } = world();
    const s = store();
    await s.acquire(op);
    expect(readDrillRecord(await api.get(Resources.namespace, '', 'scratch'))).toEqual(op);
    await s.write({ ...op, phase: 'restored' });
    expect(readDrillRecord(await api.get(Resources.namespace, '', 'scratch'))?.phase).toBe('restored');
    await s.release();
    expect(await api.get(Resources.namespace, '', 'scratch')).toBeUndefined();
  });

  it('with --keep, release only drops the record', async () => {
    const { api, store } = world();
    const s = store(true);
    await s.acquire(op);
    await s.release();
    const ns = await api.get(Resources.namespace, '', 'scratch');
    expect(ns?.metadata.annotations?.[Annotations.operation]).toBeUndefined();
  });

  it('refuses a namespace that already exists, and never removes one that is not a drill scratch namespace', async () => {
    const { api, store } = world();
    api.put(Resources.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch' } });
    await expect(store().acquire(op)).rejects.toThrow(/namespace "scratch" already exists/);
    await expect(store().release()).rejects.toThrow(/not a drill's scratch namespace: not removed/);
    expect(await api.get(Resources.namespace, '', 'scratch')).toBeDefined();
  });
});

describe('resume of a drill', () => {
  it('removes the scratch namespace of a drill recorded at any phase, and answers undefined where there is no drill', async () => {
    for (const phase of ['started', 'pod', 'restored', 'etcd-started', 'checked'] as const) {
      const { api, deps, store } = world();
      await store().acquire({ ...op, phase });
      const result = await resumeDrillIn('scratch', 'demo', deps);
      expect(result?.operation).toBe('drill-1');
      expect(result?.actions.join()).toMatch(new RegExp(`stopped at phase ${phase}`));
      expect(await api.get(Resources.namespace, '', 'scratch')).toBeUndefined();
    }
    const { deps } = world();
    expect(await resumeDrillIn('clusters', 'demo', deps)).toBeUndefined();
  });
});
