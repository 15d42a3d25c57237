/**
 * Tearing the source down once the destination is verified (§2.9): its controllers are stopped,
 * so every object's finalizers are removed before it is deleted; cloud resources are left alone
 * on purpose (the destination owns them now). The machines' instances are not terminated: with
 * nodeMode adopt the destination adopted them, with keep they stay in service as nodes (nodes.ts
 * says which, one line). AWSEndpointService objects (Private/PublicAndPrivate) carry the stopped
 * control-plane operator's finalizer: removed after the CPO is at 0 and before the namespace is
 * deleted, or the namespace stays Terminating (§5). Idempotent: what is gone already is skipped.
 */
import { NotFoundError } from '../errors.ts';
import { Resources, type KubeObject } from '../model.ts';
import type { Clock, KubeApi, Reporter, ResourceType } from '../ports.ts';
import { listNodePools } from '../controlplane/hosted-cluster.ts';
import { waitUntil } from '../controlplane/wait.ts';
import { CONTROL_PLANE_KINDS } from '../objects/kinds.ts';
import { handOverLine, type NodeMode } from './nodes.ts';

export interface TeardownContext {
  api: KubeApi;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  namespace: string;
  name: string;
  controlPlaneNamespace: string;
  timeoutMs: number;
  /** What the move did with the nodes (for the report line about the instances). */
  nodeMode?: NodeMode | undefined;
}

/** CAPI first (machines before what owns them), platform objects after, the HostedControlPlane last (§2.9 steps 3-6). */
const ORDER = [
  'Machine',
  'MachineSet',
  'MachineDeployment',
  'Cluster',
  'AWSMachine',
  'AWSMachineTemplate',
  'AWSCluster',
  'HostedControlPlane',
];
const TEARDOWN_KINDS = ORDER.map((kind) => CONTROL_PLANE_KINDS.find((k) => k.kind === kind)).filter((k) => k !== undefined);

const ignoreMissing = (err: unknown) => {
  if (!(err instanceof NotFoundError)) throw err;
};

async function forceDelete(api: KubeApi, type: ResourceType, namespace: string, obj: KubeObject): Promise<void> {
  const name = obj.metadata.name ?? '';
  if ((obj.metadata.finalizers ?? []).length > 0)
    await api.mergePatch(type, namespace, name, { metadata: { finalizers: null } }).catch(ignoreMissing);
  await api.delete(type, namespace, name).catch(ignoreMissing);
}

async function listOrNone(api: KubeApi, type: ResourceType, namespace: string): Promise<KubeObject[]> {
  try {
    return await api.list(type, namespace);
  } catch (err) {
    ignoreMissing(err); // no such CRD here
    return [];
  }
}

/** Returns what was removed, one line each. */
export async function tearDownSource(ctx: TeardownContext): Promise<string[]> {
  const { api, namespace, name } = ctx;
  const cp = ctx.controlPlaneNamespace;
  const done: string[] = [];
  const cpExists = (await api.get(Resources.namespace, '', cp)) !== undefined;
  if (cpExists) {
    for (const type of [Resources.deployment, Resources.statefulSet]) {
      for (const w of await api.list(type, cp)) {
        if ((w['spec'] as { replicas?: number } | undefined)?.replicas === 0) continue;
        await api.mergePatch(type, cp, w.metadata.name ?? '', { spec: { replicas: 0 } }, 'scale').catch(ignoreMissing);
      }
    }
    done.push(`scaled every deployment and statefulset in ${cp} to 0`);
  }
  for (const np of await listNodePools(api, namespace, name)) {
    await forceDelete(api, Resources.nodePool, namespace, np);
    done.push(`deleted NodePool ${namespace}/${np.metadata.name}`);
  }
  if (cpExists) {
    for (const kind of TEARDOWN_KINDS) {
      let objects: KubeObject[];
      try {
        objects = await api.list(kind, cp);
      } catch (err) {
        ignoreMissing(err); // a platform without this CRD
        continue;
      }
      for (const o of objects) await forceDelete(api, kind, cp, o);
      if (objects.length) done.push(`deleted ${objects.length} ${kind.plural}.${kind.group} in ${cp}`);
      const handOver = kind.kind === 'Machine' ? handOverLine(ctx.nodeMode, objects.length) : undefined;
      if (handOver) {
        ctx.reporter.info(handOver);
        done.push(handOver);
      }
    }
    const services = await listOrNone(api, Resources.awsEndpointService, cp);
    for (const o of services) await forceDelete(api, Resources.awsEndpointService, cp, o);
    if (services.length)
      done.push(`removed the finalizers of ${services.length} awsendpointservices.hypershift.openshift.io in ${cp} and deleted them`);
  }
  const hc = await api.get(Resources.hostedCluster, namespace, name);
  if (hc) {
    // What the operator publishes for the cluster (owned by it, so garbage collection would take it).
    const status = (hc['status'] ?? {}) as { kubeconfig?: { name?: string }; kubeadminPassword?: { name?: string } };
    for (const secret of [status.kubeconfig?.name, status.kubeadminPassword?.name].filter((n): n is string => Boolean(n))) {
      await api.delete(Resources.secret, namespace, secret).catch(ignoreMissing);
      done.push(`deleted Secret ${namespace}/${secret}`);
    }
    await forceDelete(api, Resources.hostedCluster, namespace, hc);
    done.push(`deleted HostedCluster ${namespace}/${name}`);
  }
  if (cpExists) {
    await api.delete(Resources.namespace, '', cp).catch(ignoreMissing);
    await waitUntil(
      ctx,
      `namespace ${cp} to be gone on the source`,
      async () => (await api.get(Resources.namespace, '', cp)) === undefined,
    );
    done.push(`deleted namespace ${cp}`);
  }
  return done;
}
