/**
 * A restore is proven by its data, not by EtcdAvailable (which a split brain passes, §3.1):
 * member count equals the replicas, every member answers, hashkv agrees at one revision, the
 * revision is at least the backup's, and the key count is the backup's within what the control
 * plane writes at start-up. Reuses `etcd status` (gather + verdict) for the membership facts.
 */
import { controlPlaneNamespace, Etcd, Resources } from '../model.ts';
import type { Clock, KubeApi, PodExec } from '../ports.ts';
import { parseEtcdJson } from './etcdctl.ts';
import { BUMP_REVISION } from './versions.ts';
import { byMemberName } from './gather.ts';
import { PodProber } from './pod-probe.ts';
import { runEtcdStatus, type EtcdStatusReport } from './status.ts';
import type { PreflightCheck, RestoreResult, RestoreState } from '../contracts/restore.ts';

/**
 * Keys the control plane may add or remove at start-up (leases, events, endpoints, ...):
 * the restored count may differ from the backup's by this many, or this fraction of it.
 */
export const KEY_TOLERANCE = { absolute: 200, fraction: 0.05 } as const;

export interface DataVerification {
  state: RestoreState;
  reason: string;
  hint: string;
  etcd: NonNullable<RestoreResult['etcd']>;
  status: EtcdStatusReport;
}

export interface VerifyDataContext {
  api: KubeApi;
  exec: PodExec;
  clock: Clock;
  namespace: string;
  name: string;
  /**
   * totalKeys: the snapshot's key-bucket entries (`snapshot status` TOTAL KEYS: every revision
   * not compacted yet, so at least the live keys); liveKeys: the live keys at the snapshot's
   * revision, when the backup recorded them.
   */
  backup: { revision: number; totalKeys: number; liveKeys?: number };
  /** The restore bumped the revision (--bump-revision): it must be at least the backup's + BUMP_REVISION. */
  bumped?: boolean;
  signal?: AbortSignal;
}

export async function verifyRestoredData(ctx: VerifyDataContext): Promise<DataVerification> {
  const [status, counted] = await Promise.all([
    runEtcdStatus(ctx.namespace, ctx.name, {
      api: ctx.api,
      exec: ctx.exec,
      clock: ctx.clock,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    }),
    countKeys(ctx),
  ]);
  const members = status.members;
  const splitBrain = status.verdict.state === 'Inconsistent' && /split brain/.test(status.verdict.reason);
  const { checks, hashRevision, revision, revisionBumped } = memberChecks(status, splitBrain, ctx);
  // Counted on a member that agrees with the others (else the members check fails anyway).
  const agreeing = members.find((m) => m.pod === counted?.pod && m.healthy && m.hash !== null && m.hashRevision === hashRevision);
  const totalKeys = agreeing && counted ? counted.keys : null;
  checks.push(keyCheck(totalKeys, ctx.backup));
  const reference = ctx.backup.liveKeys ?? ctx.backup.totalKeys;
  const keyDelta = totalKeys === null ? null : totalKeys - reference;

  const etcd: DataVerification['etcd'] = {
    replicas: status.statefulSet.replicas,
    members: members.map((m) => ({ name: m.name, id: m.id, pod: m.pod, healthy: m.healthy, revision: m.revision, hash: m.hash })),
    hashRevision,
    revision,
    revisionBumped,
    totalKeys,
    keyDelta,
    checks,
  };
  return verdictOf(status, splitBrain, etcd);
}

/** Membership, health, hashkv and revision, from `etcd status`. */
function memberChecks(status: EtcdStatusReport, splitBrain: boolean, ctx: VerifyDataContext) {
  const checks: PreflightCheck[] = [];
  const replicas = status.statefulSet.replicas;
  const members = status.members;
  checks.push(
    members.length === replicas && !splitBrain
      ? { name: 'members', ok: true, detail: `${members.length} members, as the StatefulSet wants` }
      : {
          name: 'members',
          ok: false,
          detail: splitBrain ? status.verdict.reason : `member list has ${members.length} members, the StatefulSet wants ${replicas}`,
        },
  );
  const silent = members.filter((m) => m.healthy !== true).map((m) => m.name || m.id);
  checks.push(
    silent.length === 0 && members.length > 0
      ? { name: 'health', ok: true, detail: 'every member answers' }
      : { name: 'health', ok: false, detail: members.length === 0 ? 'no member answered' : `not answering: ${silent.join(', ')}` },
  );
  const hashRevisions = new Set(members.map((m) => m.hashRevision));
  const hashes = new Set(members.map((m) => m.hash));
  const hashRevision = hashRevisions.size === 1 && hashes.size === 1 && !hashes.has(null) ? (members[0]?.hashRevision ?? null) : null;
  checks.push(
    hashRevision !== null
      ? { name: 'hashkv', ok: true, detail: `hashkv ${members[0]?.hash} on every member at revision ${hashRevision}` }
      : {
          name: 'hashkv',
          ok: false,
          detail: `hashkv differs: ${members.map((m) => `${m.name}=${m.hash ?? '?'}@${m.hashRevision ?? '?'}`).join(', ')}`,
        },
  );
  const revision = members.reduce<number | null>(
    (max, m) => (m.revision !== null && (max === null || m.revision > max) ? m.revision : max),
    null,
  );
  const floor = ctx.backup.revision + (ctx.bumped ? BUMP_REVISION : 0);
  const revisionBumped = revision !== null && revision >= ctx.backup.revision + BUMP_REVISION;
  checks.push(
    revision !== null && revision >= floor
      ? {
          name: 'revision',
          ok: true,
          detail: `revision ${revision} >= the backup's ${ctx.backup.revision}${revisionBumped ? ` + ${BUMP_REVISION} (bumped, marked compacted)` : ' (not bumped)'}`,
        }
      : {
          name: 'revision',
          ok: false,
          detail: ctx.bumped
            ? `revision ${revision ?? 'unknown'} is below the backup's ${ctx.backup.revision} + ${BUMP_REVISION}: the restore was not bumped`
            : `revision ${revision ?? 'unknown'} is below the backup's ${ctx.backup.revision}: the snapshot was not restored`,
        },
  );

  return { checks, hashRevision, revision, revisionBumped };
}

