/**
 * The drill's record (OperationStore) on its scratch namespace, annotation
 * hcp-dr.openshift.io/operation: the lock is the namespace's creation with the record on it, so
 * nothing exists that the record does not name. Released by removing what the drill created
 * (the namespace, waited for until gone) or, with --keep after a finished drill, the annotation.
 *
 * A namespace of that name that is not a drill's is refused, never reused or removed; one that
 * holds a dead drill's record is cleaned by `resume` or a re-run first (run-drill.ts).
 */
import { ConflictError, NotFoundError, PreconditionError } from '../errors.ts';
import { Annotations, Resources, type KubeObject } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import type { OperationStore } from '../operation/runner.ts';
import type { DrillOperation } from '../operation/record.ts';
import { waitUntil } from '../controlplane/wait.ts';
import { DRILL_LABEL, scratchNamespaceObject } from './pod.ts';

export interface NamespaceStoreContext {
  api: KubeApi;
  clock: Clock;
  reporter: Reporter;
  namespace: string;
  /** Keep the namespace at release (after a finished drill with --keep); asked at release. */
  keep: () => boolean;
  waitTimeoutMs: number;
}

/** The drill record on `namespace`, if it carries one. */
export function readDrillRecord(ns: KubeObject | undefined): DrillOperation | undefined {
  const raw = ns?.metadata.annotations?.[Annotations.operation];
  if (raw === undefined) return undefined;
  try {
    const op = JSON.parse(raw) as DrillOperation;
    if (op?.type === 'drill' && typeof op.id === 'string') return op;
  } catch {
    /* not ours */
  }
  return undefined;
}

export function scratchNamespaceStore(ctx: NamespaceStoreContext): OperationStore<'drill'> {
  const annotate = (op: DrillOperation) => ({ [Annotations.operation]: JSON.stringify(op) });
  return {
    async acquire(operation) {
      try {
        await ctx.api.create(Resources.namespace, '', scratchNamespaceObject(ctx.namespace, annotate(operation)));
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        throw new PreconditionError(`failed to start the drill: namespace "${ctx.namespace}" already exists`, {
          hint: 'pass a new scratch namespace with -n, or remove that one if it is a leftover of yours',
        });
      }
    },
    write: (operation) =>
      ctx.api.mergePatch(Resources.namespace, '', ctx.namespace, { metadata: { annotations: annotate(operation) } }).then(() => undefined),
    async release() {
      if (ctx.keep()) {
        await ctx.api.mergePatch(Resources.namespace, '', ctx.namespace, {
          metadata: { annotations: { [Annotations.operation]: null } },
        });
        return;
      }
      await removeScratchNamespace(ctx);
    },
  };
}

/** Deletes the scratch namespace (only one labelled as a drill's) and waits until it is gone. Idempotent. */
export async function removeScratchNamespace(ctx: Omit<NamespaceStoreContext, 'keep'>): Promise<void> {
  const ns = await ctx.api.get(Resources.namespace, '', ctx.namespace);
  if (!ns) return;
  if (ns.metadata.labels?.[DRILL_LABEL] !== 'true')
    throw new PreconditionError(`namespace "${ctx.namespace}" is not a drill's scratch namespace: not removed`);
  try {
    await ctx.api.delete(Resources.namespace, '', ctx.namespace);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  await waitUntil(
    { ...ctx, timeoutMs: ctx.waitTimeoutMs },
    `namespace ${ctx.namespace} to be gone`,
    async () => (await ctx.api.get(Resources.namespace, '', ctx.namespace)) === undefined,
  );
}
