/** Releasing the destination's machine objects before a re-created HostedCluster (src/core/move/release-instances.ts), on an in-memory API. */
import { describe, expect, it } from 'vitest';
import { Resources, type KubeObject } from '../../../../src/core/model.ts';
import { CAPI_PAUSED, releaseInstances } from '../../../../src/core/move/release-instances.ts';
import { CONTROL_PLANE_KINDS } from '../../../../src/core/objects/kinds.ts';
import type { ResourceType } from '../../../../src/core/ports.ts';
import { MemoryApi } from '../memory-api.ts';

const CP = 'clusters-demo';
const kind = (k: string) => CONTROL_PLANE_KINDS.find((x) => x.kind === k)!;
const obj = (name: string, finalizer: string, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: CP, finalizers: [finalizer] },
  ...extra,
});

/** Records deletes with what the object held when it went. */
class RecordingApi extends MemoryApi {
  readonly deleted: { what: string; finalizers: unknown; paused: unknown }[] = [];
  override async delete(t: ResourceType, ns: string, name: string) {
    const o = await this.get(t, ns, name);
    this.writes.push(`delete ${t.plural} ${ns}/${name}`);
    this.deleted.push({ what: `${t.plural}/${name}`, finalizers: o?.metadata.finalizers, paused: o?.metadata.annotations?.[CAPI_PAUSED] });
    await super.delete(t, ns, name);
  }
}

describe('releaseInstances', () => {
  it('stops the CAPI controllers, then deletes each machine object paused and without finalizers, machines first', async () => {
    const api = new RecordingApi();
    for (const d of ['cluster-api', 'capi-provider', 'kube-apiserver'])
      api.put(Resources.deployment, { metadata: { name: d, namespace: CP }, spec: { replicas: 1 } });
    api.put(kind('Machine'), obj('m-1', 'machine.cluster.x-k8s.io'));
    api.put(kind('MachineSet'), obj('ms', 'cluster.x-k8s.io/machineset'));
    api.put(kind('MachineDeployment'), obj('md', 'cluster.x-k8s.io/machinedeployment'));
    api.put(
      kind('AWSMachine'),
      obj('m-1', 'awsmachine.infrastructure.cluster.x-k8s.io', { spec: { providerID: 'aws:///us-east-1a/i-0abc' } }),
    );
    const done = await releaseInstances(api, CP);
    for (const d of ['cluster-api', 'capi-provider'])
      expect((await api.get(Resources.deployment, CP, d))?.['spec']).toEqual({ replicas: 0 });
    expect((await api.get(Resources.deployment, CP, 'kube-apiserver'))?.['spec']).toEqual({ replicas: 1 });
    expect(api.deleted.map((d) => d.what)).toEqual(['machines/m-1', 'machinesets/ms', 'machinedeployments/md', 'awsmachines/m-1']);
    expect(api.deleted.every((d) => d.finalizers === undefined && d.paused === 'true')).toBe(true);
    const firstDelete = api.writes.findIndex((w) => w.startsWith('delete '));
    expect(api.writes.indexOf(`patch deployments ${CP}/capi-provider`)).toBeLessThan(firstDelete);
    expect(done.at(-1)).toMatch(/left the instances of the destination's machines running/);
  });

  it('does nothing where the control plane holds no machine objects (keep mode)', async () => {
    const api = new RecordingApi();
    api.put(Resources.deployment, { metadata: { name: 'capi-provider', namespace: CP }, spec: { replicas: 1 } });
    expect(await releaseInstances(api, CP)).toEqual([]);
    expect(api.writes).toEqual([]);
  });
});
