/**
 * A running backup's check that its operation record is still its own. `resume` (run by
 * someone else, on any machine) undoes a run and removes the record: the run must then stop
 * at its next wait instead of waiting for a state that `resume` has just undone, and must not
 * renew a pause that `resume` lifted.
 */
import { PreconditionError } from '../errors.ts';
import { Resources } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { readOperation } from '../operation/record.ts';

/** A check that throws once the HostedCluster no longer carries operation `id`. */
export function operationStillHeld(api: KubeApi, namespace: string, name: string, id: string): () => Promise<void> {
  return async () => {
    const hc = await api.get(Resources.hostedCluster, namespace, name);
    const current = hc ? readOperation(hc)?.operation.id : undefined;
    if (current === id) return;
    throw new PreconditionError(
      `failed to back up "${namespace}/${name}": its operation record ${id} ${current === undefined ? 'was removed from the HostedCluster (as "resume" does)' : `was replaced by operation ${current}`}; the backup stopped`,
      {
        hint: `check "kubectl get hostedcluster ${name} -n ${namespace} -o yaml"; run the backup again once nobody else is acting on the cluster`,
      },
      'HCPDR_OPERATION_LOST',
    );
  };
}
