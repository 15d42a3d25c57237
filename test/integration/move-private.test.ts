/**
 * `move` of a PublicAndPrivate hosted cluster end to end on the sandbox (hypershift-domain.md §5,
 * §2.9): the seeded demo with endpointAccess PublicAndPrivate carries the control-plane operator's
 * AWSEndpointService `private-router` with its finalizer (endpoint-service.ts). The source's CPO is
 * at 0 from the freeze on, so the stand-in never lets that finalizer go: the teardown has to remove
 * it and delete the endpoint service before the control-plane namespace, or the namespace stays
 * Terminating and the move never ends. The destination's operator gives the moved cluster its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type ManagementCluster, type Sandbox } from '../sandbox/sandbox.ts';
import { demoMoveArgs, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { CPO_FINALIZER, ENDPOINT_SERVICES } from '../sandbox/hypershift/endpoint-service.ts';
import { waitFor } from '../support/wait.ts';
import type { MoveResult } from '../../src/core/move/types.ts';
import type { GroupResource, StoreEvent } from '../sandbox/api/types.ts';

const HC: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const NAMESPACES: GroupResource = { group: '', version: 'v1', plural: 'namespaces' };
const CP = 'clusters-demo';
const API = 'api-demo.hcp.example.com';

let sb: Sandbox;
let m1: ManagementCluster;
let m2: ManagementCluster;
let restoreEnv: (() => void) | undefined;

const resolved = async () =>
  (
    await sb
      .dns!.resolver()
      .resolve4(API)
      .catch(() => [] as string[])
  ).sort();

beforeAll(async () => {
  sb = await startSandbox({
    etcdImageTrustsS3Ca: true,
    clusters: 2,
    guests: true,
    capi: true,
    initBackoffMs: 1000,
    endpointAccess: 'PublicAndPrivate',
  });
  [m1, m2] = sb.clusters as [ManagementCluster, ManagementCluster];
  restoreEnv = useSandboxCredentials(sb);
  await waitFor('api-demo published by the first cluster', async () => (await resolved())[0] === m1.ingressAddress, 60_000);
  await sb.etcd.put('/move-private/alpha', 'one');
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

describe('move of a PublicAndPrivate hosted cluster', () => {
  it('the sandbox seeds demo as PublicAndPrivate on request, with the AWSEndpointService private-router holding the CPO finalizer', async () => {
    const hc = m1.sim.store.get(HC, 'clusters', 'demo')!;
    expect((hc['spec'] as { platform: { aws: { endpointAccess: string } } }).platform.aws.endpointAccess).toBe('PublicAndPrivate');
    const svc = await waitFor('the endpoint service', () => m1.sim.store.get(ENDPOINT_SERVICES, CP, 'private-router'), 30_000);
    expect(svc.metadata.finalizers).toEqual([CPO_FINALIZER]);
    expect(m2.sim.store.list(ENDPOINT_SERVICES, CP)).toEqual([]);
  });

  it(
    "moves it: the source's AWSEndpointService loses its finalizer with the CPO at 0 and goes before the control-plane namespace; none left on the source, the destination has its own, no instance leaked",
    { timeout: 300_000 },
    async () => {
      const sourceService = m1.sim.store.get(ENDPOINT_SERVICES, CP, 'private-router')!;
      const events: string[] = [];
      const cpoReplicas = () =>
        (
          m1.sim.store.get({ group: 'apps', version: 'v1', plural: 'deployments' }, CP, 'control-plane-operator')?.['spec'] as
            { replicas?: number } | undefined
        )?.replicas;
      const off = m1.sim.store.subscribe((e: StoreEvent) => {
        const o = e.object;
        if (e.resource.plural === ENDPOINT_SERVICES.plural && o.metadata.namespace === CP) {
          if (e.type === 'DELETED') events.push('endpoint service deleted');
          else if ((e.old?.metadata.finalizers ?? []).includes(CPO_FINALIZER) && !(o.metadata.finalizers ?? []).includes(CPO_FINALIZER))
            events.push(`endpoint service finalizer removed (CPO replicas ${cpoReplicas()})`);
        }
        if (e.resource.plural === NAMESPACES.plural && o.metadata.name === CP) {
          if (e.type === 'DELETED') events.push('namespace gone');
          else if (o.metadata.deletionTimestamp && !e.old?.metadata.deletionTimestamp) events.push('namespace deleting');
        }
      });
      let run;
      try {
        run = await runCliInProcess(demoMoveArgs(sb, 'sandbox', 'sandbox-2', ['--wait-timeout', '3m', '--yes', '-o', 'json']));
      } finally {
        off();
      }
      expect(run.code, run.stderr).toBe(0);
      const r = JSON.parse(run.stdout) as MoveResult;
      expect(r.state).toBe('Moved');
      expect(r.restore?.verdict.state).toBe('Restored');
      // The teardown's order, as the source's API saw it: the CPO (at 0) did not let go; hcp-dr did, before the namespace.
      expect(events).toEqual([
        'endpoint service finalizer removed (CPO replicas 0)',
        'endpoint service deleted',
        'namespace deleting',
        'namespace gone',
      ]);
      // Nothing left on the source.
      expect(m1.sim.store.list(ENDPOINT_SERVICES, CP)).toEqual([]);
      expect(m1.sim.store.get(NAMESPACES, undefined, CP)).toBeUndefined();
      expect(m1.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
      // The destination's own endpoint service, from its operator, held by its running CPO.
      const own = await waitFor(
        'the destination endpoint service',
        () => m2.sim.store.get(ENDPOINT_SERVICES, CP, 'private-router'),
        30_000,
      );
      expect(own.metadata.uid).not.toBe(sourceService.metadata.uid);
      expect(own.metadata.finalizers).toEqual([CPO_FINALIZER]);
      expect(own.metadata.deletionTimestamp).toBeUndefined();
      expect(await m2.operator!.etcd(CP)!.get('/move-private/alpha')).toBe('one');
      expect(await resolved()).toEqual([m2.ingressAddress]);
      const instances = sb.cloud!.instances('demo-x7k2p');
      expect(instances.filter((i) => i.state === 'running')).toHaveLength(2);
      expect(instances.every((i) => i.state === 'running' && i.owner.cluster === 'sandbox-2' && !i.leaked)).toBe(true);
    },
  );
});
