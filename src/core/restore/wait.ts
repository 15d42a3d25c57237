/**
 * Waits, with progress, for what the HyperShift operator does with the new HostedCluster: the
 * HostedControlPlane, the etcd pods, and the HostedControlPlane condition EtcdSnapshotRestored.
 * A failed etcd-init (condition False, or the init container exiting non-zero) is diagnosed
 * from its log: the cause in one line and the next step (restoreSnapshotURL is immutable).
 */
import { PreconditionError, RemoteError } from '../errors.ts';
import { conditionsOf, Etcd, Resources, type KubeObject } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import { diagnoseInitLog, nextStepFor, type InitDiagnosis } from './diagnose.ts';
import type { PodLogs } from '../contracts/restore.ts';

export const ETCD_INIT_CONTAINER = 'etcd-init';
const POLL_MS = 250;
/** Once every etcd pod runs, the condition is moments away: looked for more often. */
const FINAL_POLL_MS = 100;

export interface WaitContext {
  api: KubeApi;
  logs: PodLogs;
  clock: Clock;
  reporter: Reporter;
  namespace: string;
  name: string;
  controlPlaneNamespace: string;
  replicas: number;
  timeoutMs: number;
  /** The command that repeats this restore, for hints. */
  rerun: string;
  signal?: AbortSignal;
}

/** Failed etcd-init: the pod and its exit code, from the pod status. */
function failedInit(pod: KubeObject): { exitCode: number; restarts: number } | undefined {
  const statuses = ((pod['status'] as { initContainerStatuses?: unknown[] } | undefined)?.initContainerStatuses ?? []) as {
    name: string;
    restartCount?: number;
    state?: { terminated?: { exitCode?: number } };
    lastState?: { terminated?: { exitCode?: number } };
  }[];
  const init = statuses.find((s) => s.name === ETCD_INIT_CONTAINER);
  const code = init?.state?.terminated?.exitCode ?? init?.lastState?.terminated?.exitCode;
  return init && code !== undefined && code !== 0 ? { exitCode: code, restarts: init.restartCount ?? 0 } : undefined;
}

interface EtcdContainerStatus {
  name: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string } };
}

/**
 * The first running etcd pod that says it is not ready, and what its etcd container says: a member
 * that crash-loops after the restore (a port taken, a bad data directory) keeps the condition away
 * for good, and the progress line should name it rather than only count running pods.
 */
export function notReadyMember(pods: readonly KubeObject[]): { pod: string; detail: string } | undefined {
  for (const p of pods) {
    const status = p['status'] as
      { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: EtcdContainerStatus[] } | undefined;
    if (status?.phase !== 'Running' || status.conditions?.find((c) => c.type === 'Ready')?.status !== 'False') continue;
    const etcd = status.containerStatuses?.find((c) => c.name === 'etcd');
    const waiting = etcd?.state?.waiting?.reason;
    const restarts = etcd?.restartCount ?? 0;
    const detail = [
      waiting ? `etcd ${waiting}` : 'not ready',
      restarts > 0 ? `${restarts} restart${restarts === 1 ? '' : 's'}` : '',
    ].filter(Boolean);
    return { pod: p.metadata.name ?? '?', detail: detail.join(', ') };
  }
  return undefined;
}

export async function waitForRestore(ctx: WaitContext): Promise<void> {
  const deadline = ctx.clock.now().getTime() + ctx.timeoutMs;
  let last = '';
  let stuck: { pod: string; detail: string } | undefined;
  const progress = (text: string) => {
    if (text !== last) ctx.reporter.info(text);
    last = text;
  };
  for (;;) {
    let pollMs = POLL_MS;
    const hcp = await ctx.api.get(Resources.hostedControlPlane, ctx.controlPlaneNamespace, ctx.name);
    const restored = conditionsOf(hcp).find((c) => c.type === 'EtcdSnapshotRestored');
    const pods = hcp ? await ctx.api.list(Resources.pod, ctx.controlPlaneNamespace, { labelSelector: Etcd.podSelector }) : [];
    if (restored?.status === 'True') {
      progress(`EtcdSnapshotRestored=True (${restored.reason ?? 'AsExpected'})`);
      return;
    }
    const failed = pods.map((p) => ({ pod: p, init: failedInit(p) })).find((x) => x.init);
    if (restored?.status === 'False' || failed) {
      const podName = failed?.pod.metadata.name ?? pods[0]?.metadata.name;
      throw await diagnosedFailure(ctx, podName, restored?.reason, (failed?.init?.restarts ?? 0) > 0);
    }
    if (!hcp) progress('waiting for the HyperShift operator to create the HostedControlPlane');
    else {
      const running = pods.filter((p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running').length;
      if (running >= ctx.replicas) pollMs = FINAL_POLL_MS;
      stuck = notReadyMember(pods);
      progress(
        pods.length === 0
          ? 'HostedControlPlane created; waiting for etcd pods'
          : `etcd pods: ${running}/${ctx.replicas} running${stuck ? ` (${stuck.pod}: ${stuck.detail})` : ''}; waiting for EtcdSnapshotRestored`,
      );
    }
    if (ctx.clock.now().getTime() > deadline) {
      const why = stuck ? `"kubectl logs -n ${ctx.controlPlaneNamespace} ${stuck.pod} -c etcd" says why ${stuck.pod} is not ready; ` : '';
      throw new RemoteError(
        `failed to restore ${ctx.namespace}/${ctx.name}: not restored after ${Math.round(ctx.timeoutMs / 1000)}s (${last})`,
        {
          hint: `${why}the restore is recorded on the HostedCluster: finish waiting and verifying later with "{cmd} resume ${ctx.name} -n ${ctx.namespace}" or by running the same restore again`,
        },
      );
    }
    await ctx.clock.sleep(pollMs, ctx.signal);
  }
}

async function diagnosedFailure(
  ctx: WaitContext,
  pod: string | undefined,
  reason: string | undefined,
  restarted: boolean,
): Promise<PreconditionError> {
  let diagnosis: InitDiagnosis = diagnoseInitLog(undefined);
  if (pod) {
    const current = await ctx.logs.read(ctx.controlPlaneNamespace, pod, ETCD_INIT_CONTAINER).catch(() => undefined);
    const previous =
      restarted || !current
        ? await ctx.logs.read(ctx.controlPlaneNamespace, pod, ETCD_INIT_CONTAINER, { previous: true }).catch(() => undefined)
        : undefined;
    diagnosis = diagnoseInitLog(current || previous);
    if (diagnosis.kind === 'unknown' && previous) diagnosis = diagnoseInitLog(previous);
  }
  const where = pod ? `etcd-init in ${ctx.controlPlaneNamespace}/${pod}` : 'etcd-init';
  return new PreconditionError(
    `failed to restore ${ctx.namespace}/${ctx.name}: ${where} failed${reason ? ` (EtcdSnapshotRestored=False, ${reason})` : ''}: ${diagnosis.cause}${diagnosis.evidence && diagnosis.kind === 'unknown' ? ` [${diagnosis.evidence}]` : ''}`,
    { hint: nextStepFor(diagnosis, ctx.rerun) },
  );
}
