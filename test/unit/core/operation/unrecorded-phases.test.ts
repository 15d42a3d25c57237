/**
 * Fewer writes to the record without less safety (workflow.ts `recorded`, `records`,
 * `lockWithFirstPhase`): a phase may bring fields into its own phase write, a phase from which
 * `resume` would do nothing more than from the one before may go unrecorded, and the lock may
 * record the first phase. An unrecorded phase still runs, marks the test hook and is undone by a
 * failing run; `resume` from what a run killed at each step left undoes at least everything the
 * run may have done. The backup's definition, on the in-memory API: an online backup writes its
 * HostedCluster twice, a quiesced one three times (plus the quiesce undo data its `resumed` drops).
 */
import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../../../src/core/errors.ts';
import { Annotations, Resources } from '../../../../src/core/model.ts';
import { readOperation, type BackupOperation } from '../../../../src/core/operation/record.ts';
import { resumeWorkflow, runWorkflow } from '../../../../src/core/operation/runner.ts';
import { hostedClusterStore } from '../../../../src/core/operation/store.ts';
import { defineWorkflow, type ChangePhase, type Phase, type Workflow } from '../../../../src/core/operation/workflow.ts';
import { backupWorkflow } from '../../../../src/core/backup/phases.ts';
import type { BackupState } from '../../../../src/core/backup/state.ts';
import { FakeClock, memoryReporter } from '../../../support/fakes/clock.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';
import { hostedCluster } from '../../../support/fakes/objects.ts';

const op = (): BackupOperation => ({
  id: 'op-1',
  type: 'backup',
  startedAt: '2026-12-07T00:00:00Z',
  phase: 'started',
  toolVersion: 'test',
});

interface World {
  log: string[];
  failIn?: string;
}

/** The definition with each phase's work and undo replaced by a log line (the checks set what preflight chooses). */
function logged(definition: Workflow<'backup', BackupState>): Workflow<'backup', BackupState & World> {
  const wf = definition as unknown as Workflow<'backup', BackupState & World>;
  const phases = wf.phases.map((p) =>
    p.kind === 'check'
      ? {
          ...p,
          run: async (s: BackupState & World) => {
            s.member = 'etcd-0';
            s.snapshotPath = '/var/lib/data/op-1.db';
          },
        }
      : {
          ...p,
          run: async (s: BackupState & World) => {
            s.log.push(`run ${p.name}`);
            if (s.failIn === p.name) throw new RemoteError(`${p.name} broke`);
          },
          ...(p.undo ? { undo: async (s: BackupState & World) => void s.log.push(`undo ${p.name}`) } : {}),
        },
  ) as Phase<'backup', BackupState & World>[];
  return defineWorkflow({ ...wf, phases });
}

function world(mode: 'online' | 'quiesce', failIn?: string): BackupState & World {
  return {
    namespace: 'clusters',
    name: 'demo',
    cpNamespace: 'clusters-demo',
    id: 'op-1',
    req: { mode } as never,
    deps: {} as never,
    apiDowntimeSeconds: null,
    log: [],
    ...(failIn ? { failIn } : {}),
  };
}

/** Runs the backup's definition on the in-memory API; returns every HostedCluster write and the record at each step. */
async function backUp(mode: 'online' | 'quiesce', failIn?: string) {
  const api = new FakeKube();
  api.put(Resources.hostedCluster, hostedCluster());
  const hc = (await api.get(Resources.hostedCluster, 'clusters', 'demo'))!;
  const writes: string[] = [];
  api.onWrite = (verb, type, obj) => {
    if (type.plural !== 'hostedclusters') return;
    const raw = obj.metadata.annotations?.[Annotations.operation];
    const rec = raw === undefined ? undefined : (JSON.parse(raw) as BackupOperation);
    writes.push(rec ? `${verb} ${rec.phase}${rec.snapshotPath ? ` ${rec.member}:${rec.snapshotPath}` : ''}` : `${verb} released`);
  };
  const atStep: Record<string, BackupOperation | undefined> = {};
  const state = world(mode, failIn);
  const run = runWorkflow(logged(backupWorkflow), state, op(), {
    store: hostedClusterStore<'backup'>(api, 'clusters', 'demo', () => ({ hc, previousReplicas: {} })),
    reporter: memoryReporter(),
    clock: new FakeClock(),
    step: (name) => {
      const current = api.objects.get(FakeKube.keyOf(Resources.hostedCluster, 'clusters', 'demo'))!;
      atStep[name] = readOperation(current)?.operation as BackupOperation | undefined;
    },
    resumeCommand: 'kubectl hcp-dr resume demo -n clusters',
  });
  const error = await run.then(
    () => undefined,
    (err: unknown) => err,
  );
  return { writes, atStep, log: state.log, error, api };
}

/** `resume` from a record a killed run left: what it undoes. */
async function resumeFrom(record: BackupOperation): Promise<string[]> {
  const api = new FakeKube();
  api.put(
    Resources.hostedCluster,
    hostedCluster('demo', { metadata: { annotations: { [Annotations.operation]: JSON.stringify(record) } } }),
  );
  const state = world('online');
  delete state.req; // resume has no request: no store, no credentials
  await resumeWorkflow(logged(backupWorkflow), state, record, {
    store: hostedClusterStore<'backup'>(api, 'clusters', 'demo'),
    reporter: memoryReporter(),
    clock: new FakeClock(),
    resumeCommand: 'kubectl hcp-dr resume demo -n clusters',
  });
  return state.log;
}

