/**
 * The resume handlers of this build, one per operation type it can finish or undo. A workflow
 * that writes an operation record of a new type registers its handler here.
 */
import { resumeBackup } from '../../../core/backup/resume.ts';
import { resumeRestore } from '../../../core/restore/resume.ts';
import { resumeRecoverMember } from '../../../core/recover-member/recover-member-resume.ts';
import { resumeEtcdRestore } from '../../../core/etcd-restore/restore-resume.ts';
import { resumeMove } from '../../../core/move/resume.ts';
import { runRestore } from '../../../core/restore/run-restore.ts';
import { resumeOperation, type ResumeDeps, type ResumeHandlers, type ResumeResult } from '../../../core/operation/resume.ts';
import { resumeDrillIn } from '../../../core/drill/resume.ts';

export const RESUME_HANDLERS: ResumeHandlers = {
  backup: resumeBackup,
  restore: resumeRestore,
  'recover-member': resumeRecoverMember,
  'etcd-restore': resumeEtcdRestore,
  move: (input) => resumeMove(input, runRestore),
};

/**
 * A drill's record lives on its scratch namespace, not on a HostedCluster: `resume <name> -n
 * <scratch namespace>` finds it there first (drill/resume.ts); every other type on the HostedCluster.
 */
export async function runResume(namespace: string, name: string, deps: ResumeDeps): Promise<ResumeResult> {
  return (await resumeDrillIn(namespace, name, deps)) ?? resumeOperation(namespace, name, deps, RESUME_HANDLERS);
}
