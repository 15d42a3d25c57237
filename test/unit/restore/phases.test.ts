/**
 * The restore's phases (src/core/restore/phases.ts) against the runner and the in-memory API: the
 * record lives only in memory until the HostedCluster exists and then rides on it; a failure
 * before the point of no return leaves no record and keeps the apply's own wording; a re-run
 * takes over the record of the run that created the HostedCluster; old phase names are read.
 */
import { describe, expect, it } from 'vitest';
import { Annotations, Resources, type KubeObject } from '../../../src/core/model.ts';
import { OperationPhases } from '../../../src/core/operation/record.ts';
import { runWorkflow } from '../../../src/core/operation/runner.ts';
import { defineWorkflow } from '../../../src/core/operation/workflow.ts';
import { desiredObjects } from '../../../src/core/restore/objects.ts';
import { restoreWorkflow, type RestoreState } from '../../../src/core/restore/phases.ts';
import { preflight } from '../../../src/core/restore/preflight.ts';
import { readRestoreRecord, type RestoreRecord } from '../../../src/core/restore/record.ts';
import { resumeRestore } from '../../../src/core/restore/run-restore.ts';
import { restoreStore } from '../../../src/core/restore/store.ts';
import { FakeClock, memoryReporter } from '../../support/fakes/clock.ts';
import { FakeKube, FakeLogs } from '../../support/fakes/kube.ts';
import { hostedCluster, secret } from '../../support/fakes/objects.ts';
import { demoBundle, installOperator, URL } from './fixture.ts';

/** The change phases alone: the checks read a backup from a store, which these tests build in memory instead. */
const changes = defineWorkflow({ ...restoreWorkflow, phases: restoreWorkflow.changes });

const bundle = demoBundle();
const record = (over: Partial<RestoreRecord> = {}): RestoreRecord => ({
  id: 'new1',
  type: 'restore',
  startedAt: '2026-11-29T11:59:00.000Z',
  phase: 'started',
  backup: bundle.url,
  backupId: bundle.manifest.id,
  firstChangeAt: '2026-11-29T11:59:00.000Z',
  backupCreatedAt: bundle.manifest.createdAt,
  revision: 500,
  totalKeys: 210,
  ...over,
});

async function planned(kube: FakeKube): Promise<RestoreState> {
  installOperator(kube);
  const desired = desiredObjects(bundle, { namespace: 'clusters', name: 'demo', snapshotUrl: URL, recordAnnotations: {} });
  const pre = await preflight({ api: kube, bundle, namespace: 'clusters', name: 'demo', replace: false, snapshotUrl: URL }, desired);
  const s = {
    deps: {
      api: kube,
      exec: { exec: () => Promise.reject(new Error('no exec')) },
      logs: new FakeLogs(),
      clock: new FakeClock(),
      reporter: memoryReporter(),
    },
    startedAt: new Date('2026-11-29T12:00:00Z'),
    waitTimeoutMs: 1000,
    rerun: '{cmd} restore s3://backups/x/',
    repairFrom: { allowed: false },
    namespace: 'clusters',
    name: 'demo',
    cp: 'clusters-demo',
    bundle,
    desired,
    pre: pre.preflight,
    planned: pre.planned,
    applied: [],
    created: [],
    repair: null,
  } as unknown as RestoreState;
  s.store = restoreStore(kube, s, () => s.verification?.state === 'Restored');
  return s;
}

const hcOf = (kube: FakeKube) => kube.get(Resources.hostedCluster, 'clusters', 'demo');

/** Runs the change phases; `at` sees the cluster after each phase (the crash matrix's kill points). */
async function run(kube: FakeKube, s: RestoreState, at: (step: string, hc: KubeObject | undefined) => void) {
  const steps: Promise<void>[] = [];
  const outcome = runWorkflow(changes, s, record(), {
    store: s.store,
    reporter: s.deps.reporter,
    clock: s.deps.clock,
    step: (step) => steps.push(hcOf(kube).then((hc) => at(step, hc))),
    resumeCommand: '{cmd} resume demo -n clusters',
  });
  return outcome.finally(() => Promise.all(steps));
}