describe('the backup record, written only where resume needs it', () => {
  it('an online backup writes its HostedCluster twice: the lock naming snapshotted and the file, the release', async () => {
    const { writes, log, error } = await backUp('online');
    expect(error).toBeUndefined();
    expect(writes).toEqual(['patch snapshotted etcd-0:/var/lib/data/op-1.db', 'patch released']);
    expect(log).toEqual(['run quiesced', 'run snapshotted', 'run resumed', 'run uploaded']);
  });

  it('a quiesced backup locks naming the quiesce, records the file with the snapshot, then releases', async () => {
    const { writes } = await backUp('quiesce');
    expect(writes).toEqual(['patch quiesced', 'patch snapshotted etcd-0:/var/lib/data/op-1.db', 'patch released']);
  });

  it('at every step the record names a phase from which resume undoes everything the run may have done', async () => {
    for (const mode of ['online', 'quiesce'] as const) {
      const { atStep } = await backUp(mode);
      expect(Object.keys(atStep)).toEqual(['locked', 'quiesced', 'snapshotted', 'resumed', 'uploaded']);
      const phases = Object.values(atStep).map((r) => r?.phase);
      const first = mode === 'online' ? 'snapshotted' : 'quiesced';
      expect(phases).toEqual([first, first, 'snapshotted', 'snapshotted', 'snapshotted']);
      // From the snapshot on (online: from the lock), resume removes the file and undoes the quiesce.
      for (const step of mode === 'online'
        ? ['locked', 'quiesced', 'snapshotted', 'resumed', 'uploaded']
        : ['snapshotted', 'resumed', 'uploaded']) {
        expect(atStep[step]).toMatchObject({ member: 'etcd-0', snapshotPath: '/var/lib/data/op-1.db' });
        expect(await resumeFrom(atStep[step]!)).toEqual(['undo snapshotted', 'undo quiesced']);
      }
      // A quiesced run killed before its snapshot: no file is named; the quiesce is undone.
      if (mode === 'quiesce')
        for (const step of ['locked', 'quiesced']) {
          expect(atStep[step]?.snapshotPath).toBeUndefined();
          expect(await resumeFrom(atStep[step]!)).toEqual(['undo quiesced']);
        }
    }
  });

  it('a failing unrecorded phase is still undone by the run, from itself down, and the record released', async () => {
    const { log, writes, error } = await backUp('online', 'uploaded');
    expect(String(error)).toMatch(/uploaded broke/);
    expect(log).toEqual([
      'run quiesced',
      'run snapshotted',
      'run resumed',
      'run uploaded',
      'undo uploaded',
      'undo snapshotted',
      'undo quiesced',
    ]);
    expect(writes.at(-1)).toBe('patch released');
  });
});

describe('where resume needs the record, the definition keeps it', () => {
  const change = (name: string, extra: Partial<ChangePhase<'recover-member', unknown>> = {}) => ({
    kind: 'change',
    name,
    run: async () => undefined,
    ...extra,
  });
  const recover =
    (phases: unknown[], extra: object = {}) =>
    () =>
      defineWorkflow({ type: 'recover-member', what: 'x', phases: phases as never, ...extra });

  it('at or after the point of no return, whichever unrecorded phase it is', () => {
    expect(
      recover([
        change('member-added', { recorded: false }),
        change('storage-replaced', { pointOfNoReturn: true }),
        change('rejoined', { recorded: () => false }),
      ]),
    ).toThrow(/"rejoined" may go unrecorded at or after the point of no return/);
    expect(
      recover([change('member-added'), change('storage-replaced', { pointOfNoReturn: true, recorded: false }), change('rejoined')]),
    ).toThrow(/"storage-replaced" may go unrecorded at or after the point of no return/);
  });
  it('in a workflow whose resume goes forward before the point of no return', () => {
    expect(
      recover([change('member-added', { recorded: false }), change('storage-replaced'), change('rejoined')], {
        resumeBeforePointOfNoReturn: 'recheck',
      }),
    ).toThrow(/may go unrecorded, but resume goes forward/);
  });
  it('with fields to record', () => {
    expect(
      recover([change('member-added', { recorded: () => false, records: () => ({}) }), change('storage-replaced'), change('rejoined')]),
    ).toThrow(/records fields but may go unrecorded/);
  });
  it('locks with the first phase only when that phase lies before the point of no return', async () => {
    const writes: string[] = [];
    const store = {
      acquire: async (o: { phase: string }) => void writes.push(`acquire ${o.phase}`),
      write: async (o: { phase: string }) => void writes.push(o.phase),
      release: async () => void writes.push('release'),
    };
    const io = { store, reporter: memoryReporter(), clock: new FakeClock(), resumeCommand: 'resume' };
    const op = { id: 'op-1', type: 'recover-member', startedAt: '2026-12-07T00:00:00Z', phase: 'started' } as const;
    const before = recover([change('member-added'), change('storage-replaced', { pointOfNoReturn: true }), change('rejoined')], {
      lockWithFirstPhase: true,
    })();
    await runWorkflow(before, {}, op, io);
    expect(writes.splice(0)).toEqual(['acquire member-added', 'storage-replaced', 'rejoined', 'release']);
    const at = recover(
      [change('member-added', { recorded: false }), change('storage-replaced', { pointOfNoReturn: true }), change('rejoined')],
      {
        lockWithFirstPhase: true,
      },
    )();
    await runWorkflow(at, {}, op, io);
    expect(writes).toEqual(['acquire started', 'storage-replaced', 'rejoined', 'release']);
  });
  it('accepts one before the point of no return of a workflow that rolls back', () => {
    expect(
      recover([change('member-added', { recorded: false }), change('storage-replaced', { pointOfNoReturn: true }), change('rejoined')]),
    ).not.toThrow();
  });
});
