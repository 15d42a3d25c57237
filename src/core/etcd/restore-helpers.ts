/**
 * The helper pods of `etcd restore`: one bare Pod per member, `hcp-dr-etcd-restore-<N>`, with
 * the etcd StatefulSet's image, mounting PVC data-etcd-N at /var/lib (where the etcd container
 * mounts it), doing nothing but wait for exec. Every step of the restore inside a member's
 * volume is a `sh -c` script run in that pod (sha256sum, mv, mkdir, rm, cat, etcdctl/etcdutl).
 *
 * Contract:
 *  - Pods are bare (no controller), restartPolicy Never, labelled with the operation id; a pod
 *    of another operation in the way is replaced, one of this operation is reused (resume).
 *  - They schedule where etcd may: tolerations, nodeSelector and priorityClassName are copied from
 *    the etcd StatefulSet's pod template (control-plane nodes are usually tainted and labelled, and
 *    HyperShift's etcd runs at priority class hypershift-etcd; hypershift-domain.md §1.6).
 *  - waitHelpersReady fails fast on a pod that cannot start (Failed, image pull errors,
 *    container config errors) and at the timeout on one still Pending, naming the reason.
 *  - deleteHelpers is idempotent and waits until the pods are gone (they hold the RWO volumes).
 */
import type { Readable } from 'node:stream';
import { ConflictError, NotFoundError, RemoteError, causeText } from '../errors.ts';
import { Etcd, Resources, type KubeObject } from '../model.ts';
import type { ExecResult } from '../ports.ts';
import { waitUntil } from '../controlplane/wait.ts';
import type { EtcdStepContext } from './step-context.ts';

export const HELPER_PREFIX = 'hcp-dr-etcd-restore-';
export const HELPER_CONTAINER = 'restore';
export const OPERATION_LABEL = 'hcp-dr.openshift.io/operation';
export const MEMBER_LABEL = 'hcp-dr.openshift.io/member';
const MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Waits for TERM (pod deletion) and exits at once, so the volume is released quickly. */
export const HELPER_COMMAND = ['/bin/sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"];
/** Waiting reasons of a container that will not start by waiting longer. */
const STUCK =
  /ImagePullBackOff|ErrImagePull|InvalidImageName|CreateContainerConfigError|CreateContainerError|CrashLoopBackOff|RunContainerError/;

export type HelperContext = EtcdStepContext;

export const helperName = (ordinal: number) => `${HELPER_PREFIX}${ordinal}`;

/** What a helper copies from the etcd pod template so it can run where the member's volume is reachable. */
export interface HelperScheduling {
  tolerations?: unknown[];
  nodeSelector?: Record<string, string>;
  priorityClassName?: string;
}

/** The scheduling fields of the etcd StatefulSet's pod template (absent fields stay absent). */
export function schedulingOf(statefulSet: KubeObject | undefined): HelperScheduling {
  const pod = (statefulSet?.['spec'] as { template?: { spec?: HelperScheduling } } | undefined)?.template?.spec ?? {};
  return {
    ...(Array.isArray(pod.tolerations) && pod.tolerations.length ? { tolerations: structuredClone(pod.tolerations) } : {}),
    ...(pod.nodeSelector && Object.keys(pod.nodeSelector).length ? { nodeSelector: { ...pod.nodeSelector } } : {}),
    ...(typeof pod.priorityClassName === 'string' && pod.priorityClassName ? { priorityClassName: pod.priorityClassName } : {}),
  };
}

export function helperPod(
  namespace: string,
  ordinal: number,
  image: string,
  operationId: string,
  scheduling: HelperScheduling = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: helperName(ordinal),
      namespace,
      labels: { [MANAGED_BY]: 'hcp-dr', [MEMBER_LABEL]: `etcd-${ordinal}`, [OPERATION_LABEL]: operationId },
    },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      ...scheduling,
      containers: [
        {
          name: HELPER_CONTAINER,
          image,
          command: HELPER_COMMAND,
          volumeMounts: [{ name: 'data', mountPath: Etcd.snapshotDir }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: Etcd.pvcName(ordinal) } }],
    },
  };
}

/** Creates the helper pods (reusing this operation's, replacing any other's). */
export async function createHelpers(ctx: HelperContext, replicas: number, image: string, operationId: string): Promise<void> {
  const ns = ctx.controlPlaneNamespace;
  const scheduling = schedulingOf(await ctx.api.get(Resources.statefulSet, ns, Etcd.statefulSet));
  for (let i = 0; i < replicas; i++) {
    const existing = await ctx.api.get(Resources.pod, ns, helperName(i));
    if (existing && existing.metadata.labels?.[OPERATION_LABEL] === operationId && !existing.metadata.deletionTimestamp) continue;
    if (existing) {
      await ignoreGone(ctx.api.delete(Resources.pod, ns, helperName(i)));
      await waitGone(ctx, [helperName(i)]);
    }
    await ctx.api.create(Resources.pod, ns, helperPod(ns, i, image, operationId, scheduling));
  }
}

