/**
 * `resume` of a restore (registered in core/resume.ts): finishes the wait and the data
 * verification of a restore whose run died, from the record on the HostedCluster alone. Safe to
 * repeat; the record goes only once the data is verified.
 */
import { EtcdUnhealthyError } from '../errors.ts';
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
  const result = await finishRestore(
    hc,
    { api: deps.api, exec: deps.exec, logs, clock: deps.clock, reporter: deps.reporter, ...(deps.signal ? { signal: deps.signal } : {}) },
    RESUME_WAIT_MS,
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