describe('restore phases', () => {
  it('are the phase table of the record, with the point of no return at the HostedCluster', () => {
    expect(['started', ...restoreWorkflow.changes.map((p) => p.name)]).toEqual([...OperationPhases.restore]);
    expect(restoreWorkflow.changes[restoreWorkflow.pointOfNoReturn]?.name).toBe('hosted-cluster');
    expect(restoreWorkflow.checks.map((c) => c.name)).toEqual(['backup', 'preflight', 'trust', 'confirm']);
  });

  it('keep the record in memory until the HostedCluster is created with it, then write each phase on it', async () => {
    const kube = new FakeKube();
    const s = await planned(kube);
    const seen: Record<string, RestoreRecord | undefined | 'no HostedCluster'> = {};
    // The HostedControlPlane never appears: the wait ends at its deadline (the fake clock jumps).
    await expect(run(kube, s, (step, hc) => (seen[step] = hc ? readRestoreRecord(hc) : 'no HostedCluster'))).rejects.toThrow(
      /not restored after 1s/,
    );
    expect(seen['namespaces']).toBe('no HostedCluster');
    expect(seen['control-plane']).toBe('no HostedCluster');
    const created = seen['hosted-cluster'] as RestoreRecord;
    expect(created.phase).toBe('hosted-cluster');
    expect(created.created).toContain('Secret clusters-demo/root-ca');
    expect(created.firstChangeAt).toBe('2026-11-29T12:00:00.000Z'); // the fake clock's time at the first create
    expect((seen['node-pools'] as RestoreRecord).phase).toBe('node-pools');
    // Past the point of no return the record stays for `resume` or a re-run.
    expect(readRestoreRecord(await hcOf(kube))?.phase).toBe('waiting');
    expect(s.applied.find((o) => o.kind === 'HostedCluster')?.action).toBe('created');
  });

  it('fail before the HostedCluster with the apply wording, no rollback note and no record anywhere', async () => {
    const kube = new FakeKube();
    const s = await planned(kube);
    // Appears between the preflight and the apply, with another key.
    kube.put(Resources.secret, secret('clusters-demo', 'root-ca', { 'tls.key': 'b3RoZXI=' }));
    const err = (await run(kube, s, () => undefined).then(
      () => new Error('no failure'),
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toMatch(/^failed to restore: cannot create Secret clusters-demo\/root-ca: .*other content.*; this run created /);
    expect(err.message).not.toMatch(/nothing was undone/);
    expect(await hcOf(kube)).toBeUndefined();
  });

  it('take over the record of the run that created the HostedCluster, and its interrupted repair', async () => {
    const kube = new FakeKube();
    const s = await planned(kube);
    const earlier = { ...record({ id: 'old1', phase: 'verifying' }), repair: { id: 'r1', reason: 'split', startedAt: 'then' } };
    const hc = desiredObjects(bundle, { namespace: 'clusters', name: 'demo', snapshotUrl: URL, recordAnnotations: {} }).find(
      (d) => d.step === 'hosted-cluster',
    )!.object;
    kube.put(Resources.hostedCluster, {
      ...hc,
      metadata: { ...hc.metadata, annotations: { ...hc.metadata.annotations, [Annotations.operation]: JSON.stringify(earlier) } },
    });
    s.pre = { ...s.pre!, resumeRecord: earlier };
    const seen: Record<string, unknown> = {};
    // No way to read the backup again (as --no-repair): the interrupted repair cannot go on.
    await expect(run(kube, s, (step, live) => (seen[step] = readRestoreRecord(live)))).rejects.toThrow(
      /a repair of its split etcd was interrupted, and this run cannot read the backup again/,
    );
    expect(seen['hosted-cluster']).toMatchObject({ id: 'old1', phase: 'verifying' });
    expect(seen['node-pools']).toMatchObject({ id: 'old1', phase: 'node-pools', repair: { id: 'r1' } });
    const kept = readRestoreRecord(await hcOf(kube)) as RestoreRecord & { repair?: { id: string } };
    expect(kept.id).toBe('old1');
    expect(kept.repair?.id).toBe('r1');
    expect(kept.phase).toBe('verifying');
    expect(s.applied.find((o) => o.kind === 'HostedCluster')?.action).toBe('exists');
  });

  it('resume goes on from the recorded phase on the HostedCluster that carries the record', async () => {
    const kube = new FakeKube();
    const s = await planned(kube);
    const earlier = { ...record({ id: 'old1', phase: 'verifying' }), repair: { id: 'r1', reason: 'split', startedAt: 'then' } };
    const hc = hostedCluster('demo', { metadata: { annotations: { [Annotations.operation]: JSON.stringify(earlier) } } });
    kube.put(Resources.hostedCluster, hc);
    const resumed = resumeRestore(hc, { ...s.deps }, 1000);
    // Without the backup's store the interrupted repair cannot go on: said so, the record kept.
    await expect(resumed).rejects.toThrow(/a repair of its split etcd was interrupted, and this run cannot read the backup again/);
    expect(readRestoreRecord(await hcOf(kube))).toMatchObject({ id: 'old1', phase: 'verifying', repair: { id: 'r1' } });
  });

  it('read the phase names of the table before the runner', () => {
    const on = (phase: string) =>
      readRestoreRecord(
        hostedCluster('demo', {
          metadata: { annotations: { [Annotations.operation]: JSON.stringify(record({ phase: phase as 'started' })) } },
        }),
      );
    expect(on('secrets')?.phase).toBe('cluster-data');
    expect(on('verified')?.phase).toBe('verifying');
    expect(on('waiting')?.phase).toBe('waiting');
  });
});
