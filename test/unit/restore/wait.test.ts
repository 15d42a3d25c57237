import { describe, expect, it } from 'vitest';
import { Resources, type KubeObject } from '../../../src/core/model.ts';
import { waitForRestore } from '../../../src/core/restore/wait.ts';
import { FakeKube, FakeLogs } from '../../support/fakes/kube.ts';
import { FakeClock, memoryReporter } from '../../support/fakes/clock.ts';

const hcp = (conditions: unknown[]): KubeObject => ({
  apiVersion: 'hypershift.openshift.io/v1beta1',
  kind: 'HostedControlPlane',
  metadata: { name: 'demo', namespace: 'clusters-demo' },
  status: { conditions },
});
const pod = (name: string, initExit?: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'clusters-demo', labels: { app: 'etcd' } },
  status: {
    phase: initExit ? 'Pending' : 'Running',
    initContainerStatuses:
      initExit === undefined ? [] : [{ name: 'etcd-init', restartCount: 0, state: { terminated: { exitCode: initExit } } }],
  },
});

function world() {
  const kube = new FakeKube();
  const logs = new FakeLogs();
  const clock = new FakeClock();
  const reporter = memoryReporter();
  const ctx = {
    api: kube,
    logs,
    clock,
    reporter,
    namespace: 'clusters',
    name: 'demo',
    controlPlaneNamespace: 'clusters-demo',
    replicas: 3,
    timeoutMs: 60_000,
    rerun: 'hcp-dr restore s3://b/p/',
  };
  return { kube, logs, clock, reporter, ctx };
}

describe('waitForRestore', () => {
  it("reports progress through the operator's steps and returns on EtcdSnapshotRestored=True", async () => {
    const { kube, clock, reporter, ctx } = world();
    let tick = 0;
    clock.onSleep = () => {
      tick++;
      if (tick === 2) kube.put(Resources.hostedControlPlane, hcp([]));
      if (tick === 4) for (const n of ['etcd-0', 'etcd-1', 'etcd-2']) kube.put(Resources.pod, pod(n));
      if (tick === 6) kube.put(Resources.hostedControlPlane, hcp([{ type: 'EtcdSnapshotRestored', status: 'True', reason: 'AsExpected' }]));
    };
    await waitForRestore(ctx);
    expect(reporter.lines).toEqual([
      'info: waiting for the HyperShift operator to create the HostedControlPlane',
      'info: HostedControlPlane created; waiting for etcd pods',
      'info: etcd pods: 3/3 running; waiting for EtcdSnapshotRestored',
      'info: EtcdSnapshotRestored=True (AsExpected)',
    ]);
  });

  it('diagnoses a failed etcd-init from its log: an expired URL, with --replace as the next step', async () => {
    const { kube, logs, ctx } = world();
    kube.put(Resources.hostedControlPlane, hcp([{ type: 'EtcdSnapshotRestored', status: 'False', reason: 'Error' }]));
    kube.put(Resources.pod, pod('etcd-0', 1));
    logs.logs.set(
      'clusters-demo/etcd-0/etcd-init',
      '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
    );
    const err = (await waitForRestore(ctx).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err.message).toMatch(/etcd-init in clusters-demo\/etcd-0 failed.*expired/);
    expect(err.hint).toMatch(/--replace/);
  });

  it('sees a failed init container before the condition flips, and reads a hash mismatch', async () => {
    const { kube, logs, ctx } = world();
    kube.put(Resources.hostedControlPlane, hcp([]));
    kube.put(Resources.pod, pod('etcd-1', 1));
    logs.logs.set('clusters-demo/etcd-1/etcd-init', 'Error: snapshot file integrity check failed (sha256 mismatch)');
    await expect(waitForRestore(ctx)).rejects.toThrow(/SHA-256 integrity check/);
  });

  it('names a member that crash-loops after the restore, and says where its log is when the wait gives up', async () => {
    const { kube, clock, reporter, ctx } = world();
    kube.put(Resources.hostedControlPlane, hcp([]));
    for (const n of ['etcd-0', 'etcd-2'])
      kube.put(Resources.pod, { ...pod(n), status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    const looping = (restarts: number): KubeObject => ({
      ...pod('etcd-1'),
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [{ name: 'etcd', restartCount: restarts, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      },
    });
    kube.put(Resources.pod, looping(1));
    let tick = 0;
    clock.onSleep = () => {
      if (++tick === 2) kube.put(Resources.pod, looping(2));
    };
    const err = (await waitForRestore({ ...ctx, timeoutMs: 2000 }).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(reporter.lines).toEqual([
      'info: etcd pods: 3/3 running (etcd-1: etcd CrashLoopBackOff, 1 restart); waiting for EtcdSnapshotRestored',
      'info: etcd pods: 3/3 running (etcd-1: etcd CrashLoopBackOff, 2 restarts); waiting for EtcdSnapshotRestored',
    ]);
    expect(err.message).toContain('(etcd pods: 3/3 running (etcd-1: etcd CrashLoopBackOff, 2 restarts); waiting for EtcdSnapshotRestored)');
    expect(err.hint).toMatch(/^"kubectl logs -n clusters-demo etcd-1 -c etcd" says why etcd-1 is not ready; .*resume demo -n clusters/);
  });

  it('gives up at the deadline with resume as the way on', async () => {
    const { ctx } = world();
    const err = (await waitForRestore({ ...ctx, timeoutMs: 2000 }).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err.message).toMatch(/not restored after 2s/);
    expect(err.hint).toMatch(/resume demo -n clusters/);
  });
});
