/**
 * Set-up for tests that break etcd on purpose before running a command: wait until the world shows
 * what the kill did, without asking `etcd status`. A kill (sb.etcd.kill / wipe) returns once the
 * member's process has exited, and the sandbox's StatefulSet controller marks that pod unready at
 * the exit; when the survivors keep a quorum and the dead member led, they elect a new leader first
 * (500 ms election timeout here), and a command run meanwhile sees no leader. The verdict itself
 * (Degraded, QuorumLost) is etcd-status.test.ts's subject; asking for it before each case waits out
 * the probes' timeouts on the dead members (2-5 s a run).
 */
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { SimObject } from '../sandbox/api/types.ts';
import { waitFor } from './wait.ts';

const PODS = { group: '', version: 'v1', plural: 'pods' };

const isReady = (pod: SimObject) =>
  ((pod['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );

/** How many of the seeded hosted cluster's etcd member pods (etcd-N) are Ready in the API. */
export function readyEtcdPods(sb: Sandbox): number {
  return sb.sim.store.list(PODS, sb.controlPlaneNamespace).filter((p) => /^etcd-\d+$/.test(p.metadata.name) && isReady(p)).length;
}

/**
 * After members of the seeded hosted cluster were killed: with a quorum left, waits until the running
 * members answer /health (a leader again) and exactly their pods are Ready; without one, until no more
 * pods than running members are Ready.
 */
export async function waitForKilledMembers(sb: Sandbox, timeoutMs = 90_000): Promise<void> {
  const running = Array.from({ length: sb.etcd.size }, (_, i) => i).filter((i) => sb.etcd.isRunning(i));
  const quorum = running.length > sb.etcd.size / 2;
  if (quorum) await sb.etcd.waitHealthy(running, timeoutMs);
  await waitFor(
    `${running.length} etcd pods Ready (now ${readyEtcdPods(sb)})`,
    () => (quorum ? readyEtcdPods(sb) === running.length : readyEtcdPods(sb) <= running.length),
    timeoutMs,
  );
}
