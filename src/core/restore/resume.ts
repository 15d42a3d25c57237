/**
 * `resume` of a restore (registered in cli/commands/resume/handlers.ts): finishes the wait and the data
 * verification of a restore whose run died, from the record on the HostedCluster alone. Safe to
 * repeat; the record goes only once the data is verified.
 */
import { causeText, EtcdUnhealthyError, PartialFailureError } from '../errors.ts';
import { failedRestore } from '../controlplane/failed-restore.ts';
import { recreateFailedRestore } from './recreate.ts';
import type { ResumeHandler } from '../operation/resume.ts';
import { readRestoreRecord } from './record.ts';
import { resumeRestore as finishRestore } from './run-restore.ts';

/** How long a resume waits for EtcdSnapshotRestored before it gives up (it can be run again). */
export const RESUME_WAIT_MS = 10 * 60_000;

export const resumeRestore: ResumeHandler<'restore'> = async ({ namespace, name, hc, deps }) => {
  const logs = {
    read: async (ns: string, pod: string, container: string, options?: { previous?: boolean; limitBytes?: number }) =>
      deps.api.readLog ? deps.api.readLog(ns, pod, container, options) : undefined,
  };
  // A snapshot download that failed (cut, store unreachable, URL expired) is retried only by
  // creating the HostedCluster again: this restore's own, with a fresh URL (recreate.ts).
  const why = await failedRestore(deps.api, namespace, name);
  if (why) {
    try {
      const again = await recreateFailedRestore(hc, deps, logs, RESUME_WAIT_MS, why);
      if (again.result.verdict.state === 'Restored')
        return {
          namespace,
          name,
          operation: readRestoreRecord(hc)?.id ?? null,
          actions: [...again.actions, `verified the restored data: Restored (${again.result.verdict.reason})`],
        };
      throw new EtcdUnhealthyError(`${again.result.verdict.state}: ${again.result.verdict.reason}`, { hint: again.result.verdict.hint });
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      throw new PartialFailureError(`failed to resume the restore of ${namespace}/${name}: ${causeText(err)}`, {
        cause: err,
        hint: `continue with: ${deps.resumeCommand ?? `{cmd} resume ${name} -n ${namespace}`}`,
      });
    }
  }
  const result = await finishRestore(
    hc,
    { api: deps.api, exec: deps.exec, logs, clock: deps.clock, reporter: deps.reporter, ...(deps.signal ? { signal: deps.signal } : {}) },
    RESUME_WAIT_MS,
    // Reads the backup again when the restored etcd is split and must be repaired in place.
    deps.world ? (target) => deps.world!.openObjectStore(target) : undefined,
  );
  const actions = [
    `waited for EtcdSnapshotRestored of ${namespace}/${name}`,
    `verified the restored data: ${result.verdict.state} (${result.verdict.reason})`,
  ];
  if (result.verdict.state !== 'Restored') {
    throw new EtcdUnhealthyError(
      `failed to finish the restore of ${namespace}/${name}: ${result.verdict.state}: ${result.verdict.reason}`,
      { hint: result.verdict.hint },
    );
  }
  actions.push(`removed the record of restore ${result.backup.id}`);
  return { namespace, name, operation: readRestoreRecord(hc)?.id ?? null, actions };
};
