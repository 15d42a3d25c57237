/**
 * The steps of `etcd recover-member` that change or watch the cluster, each safe to repeat (the
 * run and `resume` share them):
 *  - addMember: `member add` through a healthy member when the member is missing from the list, as
 *    HyperShift's own recovery Job does (hypershift-domain.md §1.12). The entry is what reset-member
 *    looks for: it greps `member list -w simple` for the pod's name, which an added entry carries in
 *    its peer URL, removes that entry and adds the member again as a voting member (§1.6); with no
 *    entry the empty member starts `new` and its peers refuse it. Not a learner: reset-member
 *    replaces the entry before the member starts, so a learner would never run, never be promoted,
 *    and the member joins as a voter whatever was added;
 *  - removeUnstartedMember: the compensation of addMember, before any storage was touched;
 *  - replaceStorage: deletes the PVC (not waiting on kubernetes.io/pvc-protection, which lets go
 *    only once the pod is gone) and then the pod, each only while it is still the old object;
 *  - waitRejoined / verifyRecovered: a new PVC and pod, the member back in the list and healthy,
 *    member count equal to replicas, one hashkv across members, no alarms.
 */
import { ConflictError, NotFoundError, RemoteError, causeText } from '../errors.ts';
import { Etcd, Resources } from '../model.ts';
import { waitUntil } from '../controlplane/wait.ts';
import { etcdctl, parseMemberList, peerUrlOf } from '../etcd/etcdctl.ts';
import { gatherEtcd, type GatheredEtcd } from '../etcd/gather.ts';
import { objectsOf } from './recover-member-plan.ts';
import { judge, type Verdict } from '../etcd/verdict.ts';
import type { EtcdStepContext } from '../etcd/step-context.ts';

export type StepContext = EtcdStepContext;

