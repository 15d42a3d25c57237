/**
 * Before a move deletes a destination HostedCluster it created (its snapshot restore failed and it is
 * created anew, forward.ts), the running instances the destination adopted must not go with it: an
 * ordinary deletion deletes the NodePools and machine objects with their controllers running, and
 * CAPA terminates every instance its AWSMachines own (hypershift-domain.md §5, §2.9) - the hosted
 * cluster's nodes, since adoption moved them to the destination.
 *
 * So, as the source's teardown does: the CAPI controllers of the destination's control plane are
 * scaled to 0, each machine object is marked paused for CAPI (`cluster.x-k8s.io/paused`), its
 * finalizers are removed and it is deleted; the instances keep running with no owner object until
 * the re-created destination applies the backup's AWSMachines again and adopts them (same
 * providerID). Idempotent: what is gone is skipped.
 */
import { NotFoundError } from '../errors.ts';
import { Resources, type KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { CONTROL_PLANE_KINDS } from '../objects/kinds.ts';

const CAPI_CONTROLLERS = ['cluster-api', 'capi-provider'];
/** Machines before what owns them, the platform's machines last. */
const MACHINE_KINDS = ['Machine', 'MachineSet', 'MachineDeployment', 'AWSMachine']
  .map((kind) => CONTROL_PLANE_KINDS.find((k) => k.kind === kind))
  .filter((k) => k !== undefined);
export const CAPI_PAUSED = 'cluster.x-k8s.io/paused';

const ignoreMissing = (err: unknown) => {
  if (!(err instanceof NotFoundError)) throw err;
};

/** Returns what was done, one line each (nothing when the namespace holds no machine objects). */
export async function releaseInstances(api: KubeApi, controlPlaneNamespace: string): Promise<string[]> {
  const cp = controlPlaneNamespace;
  const found: [(typeof MACHINE_KINDS)[number], KubeObject[]][] = [];
  for (const kind of MACHINE_KINDS) {
    const objects = await api.list(kind, cp).catch((err: unknown) => {
      ignoreMissing(err); // a platform without this CRD
      return [] as KubeObject[];
    });
    if (objects.length) found.push([kind, objects]);
  }
  if (found.length === 0) return [];
  const done: string[] = [];
  for (const d of CAPI_CONTROLLERS) {
    const dep = await api.get(Resources.deployment, cp, d);
    if (!dep || (dep['spec'] as { replicas?: number } | undefined)?.replicas === 0) continue;
    await api.mergePatch(Resources.deployment, cp, d, { spec: { replicas: 0 } }, 'scale').catch(ignoreMissing);
  }
  done.push(`scaled ${CAPI_CONTROLLERS.join(' and ')} in ${cp} to 0`);
  for (const [kind, objects] of found) {
    for (const o of objects) {
      const name = o.metadata.name ?? '';
      await api.mergePatch(kind, cp, name, { metadata: { annotations: { [CAPI_PAUSED]: 'true' }, finalizers: null } }).catch(ignoreMissing);
      await api.delete(kind, cp, name).catch(ignoreMissing);
    }
    done.push(`released ${objects.length} ${kind.plural}.${kind.group} in ${cp} without their finalizers`);
  }
  done.push(`left the instances of the destination's machines running for the re-created HostedCluster to adopt`);
  return done;
}
