/**
 * `etcd restore --from-member`: the member is proven before its data is copied into every member.
 * Contract (before any change, in --dry-run as in the real run; --force overrides):
 *  - quorum intact: the member must be healthy; a broken member is not a source, and the fix for
 *    it is `etcd recover-member` (the hint names it and the healthy members);
 *  - quorum lost (no member is healthy by etcd's definition): the member must answer with its own
 *    status, and its revision must not be behind any other member that answers;
 *  - no member answers at all: nothing to compare; the raw copy of its database is what is left
 *    (restore-source.ts says so in the plan's notes).
 */
import { PreconditionError } from '../errors.ts';
import type { EtcdFacts, MemberFacts } from './verdict.ts';
import { gatherEtcd, type GatherContext } from './gather.ts';

export interface SourceMemberVerdict {
  /** Why the member is not a sound source, or undefined when it is. */
  problem: string | undefined;
  hint: string;
}

const label = (m: MemberFacts) => m.name || m.pod || m.id;
const byLabel = (a: MemberFacts, b: MemberFacts) => label(a).localeCompare(label(b), 'en', { numeric: true });
const described = (m: MemberFacts) => `${label(m)}${m.status ? ` (revision ${m.status.revision})` : ''}`;

/** The pure judgement of `pod` as the source of a restore into every member. */
export function judgeSourceMember(facts: EtcdFacts, pod: string, hc: { namespace: string; name: string }): SourceMemberVerdict {
  const voting = facts.members.filter((m) => !m.isLearner);
  if (voting.length === 0) return { problem: undefined, hint: '' };
  const source = facts.members.find((m) => m.pod === pod || m.name === pod);
  const healthy = voting.filter((m) => m.health?.healthy === true).sort(byLabel);
  const quorumIntact = healthy.length >= Math.floor(voting.length / 2) + 1;
  const others = (quorumIntact ? healthy : voting.filter((m) => m.status !== undefined)).filter((m) => m !== source).sort(byLabel);
  const newest = Math.max(-1, ...others.map((m) => m.status?.revision ?? -1));
  const best = others.filter((m) => (m.status?.revision ?? -1) === newest).map(label);
  const restoreCmd = `{cmd} etcd restore ${hc.name} -n ${hc.namespace}`;
  const use = best[0]
    ? `restore from ${quorumIntact ? 'a healthy' : 'the newest'} member: ${restoreCmd} --from-member ${best[0]}`
    : `restore a backup: ${restoreCmd} --from-backup <backup-url>`;
  const recover = `{cmd} etcd recover-member ${hc.name} ${pod} -n ${hc.namespace}`;
  const force = `--force restores ${pod} anyway (nothing was changed)`;
  if (quorumIntact) {
    const names = healthy.map(label).join(', ');
    if (source?.health?.healthy !== true) {
      const why = source ? (source.health?.error ?? 'no answer') : 'not a member of the cluster';
      return {
        problem: `member ${pod} is not healthy (${why}) while quorum is intact (healthy: ${names}): its data is not a sound source`,
        hint: `replace the broken member instead: ${recover}; or ${use}; ${force}`,
      };
    }
    return { problem: undefined, hint: '' };
  }
  if (!source?.status) {
    return best.length
      ? {
          problem: `member ${pod} does not answer while ${others.map(described).join(', ')} ${others.length === 1 ? 'does' : 'do'}: its data cannot be proven current`,
          hint: `${use}; ${force}`,
        }
      : { problem: undefined, hint: '' };
  }
  if (source.status.revision < newest) {
    return {
      problem: `member ${pod} is behind: its revision is ${source.status.revision}, ${best.join(', ')} ${best.length === 1 ? 'has' : 'have'} ${newest}; restoring it would lose the writes in between`,
      hint: `${use}; ${force}`,
    };
  }
  return { problem: undefined, hint: '' };
}

/** Gathers the members (a glance: no hashkv) and refuses an unsound source unless `force`; returns a note when forced. */
export async function proveSourceMember(
  ctx: GatherContext,
  pod: string,
  hc: { namespace: string; name: string },
  force: boolean,
): Promise<string | undefined> {
  const { facts } = await gatherEtcd({ ...ctx, glance: true });
  const verdict = judgeSourceMember(facts, pod, hc);
  if (verdict.problem === undefined) return undefined;
  if (force) return `--force: ${verdict.problem}`;
  throw new PreconditionError(`refusing to restore from ${pod}: ${verdict.problem}`, { hint: verdict.hint });
}
