/**
 * Pausing reconciliation and scaling the API servers that write to etcd. Every function here is
 * idempotent ("ensure" semantics), so rollback and `resume` can call them any number of times.
 */
import { PreconditionError, RemoteError } from '../errors.ts';
import { ETCD_WRITER_DEPLOYMENTS, Resources, type KubeObject } from '../model.ts';
import type { Clock, KubeApi, Reporter } from '../ports.ts';

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

/** An RFC3339 deadline: if hcp-dr dies, reconciliation resumes by itself when it passes. */
export function pauseDeadline(now: Date, ttlMs: number): string {
  return new Date(now.getTime() + ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function setPausedUntil(ctx: QuiesceContext, value: string | null): Promise<void> {
  // JSON null removes the field; "" and "null" are rejected by the CRD.
  await ctx.api.mergePatch(Resources.hostedCluster, ctx.namespace, ctx.name, { spec: { pausedUntil: value } });
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

/** Current spec.replicas of each API server deployment; a missing one is a precondition failure. */
export async function readWriterReplicas(ctx: Pick<QuiesceContext, 'api' | 'controlPlaneNamespace'>): Promise<Record<string, number>> {
  const replicas: Record<string, number> = {};
  for (const name of ETCD_WRITER_DEPLOYMENTS) {
    const deployment = await ctx.api.get(Resources.deployment, ctx.controlPlaneNamespace, name);
    if (!deployment) {
      throw new PreconditionError(`failed to find deployment "${name}" in namespace "${ctx.controlPlaneNamespace}"`, {
        hint: 'the control plane looks incomplete; use --online to back up without scaling the API servers',
      });
    }
    replicas[name] = specReplicas(deployment);
  }
  return replicas;
}

/** Scales the deployments together: every millisecond here is API downtime. */
export async function scaleWriters(ctx: QuiesceContext, replicas: Record<string, number>): Promise<void> {
  await Promise.all(
    Object.entries(replicas).map(([name, count]) => ctx.api.mergePatch(Resources.deployment, ctx.controlPlaneNamespace, name, { spec: { replicas: count } }, 'scale')),
  );
}

/** Waits until every listed deployment runs exactly the wanted number of ready pods. */
export async function waitForWriters(ctx: QuiesceContext, replicas: Record<string, number>): Promise<void> {
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

async function poll(ctx: QuiesceContext, what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = ctx.clock.now().getTime() + ctx.waitTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (await done()) return;
    await ctx.stillHeld?.();
    if (ctx.clock.now().getTime() > deadline) {
      throw new RemoteError(`failed to wait for ${what}: still not there after ${Math.round(ctx.waitTimeoutMs / 1000)}s`);
    }
    if (attempt === 10) ctx.reporter.info(`waiting for ${what}...`);
    await ctx.clock.sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 1000), ctx.signal);
  }
}
