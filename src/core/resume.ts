/**
 * The resume handlers of this build, one per operation type it can finish or undo. A workflow
 * that writes an operation record of a new type registers its handler here.
 */
import { resumeBackup } from './backup/resume.ts';
import { resumeRestore } from './restore/resume.ts';
import { resumeRecoverMember } from './etcd/recover-member-resume.ts';
import { resumeEtcdRestore } from './etcd/restore-resume.ts';
import { resumeMove } from './move/resume.ts';
import { resumeDrillIn } from './drill/resume.ts';
import { resumeOperation, type ResumeDeps, type ResumeHandlers, type ResumeResult } from './operation/resume.ts';

export const RESUME_HANDLERS: ResumeHandlers = {
  backup: resumeBackup,
  restore: resumeRestore,
  'recover-member': resumeRecoverMember,
  'etcd-restore': resumeEtcdRestore,
  move: resumeMove,
};

/**
 * A drill's record lives on its scratch namespace, not on a HostedCluster: `resume <name> -n
 * <scratch namespace>` finds it there first (drill/resume.ts); every other type on the HostedCluster.
 */
export async function runResume(namespace: string, name: string, deps: ResumeDeps): Promise<ResumeResult> {
  return (await resumeDrillIn(namespace, name, deps)) ?? resumeOperation(namespace, name, deps, RESUME_HANDLERS);
}
