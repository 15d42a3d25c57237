/**
 * Why the backup pauses before scaling: the HyperShift operator stand-in restores the API
 * servers' replicas while the control plane is not paused, and leaves them alone while it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_SERVERS, DEPLOYMENTS, HOSTED_CLUSTERS, HOSTED_CONTROL_PLANES, isPaused } from '../sandbox/hypershift/controllers.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { useSandboxCredentials } from '../support/sandbox-s3.ts';
import { waitFor } from '../support/wait.ts';
import { runBackup } from '../../src/core/backup/run-backup.ts';
import { newBackupId } from '../../src/core/bundle/layout.ts';
import { connectKube } from '../../src/kube/session.ts';
import { openObjectStore } from '../../src/s3/store.ts';
import { systemClock } from '../../src/core/ports.ts';

let sb: Sandbox;
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const replicas = (name: string) =>
  (sb.sim.store.get(DEPLOYMENTS, sb.controlPlaneNamespace, name)?.['spec'] as { replicas: number }).replicas;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  sb = await startSandbox({ seedKeys: 50 });
});
afterAll(async () => {
  await sb?.stop();
});

describe('HyperShift operator stand-in', () => {
  it('when not paused, it undoes a scale-down of kube-apiserver', async () => {
    sb.sim.store.mutate(
      DEPLOYMENTS,
      sb.controlPlaneNamespace,
      'kube-apiserver',
      (o) => void ((o['spec'] as Record<string, unknown>)['replicas'] = 0),
    );
    await waitFor('kube-apiserver scaled back', () => replicas('kube-apiserver') === 3, 10_000);
  });

  it('when paused (and the pause reached the HostedControlPlane), it leaves the scale-down alone', async () => {
    const until = new Date(Date.now() + 60_000).toISOString();
    sb.sim.store.mutate(HOSTED_CLUSTERS, 'clusters', 'demo', (o) => void ((o['spec'] as Record<string, unknown>)['pausedUntil'] = until));
    await waitFor(
      'the pause on the HostedControlPlane',
      () =>
        (sb.sim.store.get(HOSTED_CONTROL_PLANES, sb.controlPlaneNamespace, 'demo')?.['spec'] as { pausedUntil?: string }).pausedUntil ===
        until,
      10_000,
    );
    sb.sim.store.mutate(
      DEPLOYMENTS,
      sb.controlPlaneNamespace,
      'kube-apiserver',
      (o) => void ((o['spec'] as Record<string, unknown>)['replicas'] = 0),
    );
    await sleep(600);
    expect(replicas('kube-apiserver')).toBe(0);
    sb.sim.store.mutate(HOSTED_CLUSTERS, 'clusters', 'demo', (o) => void delete (o['spec'] as Record<string, unknown>)['pausedUntil']);
    await waitFor('kube-apiserver scaled back once unpaused', () => replicas('kube-apiserver') === 3, 10_000);
  });

  it('during a quiesced backup the API servers stay at 0 until the snapshot is taken, then come back', async () => {
    const session = await connectKube({ kubeconfig: sb.kubeconfig }, quiet);
    useSandboxCredentials(sb); // for this file's remaining tests too
    const destination = await openObjectStore({ url: `s3://${sb.s3.bucket}/pause`, endpoint: sb.s3.endpoint, pathStyle: true }, quiet);
    const seen: Record<string, number[]> = {};
    const result = await runBackup(
      { namespace: 'clusters', name: 'demo', mode: 'quiesce', destination, pauseTtlMs: 30 * 60_000, waitTimeoutMs: 30_000 },
      {
        api: session.api,
        exec: session.exec,
        clock: systemClock,
        reporter: quiet,
        toolVersion: 'test',
        newBackupId: () => newBackupId(new Date()),
        step: (name) => {
          seen[name] = API_SERVERS.map(replicas);
          if (name === 'quiesced') {
            const hcp = sb.sim.store.get(HOSTED_CONTROL_PLANES, sb.controlPlaneNamespace, 'demo');
            expect(isPaused((hcp?.['spec'] as { pausedUntil?: string }).pausedUntil, new Date())).toBe(true);
          }
        },
      },
    );
    expect(seen['quiesced']).toEqual([0, 0, 0]);
    expect(seen['snapshotted']).toEqual([0, 0, 0]);
    expect(seen['resumed']).toEqual([3, 3, 3]);
    expect(result.manifest.apiDowntimeSeconds).toBeGreaterThan(0);
  });
});
