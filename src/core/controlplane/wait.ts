/**
 * Waiting for the cluster to reach a state, the one way every workflow waits: poll with a short
 * back-off (50 ms doubling to 1 s), a deadline on the injected clock, one progress line after
 * ten attempts, and an optional check run between attempts (e.g. "is my operation record still
 * mine?") that aborts the wait by throwing.
 *
 * Contract: resolves as soon as `done` answers true (checked before the deadline, so a state
 * already reached never times out); on timeout throws RemoteError "failed to wait for <what>:
 * still not there after <n>s"; the signal aborts the sleep (its reason is thrown).
 */
import { RemoteError } from '../errors.ts';
import type { Clock, Reporter } from '../ports.ts';

export interface WaitContext {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Run between attempts; throws to stop waiting (the run lost its operation record). */
  check?: (() => Promise<void>) | undefined;
}

export async function waitUntil(ctx: WaitContext, what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = ctx.clock.now().getTime() + ctx.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (await done()) return;
    await ctx.check?.();
    if (ctx.clock.now().getTime() > deadline) {
      throw new RemoteError(`failed to wait for ${what}: still not there after ${Math.round(ctx.timeoutMs / 1000)}s`);
    }
    if (attempt === 10) ctx.reporter.info(`waiting for ${what}...`);
    await ctx.clock.sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 1000), ctx.signal);
  }
}