/** Waits until every helper runs and is Ready; a pod that cannot start fails at once, one still Pending at the timeout. */
export async function waitHelpersReady(ctx: HelperContext, replicas: number): Promise<void> {
  let why = '';
  const names = Array.from({ length: replicas }, (_, i) => helperName(i));
  try {
    await waitUntil({ ...ctx, timeoutMs: ctx.waitTimeoutMs }, `helper pods ${names.join(', ')} to be Ready`, async () => {
      for (const name of names) {
        const pod = await ctx.api.get(Resources.pod, ctx.controlPlaneNamespace, name);
        const problem = podProblem(pod);
        if (problem?.fatal) throw new RemoteError(`helper pod ${name} cannot start: ${problem.text}`, { hint: helperHint(ctx, name) });
        if (problem) {
          why = `${name}: ${problem.text}`;
          return false;
        }
      }
      return true;
    });
  } catch (err) {
    if (err instanceof RemoteError && err.message.startsWith('helper pod')) throw err;
    if (ctx.signal?.aborted) throw err;
    throw new RemoteError(`helper pods did not become Ready in ${Math.round(ctx.waitTimeoutMs / 1000)}s (${why || causeText(err)})`, {
      cause: err,
      hint: helperHint(ctx, names[0] ?? ''),
    });
  }
}

function helperHint(ctx: HelperContext, name: string): string {
  return `see "kubectl describe pod ${name} -n ${ctx.controlPlaneNamespace}"; the pod needs the etcd image and its member's PVC`;
}

/** Why a pod is not Ready yet; fatal when waiting longer will not help. */
export function podProblem(pod: KubeObject | undefined): { text: string; fatal: boolean } | undefined {
  if (!pod) return { text: 'not created', fatal: true };
  if (pod.metadata.deletionTimestamp) return { text: 'being deleted', fatal: true };
  const status = (pod['status'] ?? {}) as {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      ready?: boolean;
      state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string } };
    }[];
  };
  const phase = status.phase ?? 'Pending';
  if (phase === 'Failed' || phase === 'Succeeded')
    return { text: `${phase}${status.reason ? ` (${status.reason})` : ''}${status.message ? `: ${status.message}` : ''}`, fatal: true };
  for (const c of status.containerStatuses ?? []) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && STUCK.test(waiting.reason))
      return { text: `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`, fatal: true };
    if (c.state?.terminated) return { text: `container exited (${c.state.terminated.reason ?? 'terminated'})`, fatal: true };
  }
  const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (phase === 'Running' && ready) return undefined;
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const waiting = status.containerStatuses?.[0]?.state?.waiting?.reason;
  return { text: scheduled?.message ?? `${phase}${waiting ? ` (${waiting})` : ''}`, fatal: false };
}

/** Deletes every helper pod (of any operation) and waits until they are gone. Idempotent. */
export async function deleteHelpers(ctx: HelperContext, replicas: number): Promise<void> {
  const names = Array.from({ length: replicas }, (_, i) => helperName(i));
  await Promise.all(names.map((n) => ignoreGone(ctx.api.delete(Resources.pod, ctx.controlPlaneNamespace, n))));
  await waitGone(ctx, names);
}

async function waitGone(ctx: HelperContext, names: string[]): Promise<void> {
  await waitUntil({ ...ctx, timeoutMs: ctx.waitTimeoutMs }, `pods ${names.join(', ')} to be gone`, async () => {
    for (const n of names) if (await ctx.api.get(Resources.pod, ctx.controlPlaneNamespace, n)) return false;
    return true;
  });
}

export async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
  }
}

/** Runs `sh -c script` in helper `ordinal`; `stdin` feeds it (the snapshot). */
export function helperExec(
  ctx: Pick<HelperContext, 'exec' | 'controlPlaneNamespace' | 'signal'>,
  ordinal: number,
  script: string,
  stdin?: Readable,
): Promise<ExecResult> {
  return ctx.exec.exec({
    namespace: ctx.controlPlaneNamespace,
    pod: helperName(ordinal),
    container: HELPER_CONTAINER,
    command: ['/bin/sh', '-c', script],
    ...(stdin ? { stdin } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

/** The last meaningful line of a command's stderr (etcdctl logs zap JSON: its msg and error). */
export function lastLine(text: string): string {
  const line =
    text
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .at(-1) ?? '';
  try {
    const parsed = JSON.parse(line) as { msg?: string; error?: string };
    return [parsed.msg, parsed.error].filter(Boolean).join(': ') || line;
  } catch {
    return line;
  }
}