function verdictOf(status: EtcdStatusReport, splitBrain: boolean, etcd: DataVerification['etcd']): DataVerification {
  const members = status.members;
  const { hashRevision, totalKeys } = etcd;
  const failed = etcd.checks.filter((c) => !c.ok);
  if (splitBrain) {
    return {
      state: 'SplitBrain',
      reason: `split brain: ${status.verdict.reason}`,
      hint: 'each etcd pod restored the snapshot as its own one-member cluster (OCPBUGS-99534), though EtcdAvailable may be True: do not use this cluster; restore again with --replace on a HyperShift with the fix (etcd-init with --name/--initial-cluster)',
      etcd,
      status,
    };
  }
  if (failed.length) {
    const unhealthy = failed.some((c) => c.name === 'members' || c.name === 'hashkv' || c.name === 'health');
    return {
      state: unhealthy ? 'Inconsistent' : 'NotVerified',
      reason: failed.map((c) => c.detail).join('; '),
      hint: unhealthy
        ? 'the members disagree: inspect with "{cmd} etcd status" and restore again with --replace'
        : 'the restored data does not match the backup: check the backup with "{cmd} backup verify" and restore again with --replace',
      etcd,
      status,
    };
  }
  return {
    state: 'Restored',
    reason: `${members.length} members agree at revision ${hashRevision}; ${totalKeys} keys`,
    hint: '',
    etcd,
    status,
  };
}

/**
 * The restored live keys against the backup's. With the live count recorded: equal within what
 * the control plane writes at start-up. Without it (the snapshot's entry count includes
 * revisions not compacted yet): at most that count plus the start-up writes, and at least half
 * of it (a restore that did not bring the data back holds a fraction of it).
 */
export function keyCheck(restored: number | null, backup: VerifyDataContext['backup']): PreflightCheck {
  if (restored === null) return { name: 'keys', ok: false, detail: 'keys could not be counted' };
  const reference = backup.liveKeys ?? backup.totalKeys;
  const tolerance = Math.max(KEY_TOLERANCE.absolute, Math.round(reference * KEY_TOLERANCE.fraction));
  const delta = restored - reference;
  const shown = delta === 0 ? 'exactly' : `${delta > 0 ? '+' : ''}${delta}`;
  if (backup.liveKeys !== undefined) {
    return Math.abs(delta) <= tolerance
      ? { name: 'keys', ok: true, detail: `${restored} keys, the backup's ${reference} ${shown}${delta ? ` (within ${tolerance})` : ''}` }
      : { name: 'keys', ok: false, detail: `${restored} keys against the backup's ${reference} (more than ${tolerance} apart)` };
  }
  return restored <= reference + tolerance && restored >= Math.floor(reference / 2)
    ? {
        name: 'keys',
        ok: true,
        detail: `${restored} live keys; the snapshot holds ${reference} key revisions (${shown}, within -50%/+${tolerance})`,
      }
    : {
        name: 'keys',
        ok: false,
        detail: `${restored} live keys against the snapshot's ${reference} key revisions: ${restored > reference ? `more than ${tolerance} above` : 'less than half'}`,
      };
}

/**
 * The live keys of the first running etcd pod's member, counted while `etcd status` asks every
 * member (the check allows for what the control plane writes meanwhile). `--limit=1` with
 * `--keys-only` keeps the answer small while its `count` still counts the whole range
 * (RangeResponse.count); etcdctl 3.4 has no --count-only.
 */
async function countKeys(ctx: VerifyDataContext): Promise<{ pod: string; keys: number } | null> {
  const namespace = controlPlaneNamespace(ctx.namespace, ctx.name);
  const pods = await ctx.api.list(Resources.pod, namespace, { labelSelector: Etcd.podSelector });
  const running = pods
    .filter((p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running')
    .map((p) => ({ name: p.metadata.name ?? '' }))
    .sort(byMemberName);
  const pod = running[0]?.name;
  if (!pod) return null;
  const prober = new PodProber({ exec: ctx.exec, namespace, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const args = ['get', '', '--prefix', '--keys-only', '--limit=1', '-w', 'json'];
  const facts = { name: pod, phase: 'Running', ready: true, restarts: 0, waitingReason: undefined, execError: undefined };
  const answer = (await prober.probe(facts, [{ name: 'keys', endpoint: Etcd.localEndpoint, args }]))?.answers.get('keys');
  if (!answer || answer.exitCode !== 0) return null;
  try {
    const parsed = parseEtcdJson(answer.stdout) as { count?: number | string };
    const n = Number(parsed.count ?? 0);
    return Number.isFinite(n) ? { pod, keys: n } : null;
  } catch {
    return null;
  }
}