/** `member add <member>` run in pod `via`; returns the new member's hex ID. etcd refuses changes for a few seconds after a (re)join: retried. */
export async function addMember(ctx: StepContext, via: string, caPath: string, member: string): Promise<string> {
  const command = etcdctl(
    { caPath },
    Etcd.localEndpoint,
    'member',
    'add',
    member,
    `--peer-urls=${peerUrlOf(member, ctx.controlPlaneNamespace)}`,
  );
  let last = '';
  let id = '';
  await waitUntil({ ...ctx, timeoutMs: Math.min(ctx.waitTimeoutMs, 120_000) }, `etcd to accept "member add ${member}"`, async () => {
    const r = await ctx.exec.exec({
      namespace: ctx.controlPlaneNamespace,
      pod: via,
      container: Etcd.container,
      command,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    id = /Member\s+([0-9a-f]+)\s+added/i.exec(r.stdout)?.[1] ?? '';
    last = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
    return r.exitCode === 0 && id !== '';
  }).catch((err: unknown) => {
    throw new RemoteError(`failed to add member ${member} to the member list through ${via}: ${last || causeText(err)}`, { cause: err });
  });
  return id;
}

/** Removes member `id` if it is still unstarted (the run's own add); a started one is left alone. */
export async function removeUnstartedMember(ctx: StepContext, via: string, caPath: string, id: string): Promise<void> {
  const list = await ctx.exec.exec({
    namespace: ctx.controlPlaneNamespace,
    pod: via,
    container: Etcd.container,
    command: etcdctl({ caPath }, Etcd.localEndpoint, 'member', 'list', '-w', 'json'),
  });
  const mine = parseMemberList(list.stdout)?.members.find((m) => m.id === id);
  if (!mine || mine.name) return;
  const r = await ctx.exec.exec({
    namespace: ctx.controlPlaneNamespace,
    pod: via,
    container: Etcd.container,
    command: etcdctl({ caPath }, Etcd.localEndpoint, 'member', 'remove', id),
  });
  if (r.exitCode !== 0 && !/member not found/i.test(r.stderr)) throw new RemoteError(`failed to remove member ${id}: ${r.stderr.trim()}`);
}

/** Deletes the member's PVC and then its pod, each only while it is the object seen before the run. */
export async function replaceStorage(
  ctx: StepContext,
  member: string,
  uids: { pvcUid?: string | undefined; podUid?: string | undefined },
): Promise<string[]> {
  const { pvc, pod } = objectsOf(member);
  const actions: string[] = [];
  const ns = ctx.controlPlaneNamespace;
  const current = await ctx.api.get(Resources.persistentVolumeClaim, ns, pvc);
  if (current && !current.metadata.deletionTimestamp && (uids.pvcUid === undefined || current.metadata.uid === uids.pvcUid)) {
    await ignoreGone(ctx.api.delete(Resources.persistentVolumeClaim, ns, pvc));
    actions.push(`deleted PVC ${pvc} (it goes once the pod is gone: kubernetes.io/pvc-protection)`);
  }
  const currentPod = await ctx.api.get(Resources.pod, ns, pod);
  if (currentPod && !currentPod.metadata.deletionTimestamp && (uids.podUid === undefined || currentPod.metadata.uid === uids.podUid)) {
    await ignoreGone(ctx.api.delete(Resources.pod, ns, pod));
    actions.push(`deleted pod ${pod}`);
  }
  return actions;
}

async function ignoreGone(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
  }
}

export interface Rejoined {
  gathered: GatheredEtcd;
  verdict: Verdict;
  memberId: string;
}

/**
 * Waits until the member runs on new storage (PVC and pod with other UIDs than before), is back
 * in the member list under its name with a new ID (when it had one) and the whole cluster is
 * Healthy: member count equal to replicas, every member healthy, hashkv agreeing, no alarms.
 */
export async function waitRejoined(
  ctx: StepContext,
  member: string,
  before: { memberId?: string | undefined; pvcUid?: string | undefined; podUid?: string | undefined },
): Promise<Rejoined> {
  const { pvc, pod } = objectsOf(member);
  let last: Rejoined | undefined;
  let why = 'not checked yet';
  try {
    await waitUntil({ ...ctx, timeoutMs: ctx.waitTimeoutMs }, `member ${member} to rejoin on a new volume`, async () => {
      const [newPvc, newPod] = await Promise.all([
        ctx.api.get(Resources.persistentVolumeClaim, ctx.controlPlaneNamespace, pvc),
        ctx.api.get(Resources.pod, ctx.controlPlaneNamespace, pod),
      ]);
      if (!newPvc || newPvc.metadata.deletionTimestamp || newPvc.metadata.uid === before.pvcUid)
        return notYet(`PVC ${pvc} not replaced yet`);
      if (!newPod || newPod.metadata.deletionTimestamp || newPod.metadata.uid === before.podUid)
        return notYet(`pod ${pod} not recreated yet`);
      const gathered = await gatherEtcd({
        api: ctx.api,
        exec: ctx.exec,
        controlPlaneNamespace: ctx.controlPlaneNamespace,
        expectedReplicas: 3,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const verdict = judge(gathered.facts);
      const m = gathered.facts.members.find((x) => x.name === member);
      if (!m) return notYet(`${member} not in the member list yet`);
      if (before.memberId !== undefined && m.id === before.memberId) return notYet(`${member} still has its old member ID ${m.id}`);
      // reset-member adds voting members only; a learner here was added by someone else.
      if (m.isLearner) return notYet(`${member} is a learner (etcdctl member promote ${m.id})`);
      last = { gathered, verdict, memberId: m.id };
      return verdict.state === 'Healthy' || notYet(`etcd is ${verdict.state}: ${verdict.reason}`);
    });
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    throw new RemoteError(`member ${member} has not rejoined: ${why}`, { cause: err });
  }
  return last as Rejoined;

  function notYet(reason: string): false {
    why = reason;
    return false;
  }
}

/** The checks the result reports; all must hold (waitRejoined already waited for them). */
export function verifyRecovered(r: Rejoined): { check: string; ok: boolean }[] {
  const { facts } = r.gathered;
  const hashes = new Set(facts.members.map((m) => (m.hash ? `${m.hash.revision}:${m.hash.hash}` : 'none')));
  return [
    { check: `member count ${facts.members.length} equals replicas ${facts.replicas}`, ok: facts.members.length === facts.replicas },
    { check: `every member healthy`, ok: facts.members.every((m) => m.health?.healthy === true) },
    { check: `hashkv agrees across ${facts.members.length} members`, ok: hashes.size === 1 && !hashes.has('none') },
    { check: `no alarms`, ok: facts.alarms.length === 0 },
  ];
}
