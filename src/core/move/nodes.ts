/**
 * What a move does with the hosted cluster's nodes (hypershift-domain.md §2.8 step 4, §2.9, §5). The
 * nodes are kept by default, as the docs' migrations keep them; no mode orphans an instance:
 *
 *   adopt  the CAPI and platform machine objects from the backup are applied on the destination
 *          before the NodePools, so the destination's controllers adopt the running instances
 *          (same providerID) and the NodePools find their machines: nothing new is provisioned.
 *          The source's machine objects then go with their finalizers removed while its
 *          controllers are stopped, which leaves the instances to their new owner.
 *   keep   the docs' control-plane-only migration: no NodePool is re-created on the destination (it
 *          would provision duplicates), the existing nodes stay in service and reconnect through the
 *          moved API name; their instances are then managed by no management cluster, which the
 *          result says.
 *
 * `auto` (the default) is adopt where the platform's machines can be adopted (AWSMachines carrying a
 * providerID), keep otherwise. Either way the move ends by waiting until the hosted cluster's Ready
 * nodes equal the count the source's NodePools asked for (controlplane/nodes.ts).
 */
import { NotFoundError, PreconditionError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { CONTROL_PLANE_KINDS } from '../objects/kinds.ts';
import { replicasOf } from '../controlplane/nodes.ts';
import type { PreflightCheck } from '../contracts/restore.ts';

export type NodeMode = 'adopt' | 'keep';
export type NodeModeRequest = NodeMode | 'auto';
export const NODE_MODES: readonly NodeModeRequest[] = ['auto', 'adopt', 'keep'];

const AWS_MACHINE = CONTROL_PLANE_KINDS.find((k) => k.kind === 'AWSMachine')!;
const MACHINE = CONTROL_PLANE_KINDS.find((k) => k.kind === 'Machine')!;

export interface NodePlan {
  mode: NodeMode;
  /** Nodes the source's NodePools ask for: what the move waits for at the end. */
  expectedNodes: number;
  /** Machine objects on the source (CAPI Machines). */
  machines: number;
  check: PreflightCheck;
}

async function listOrNone(api: KubeApi, type: typeof MACHINE, namespace: string): Promise<KubeObject[]> {
  try {
    return await api.list(type, namespace);
  } catch (err) {
    if (err instanceof NotFoundError) return []; // no such CRD: a platform without it
    throw err;
  }
}

/** Decides the mode before the first change; an explicit `adopt` the platform cannot honour is refused. */
export async function planNodes(
  api: KubeApi,
  controlPlaneNamespace: string,
  nodePools: readonly KubeObject[],
  requested: NodeModeRequest,
): Promise<NodePlan> {
  const [machines, awsMachines] = await Promise.all([
    listOrNone(api, MACHINE, controlPlaneNamespace),
    listOrNone(api, AWS_MACHINE, controlPlaneNamespace),
  ]);
  const adoptable = awsMachines.filter((m) => typeof (m['spec'] as { providerID?: unknown } | undefined)?.providerID === 'string');
  const expectedNodes = nodePools.reduce((n, np) => n + replicasOf(np), 0);
  if (requested === 'adopt' && adoptable.length === 0 && machines.length > 0) {
    throw new PreconditionError(
      `cannot adopt the nodes of ${controlPlaneNamespace}: its ${machines.length} machine(s) have no AWSMachine with a providerID, so the destination could not adopt their instances`,
      { hint: 'move with --nodes keep (the nodes stay in service, no NodePool is re-created) or without --nodes' },
    );
  }
  const mode: NodeMode = requested === 'keep' ? 'keep' : adoptable.length > 0 || requested === 'adopt' ? 'adopt' : 'keep';
  const detail =
    mode === 'adopt'
      ? `adopt: ${adoptable.length} AWSMachine(s) with their instances move to the destination before the NodePools; no new machines`
      : `keep: ${machines.length ? `${machines.length} machine(s) cannot be adopted here; ` : ''}the existing nodes stay in service and no NodePool is re-created on the destination`;
  return {
    mode,
    expectedNodes,
    machines: machines.length,
    check: { name: 'nodes', ok: true, detail: `${detail}; then wait for ${expectedNodes} Ready node(s)` },
  };
}

/** What the destination's restore creates for a mode. */
export function nodeRestoreOptions(mode: NodeMode | undefined, withNodes: boolean | undefined): { withNodes?: true; nodePools?: false } {
  if (mode === 'keep') return { nodePools: false };
  return mode === 'adopt' || withNodes ? { withNodes: true } : {};
}

/** One line for the teardown's report: where the source's instances went. */
export function handOverLine(mode: NodeMode | undefined, machines: number): string | undefined {
  if (machines === 0) return undefined;
  return mode === 'keep'
    ? `left the instances of ${machines} machine(s) running as nodes in service; no management cluster manages them now (--nodes keep): re-create their NodePools with adopted machines or manage them by hand`
    : `handed the instances of ${machines} machine(s) over to the destination, which adopted them`;
}
