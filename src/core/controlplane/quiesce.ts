/**
 * Quiescing a hosted control plane: pausing reconciliation and scaling deployments (the API
 * servers that write to etcd, by default), and undoing both. For backup, etcd restore, member
 * recovery and move alike.
 *
 * Contract:
 *  - Every function is idempotent ("ensure" semantics), so rollback and `resume` can call
 *    them any number of times.
 *  - A pause is an RFC3339 deadline, never "true": if hcp-dr dies, reconciliation resumes by
 *    itself. startPause renews it every third of its lifetime while the run holds its record.
 *  - Scaling waits for the pause to reach the HostedControlPlane first (the control-plane
 *    operator would scale back otherwise, hypershift-domain.md §3.9): callers pause, then scale.
 *  - Unpausing writes JSON null (removes the field); "" and "null" are rejected by the CRD.
 *  - Waits end at ctx.waitTimeoutMs (RemoteError) and stop early when ctx.stillHeld throws.
 */
import { causeText, PreconditionError } from '../errors.ts';
import { ETCD_WRITER_DEPLOYMENTS, Resources, type KubeObject } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';
import { waitUntil } from './wait.ts';

export interface QuiesceContext {
  api: KubeApi;
  clock: Clock;
  reporter: Reporter;
  namespace: string;
  name: string;
  controlPlaneNamespace: string;
  signal?: AbortSignal;
  /** How long to wait for the pause to reach the HostedControlPlane and for scaling to settle. */
  waitTimeoutMs: number;
  /** Throws when the run no longer holds its operation record (resume ran): checked at every wait. */
  stillHeld?: (() => Promise<void>) | undefined;
}

