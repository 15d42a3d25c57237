/**
 * Creates the restore's objects in order. Each is "ensured": created when absent, accepted when
 * it is there and holds what we would write (a re-run after a crash), refused when it differs.
 * On a failure the error names what this run created, so nothing half-applied goes unnamed. The
 * runner (phases.ts) applies one step per phase and marks each step's end for the test hook.
 */
import { ConflictError, HcpDrError, PreconditionError, RemoteError, causeText } from '../errors.ts';
import type { KubeApi, Reporter } from '../ports.ts';
import { describe, holdsDesired } from './objects.ts';
import { APPLY_ORDER, type ApplyStep, type DesiredObject, type PlannedObject } from '../contracts/restore.ts';

export interface ApplyContext {
  api: KubeApi;
  reporter: Reporter;
  /**
   * Called right before each create, with what this run created so far (empty: this is the first
   * change). The HostedCluster's record is completed here, so it names those objects.
   */
  beforeCreate(d: DesiredObject, createdSoFar: readonly string[]): Promise<void> | void;
  /** Skip the HostedCluster (it exists from an earlier run of this restore). */
  skipHostedCluster: boolean;
  /** The steps to apply (default: all, in order); a run applies one step per phase. */
  steps?: readonly ApplyStep[];
  /** What this run created so far, across calls (named in failures); updated in place. */
  created?: string[];
}

export async function applyObjects(ctx: ApplyContext, desired: DesiredObject[]): Promise<PlannedObject[]> {
  const done: PlannedObject[] = [];
  const created = ctx.created ?? [];
  for (const step of ctx.steps ?? APPLY_ORDER) {
    for (const d of desired.filter((x) => x.step === step)) {
      const row = (action: PlannedObject['action']): PlannedObject => ({
        step,
        kind: d.type.kind,
        namespace: d.object.metadata.namespace ?? null,
        name: d.object.metadata.name ?? '',
        action,
        origin: d.origin,
      });
      if (d.mustExist || (step === 'hosted-cluster' && ctx.skipHostedCluster)) {
        done.push(row('exists'));
        continue;
      }
      try {
        const ns = d.object.metadata.namespace ?? '';
        const name = d.object.metadata.name ?? '';
        let live = await ctx.api.get(d.type, ns, name);
        if (!live) {
          await ctx.beforeCreate(d, created);
          try {
            await ctx.api.create(d.type, ns, d.object);
            created.push(describe(d));
            ctx.reporter.info(`created ${describe(d)}`);
            done.push(row('created'));
            continue;
          } catch (err) {
            if (!(err instanceof ConflictError)) throw err;
            live = await ctx.api.get(d.type, ns, name);
            if (!live) throw err;
          }
        }
        if (step !== 'namespaces' && !d.keepExisting && !holdsDesired(live, d.object)) {
          throw new PreconditionError(`${describe(d)} exists with other content than the backup's`, {
            hint: 'delete it if it is stale, then run the restore again',
          });
        }
        if (live.metadata.deletionTimestamp) {
          throw new PreconditionError(`${describe(d)} is being deleted`, { hint: 'wait until it is gone, then run the restore again' });
        }
        done.push(row('exists'));
      } catch (err) {
        const made = created.length ? `; this run created ${created.join(', ')} (a re-run accepts them)` : '';
        const message = `failed to restore: cannot create ${describe(d)}: ${causeText(err).replace(/^failed to /, '')}${made}`;
        const hint =
          (err instanceof HcpDrError && err.hint) || 'fix the cause and run the same restore again: objects already created are accepted';
        throw err instanceof PreconditionError
          ? new PreconditionError(message, { hint, cause: err })
          : new RemoteError(message, { hint, cause: err });
      }
    }
  }
  return done;
}
