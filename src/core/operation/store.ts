/**
 * The record of an operation on its HostedCluster (record.ts), as the runner's OperationStore:
 * the lock (with the quiesce undo data when the workflow quiesces), each phase, the release.
 */
import { InternalError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { acquireOperation, releaseOperation, updateOperation, type OperationType } from './record.ts';
import type { OperationStore } from './runner.ts';

export interface LockInput {
  /** The HostedCluster as the checks read it: the lock is conditional on its resourceVersion. */
  hc: KubeObject;
  /** spec.replicas of the deployments the run scales down: recorded with the lock, with spec.pausedUntil. */
  previousReplicas?: Record<string, number> | undefined;
}

/**
 * `lockWith` is asked when the lock is taken, after the checks (which read what it returns); a
 * store for `resume` has none: the record it continues already holds the lock.
 */
export function hostedClusterStore<T extends OperationType>(
  api: KubeApi,
  namespace: string,
  name: string,
  lockWith?: () => LockInput,
): OperationStore<T> {
  let current: KubeObject = { apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'HostedCluster', metadata: { namespace, name } };
  return {
    async acquire(operation) {
      if (!lockWith) throw new InternalError(`the record of ${namespace}/${name} is already held: resume cannot lock again`);
      const { hc, previousReplicas } = lockWith();
      current = await acquireOperation(api, hc, operation, previousReplicas);
    },
    write: (operation) => updateOperation(api, current, operation),
    release: () => releaseOperation(api, namespace, name),
  };
}