/** The quiesce context of a workflow context that names its control-plane namespace `cpNamespace`. */
export function quiesceContextOf(ctx: {
  api: KubeApi;
  clock: Clock;
  reporter: Reporter;
  namespace: string;
  name: string;
  cpNamespace: string;
  waitTimeoutMs: number;
  signal?: AbortSignal | undefined;
}): QuiesceContext {
  return {
    api: ctx.api,
    clock: ctx.clock,
    reporter: ctx.reporter,
    namespace: ctx.namespace,
    name: ctx.name,
    controlPlaneNamespace: ctx.cpNamespace,
    waitTimeoutMs: ctx.waitTimeoutMs,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

/** An RFC3339 deadline: if hcp-dr dies, reconciliation resumes by itself when it passes. */
export function pauseDeadline(now: Date, ttlMs: number): string {
  return new Date(now.getTime() + ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function setPausedUntil(ctx: QuiesceContext, value: string | null): Promise<void> {
  // JSON null removes the field; "" and "null" are rejected by the CRD.
  await ctx.api.mergePatch(Resources.hostedCluster, ctx.namespace, ctx.name, { spec: { pausedUntil: value } });
}

export interface Pause {
  /** The deadline written first. */
  readonly deadline: string;
  /** Stops renewing (idempotent). Does not unpause: restorePausedUntil does. */
  stop(): void;
}

/**
 * Pauses with a deadline `ttlMs` ahead, renews it every ttlMs/3 while ctx.stillHeld passes,
 * and waits until the HostedControlPlane carries it. On a failed wait the renewal is stopped
 * before the error surfaces; the pause itself is the caller's to undo.
 */
export async function startPause(ctx: QuiesceContext, ttlMs: number): Promise<Pause> {
  const deadline = pauseDeadline(ctx.clock.now(), ttlMs);
  await setPausedUntil(ctx, deadline);
  // Renewed only while the record is ours: a `resume` run meanwhile lifted the pause for good.
  const renewal = setInterval(
    () =>
      void Promise.resolve(ctx.stillHeld?.())
        .then(() => setPausedUntil(ctx, pauseDeadline(ctx.clock.now(), ttlMs)))
        .catch(() => undefined),
    ttlMs / 3,
  );
  renewal.unref();
  const pause: Pause = { deadline, stop: () => clearInterval(renewal) };
  try {
    await waitForPausePropagation(ctx, deadline);
  } catch (err) {
    pause.stop();
    throw err;
  }
  return pause;
}

/**
 * Waits until the HyperShift operator has copied spec.pausedUntil (a value, or its absence as
 * null) to the HostedControlPlane: until then the control-plane operator still acts on the old one.
 */
export async function waitForPausePropagation(ctx: QuiesceContext, value: string | null): Promise<void> {
  await poll(ctx, `spec.pausedUntil to reach HostedControlPlane "${ctx.controlPlaneNamespace}/${ctx.name}"`, async () => {
    const hcp = await ctx.api.get(Resources.hostedControlPlane, ctx.controlPlaneNamespace, ctx.name);
    if (!hcp) return true; // Nothing to propagate to: no control-plane operator reconciles it.
    return ((hcp['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ?? null) === value;
  });
}

/** Restores spec.pausedUntil and waits for it to reach the HostedControlPlane. */
export async function restorePausedUntil(ctx: QuiesceContext, value: string | null): Promise<void> {
  await setPausedUntil(ctx, value);
  await waitForPausePropagation(ctx, value);
}

/**
 * Current spec.replicas of each named deployment (the API servers by default); a missing one is
 * a precondition failure with `missingHint`.
 */
export async function readReplicas(
  ctx: Pick<QuiesceContext, 'api' | 'controlPlaneNamespace'>,
  names: readonly string[] = ETCD_WRITER_DEPLOYMENTS,
  missingHint = 'the control plane looks incomplete',
): Promise<Record<string, number>> {
  const replicas: Record<string, number> = {};
  for (const name of names) {
    const deployment = await ctx.api.get(Resources.deployment, ctx.controlPlaneNamespace, name);
    if (!deployment)
      throw new PreconditionError(`failed to find deployment "${name}" in namespace "${ctx.controlPlaneNamespace}"`, { hint: missingHint });
    replicas[name] = specReplicas(deployment);
  }
  return replicas;
}

/**
 * The entries of `replicas` whose deployment is not at that count now: a rollback scales back only
 * those, so a run that failed before scaling anything needs no scale permission to undo nothing.
 */
export async function replicasToRestore(
  ctx: Pick<QuiesceContext, 'api' | 'controlPlaneNamespace'>,
  replicas: Record<string, number>,
): Promise<Record<string, number>> {
  const current = await readReplicas(ctx, Object.keys(replicas));
  return Object.fromEntries(Object.entries(replicas).filter(([name, count]) => current[name] !== count));
}

/** Scales the deployments together: every millisecond here is API downtime. */
export async function scaleDeployments(ctx: QuiesceContext, replicas: Record<string, number>): Promise<void> {
  await Promise.all(
    Object.entries(replicas).map(([name, count]) =>
      ctx.api.mergePatch(Resources.deployment, ctx.controlPlaneNamespace, name, { spec: { replicas: count } }, 'scale'),
    ),
  );
}

/** Waits until every listed deployment runs exactly the wanted number of ready pods. */
export async function waitForDeployments(ctx: QuiesceContext, replicas: Record<string, number>): Promise<void> {
  const names = Object.keys(replicas);
  await poll(ctx, `deployments ${names.join(', ')} to reach their replicas`, async () => {
    for (const name of names) {
      const d = await ctx.api.get(Resources.deployment, ctx.controlPlaneNamespace, name);
      const status = (d?.['status'] ?? {}) as { replicas?: number; readyReplicas?: number };
      const want = replicas[name] ?? 0;
      if (!d || specReplicas(d) !== want) return false;
      if (want === 0 ? (status.replicas ?? 0) !== 0 : (status.readyReplicas ?? 0) < want) return false;
    }
    return true;
  });
}

function specReplicas(deployment: KubeObject): number {
  const replicas = (deployment['spec'] as { replicas?: number } | undefined)?.replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

function poll(ctx: QuiesceContext, what: string, done: () => Promise<boolean>): Promise<void> {
  return waitUntil(
    { clock: ctx.clock, reporter: ctx.reporter, signal: ctx.signal, timeoutMs: ctx.waitTimeoutMs, check: ctx.stillHeld },
    what,
    done,
  );
}

/**
 * Undoes a pause and a scale-down from their recorded undo data (resume after a crash): the
 * recorded replicas of the `allowed` deployments, then spec.pausedUntil. Each action is tried
 * even if another fails; returns what was done and what failed, one sentence each.
 */
export async function undoQuiesce(
  ctx: QuiesceContext,
  record: { previousPausedUntil: string | null | undefined; previousReplicas: Record<string, number> | undefined },
  allowed: readonly string[] = ETCD_WRITER_DEPLOYMENTS,
): Promise<{ actions: string[]; failures: string[] }> {
  const actions: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, action: () => Promise<void>) => {
    try {
      await action();
      actions.push(what);
    } catch (err) {
      failures.push(`${what}: ${causeText(err)}`);
    }
  };
  if (record.previousReplicas) {
    // Only deployments hcp-dr scales, with sane counts: the annotation is user-editable.
    const replicas = Object.fromEntries(
      Object.entries(record.previousReplicas).filter(([d, n]) => allowed.includes(d) && Number.isInteger(n) && n >= 0),
    );
    await attempt(
      `scaled ${Object.entries(replicas)
        .map(([d, n]) => `${d} to ${n}`)
        .join(', ')}`,
      () => scaleDeployments(ctx, replicas),
    );
  }
  if (record.previousPausedUntil !== undefined) {
    const value = record.previousPausedUntil;
    await attempt(value === null ? 'removed spec.pausedUntil' : `restored spec.pausedUntil to "${value}"`, () =>
      restorePausedUntil(ctx, value),
    );
  }
  return { actions, failures };
}
