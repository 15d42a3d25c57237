/**
 * Workflow states as the runner's unit tests hand them to a workflow definition without running
 * its checks: only the fields the phases under test read.
 */
import type { RecoverMemberState } from '../../../src/core/recover-member/recover-member-phases.ts';

/** recover-member of etcd-1 of clusters/demo, prepared; `needsMemberAdd`: whether the member-added phase runs. */
export const recoverMemberState = (needsMemberAdd: boolean): RecoverMemberState =>
  ({
    namespace: 'clusters',
    name: 'demo',
    member: 'etcd-1',
    ctx: { controlPlaneNamespace: 'clusters-demo' },
    prepared: { target: { member: 'etcd-1', needsMemberAdd } },
    actions: [],
  }) as unknown as RecoverMemberState;
