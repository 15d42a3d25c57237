/** A move's node handling (src/core/move/nodes.ts) and the teardown's AWSEndpointService order (teardown.ts), on an in-memory API. */
import { describe, expect, it } from 'vitest';
import { Resources, type KubeObject } from '../../../../src/core/model.ts';
import { handOverLine, nodeRestoreOptions, planNodes } from '../../../../src/core/move/nodes.ts';
import { tearDownSource } from '../../../../src/core/move/teardown.ts';
import { CONTROL_PLANE_KINDS } from '../../../../src/core/objects/kinds.ts';
import type { ResourceType } from '../../../../src/core/ports.ts';
import { MemoryApi } from '../memory-api.ts';

const CP = 'clusters-demo';
const kind = (k: string) => CONTROL_PLANE_KINDS.find((x) => x.kind === k)!;
const obj = (name: string, extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: CP, ...metadata },
  ...extra,
});
const pool = (name: string, replicas: number): KubeObject => ({
  metadata: { name, namespace: 'clusters' },
  spec: { clusterName: 'demo', replicas },
});

/** Records deletes too, in order with patches. */
class RecordingApi extends MemoryApi {
  override async delete(t: ResourceType, ns: string, name: string) {
    this.writes.push(`delete ${t.plural} ${ns}/${name}`);
    await super.delete(t, ns, name);
  }
}

describe('move node modes', () => {
  it('auto adopts when the source has AWSMachines with a providerID, and expects the NodePool replicas', async () => {
    const api = new MemoryApi();
    api.put(kind('Machine'), obj('m-1'));
    api.put(kind('AWSMachine'), obj('m-1', { spec: { providerID: 'aws:///us-east-1a/i-0abc' } }));
    const plan = await planNodes(api, CP, [pool('a', 2), pool('b', 1)], 'auto');
    expect(plan).toMatchObject({ mode: 'adopt', expectedNodes: 3, machines: 1 });
    expect(plan.check.detail).toMatch(/^adopt: 1 AWSMachine/);
    expect(nodeRestoreOptions(plan.mode, false)).toEqual({ withNodes: true });
  });

  it('auto keeps the nodes (no NodePool re-created) where machines cannot be adopted', async () => {
    const api = new MemoryApi();
    api.put(kind('Machine'), obj('m-1'));
    const plan = await planNodes(api, CP, [pool('a', 2)], 'auto');
    expect(plan.mode).toBe('keep');
    expect(nodeRestoreOptions(plan.mode, false)).toEqual({ nodePools: false });
    expect(handOverLine('keep', 2)).toMatch(/running as nodes in service; no management cluster manages them/);
  });

  it('refuses an explicit adopt the platform cannot honour, before any change', async () => {
    const api = new MemoryApi();
    api.put(kind('Machine'), obj('m-1'));
    await expect(planNodes(api, CP, [pool('a', 1)], 'adopt')).rejects.toThrow(/cannot adopt the nodes of clusters-demo/);
    expect(api.writes).toEqual([]);
  });

  it('keep is honoured even where adoption is possible', async () => {
    const api = new MemoryApi();
    api.put(kind('AWSMachine'), obj('m-1', { spec: { providerID: 'aws:///x/i-1' } }));
    expect((await planNodes(api, CP, [], 'keep')).mode).toBe('keep');
  });
});

describe('teardown of a Private/PublicAndPrivate source', () => {
  it('removes AWSEndpointService finalizers after the control-plane operator is at 0 and before the namespace is deleted', async () => {
    const api = new RecordingApi();
    api.put(Resources.namespace, { metadata: { name: CP } });
    api.put(Resources.deployment, obj('control-plane-operator', { spec: { replicas: 1 } }));
    api.put(
      Resources.awsEndpointService,
      obj('private-router', {}, { finalizers: ['hypershift.openshift.io/control-plane-operator-finalizer'] }),
    );
    // The in-memory API has no namespace controller: the namespace goes when deleted.
    const done = await tearDownSource({
      api,
      clock: { now: () => new Date(), sleep: async () => undefined },
      reporter: { info: () => undefined, warn: () => undefined, debug: () => undefined },
      namespace: 'clusters',
      name: 'demo',
      controlPlaneNamespace: CP,
      timeoutMs: 1000,
    });
    const at = (w: string) => api.writes.indexOf(w);
    expect(at('patch deployments clusters-demo/control-plane-operator')).toBeGreaterThanOrEqual(0);
    expect(at('patch awsendpointservices clusters-demo/private-router')).toBeGreaterThan(
      at('patch deployments clusters-demo/control-plane-operator'),
    );
    expect(at('delete awsendpointservices clusters-demo/private-router')).toBeGreaterThan(
      at('patch awsendpointservices clusters-demo/private-router'),
    );
    expect(at('delete namespaces /clusters-demo')).toBeGreaterThan(at('delete awsendpointservices clusters-demo/private-router'));
    expect(done.join('\n')).toContain('removed the finalizers of 1 awsendpointservices.hypershift.openshift.io');
  });
});
