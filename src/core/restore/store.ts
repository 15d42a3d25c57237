/**
 * Where a restore's record lives, as the runner's OperationStore: ON the HostedCluster the restore
 * creates (record.ts). There is nothing to lock before that object exists (the preflight found
 * the slot empty, or holding this restore's own HostedCluster), so:
 *  - acquire writes nothing; phases before hosted-cluster are recorded in memory only, and the
 *    hosted-cluster phase puts the record, as it stands then, into the request that creates the
 *    HostedCluster, then attaches the store;
 *  - once attached (or from the start in `resume`, whose record is on the cluster already), each
 *    phase and field is patched onto the HostedCluster;
 *  - release removes the record only once the data verified (afterVerified: retried on
 *    connection failures, then exit 5 with `resume`); a run that ends unverified keeps it, so
 *    `resume` or a re-run can finish. A HostedCluster restored by an earlier, finished run
 *    (no record) is never attached: nothing is written on it.
 */
import type { KubeApi } from '../ports.ts';
import type { OperationStore } from '../operation/runner.ts';
import { updateOperation } from '../operation/record.ts';
import { afterVerified } from './finish.ts';

export interface RestoreStore extends OperationStore<'restore'> {
  /** From now on the record is on the HostedCluster: phases are written there. */
  attach(): void;
  readonly attached: boolean;
}

/** `at` is read when written to: a run names its HostedCluster only once it read the backup (a check). */
export function restoreStore(
  api: KubeApi,
  at: { readonly namespace: string; readonly name: string },
  verified: () => boolean,
  attached = false,
): RestoreStore {
  let on = attached;
  const ref = () => ({
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { namespace: at.namespace, name: at.name },
  });
  return {
    acquire: () => Promise.resolve(),
    async write(operation) {
      if (on) await updateOperation(api, ref(), operation);
    },
    async release() {
      if (on && verified()) await afterVerified(api, at.namespace, at.name);
    },
    attach() {
      on = true;
    },
    get attached() {
      return on;
    },
  };
}
