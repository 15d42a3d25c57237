/**
 * The operation runner against a stateful in-memory record store: definitions that break the
 * contract are refused; a run records each phase before it runs; before the point of no return
 * a failure or an interrupt undoes from the running phase down and releases the record; after
 * it the record stays and the error names the resume; resume goes on or rolls back from the
 * record alone.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode, InternalError, PreconditionError, RemoteError, type HcpDrError } from '../../../../src/core/errors.ts';
import type { EtcdRestoreOperation, RecoverMemberOperation } from '../../../../src/core/operation/record.ts';
import { resumeWorkflow, runWorkflow, type OperationStore, type RunnerIO } from '../../../../src/core/operation/runner.ts';
import { defineWorkflow, type ChangePhase, type Phase } from '../../../../src/core/operation/workflow.ts';

type Op = EtcdRestoreOperation;
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** A record store that is one slot, like the annotation: a second acquire is refused. */
class MemoryStore implements OperationStore<'etcd-restore'> {
  record: Op | undefined;
  readonly writes: string[] = [];
  failRelease = false;
  async acquire(op: Op) {
    if (this.record) throw new PreconditionError('locked');
    this.record = op;
    this.writes.push(`acquire ${op.phase}`);
  }
  async write(op: Op) {
    if (!this.record) throw new InternalError('write without the lock');
    this.record = op;
    this.writes.push(op.phase);
  }
  async release() {
    if (this.failRelease) throw new RemoteError('API unreachable');
    this.record = undefined;
    this.writes.push('release');
  }
}

const CHANGES = ['paused', 'scaled-down', 'helpers', 'copied', 'restoring', 'restored', 'etcd-started', 'verified'] as const;
type Name = (typeof CHANGES)[number];

interface World {
  log: string[];
  failIn?: Name;
  failUndoIn?: Name;
  abortAfter?: Name;
  controller?: AbortController;
  checkFails?: boolean;
}

function changePhase(name: Name, world: World, ponr: boolean): ChangePhase<'etcd-restore', World> {
  return {
    kind: 'change',
    name,
    async run(w, run) {
      w.log.push(`run ${name}@${run.operation.phase}`);
      if (w.failIn === name) throw new RemoteError(`${name} broke`);
      if (w.abortAfter === name) w.controller?.abort();
    },
    ...(ponr || CHANGES.indexOf(name) > CHANGES.indexOf('etcd-started')
      ? { pointOfNoReturn: name === 'etcd-started' ? (true as const) : undefined }
      : {
          async undo(w: World) {
            w.log.push(`undo ${name}`);
            if (w.failUndoIn === name) throw new RemoteError(`undo of ${name} broke`);
            return `undid ${name}`;
          },
        }),
  };
}

function etcdRestore(world: World) {
  const phases: Phase<'etcd-restore', World>[] = [
    {
      kind: 'check',
      name: 'plan',
      async run(w) {
        w.log.push('check');
        if (w.checkFails) throw new PreconditionError('the snapshot is gone');
      },
    },
    ...CHANGES.map((n) => changePhase(n, world, n === 'etcd-started')),
  ];
  return defineWorkflow({ type: 'etcd-restore', what: 'etcd restore', phases });
}

const op = (phase: Op['phase'] = 'started'): Op => ({ id: 'op-1', type: 'etcd-restore', startedAt: '2026-12-07T00:00:00Z', phase });

function io(store: MemoryStore, world: World, steps: string[] = []): RunnerIO<'etcd-restore'> {
  let t = 0;
  return {
    store,
    reporter: quiet,
    clock: { now: () => new Date((t += 1000)), sleep: async () => undefined },
    signal: world.controller?.signal,
    step: (s) => steps.push(s),
    resumeCommand: 'kubectl hcp-dr resume demo -n clusters',
  };
}

async function failure(p: Promise<unknown>): Promise<HcpDrError> {
  try {
    await p;
  } catch (err) {
    return err as HcpDrError;
  }
  throw new Error('expected a failure');
}

describe('defineWorkflow', () => {
  const change = (name: string, extra: object = {}) => ({ kind: 'change', name, run: async () => undefined, ...extra });
  const check = { kind: 'check', name: 'look', run: async () => undefined };
  const recover = (phases: unknown[]) => () => defineWorkflow({ type: 'recover-member', what: 'x', phases: phases as never });

  it('accepts the record phases in order, checks first', () => {
    const w = recover([check, change('member-added'), change('storage-replaced', { pointOfNoReturn: true }), change('rejoined')])();
    expect(w.changes.map((p) => p.name)).toEqual(['member-added', 'storage-replaced', 'rejoined']);
    expect(w.pointOfNoReturn).toBe(1);
  });
  it('refuses a check after a change', () => {
    expect(recover([change('member-added'), check, change('storage-replaced')])).toThrow(/check "look" runs after the first change/);
  });
  it('refuses phases that differ from the record table', () => {
    expect(recover([change('storage-replaced'), change('member-added')])).toThrow(/differ from the record's/);
    expect(recover([change('member-added')])).toThrow(/differ from the record's/);
  });
  it('refuses an undo at or after the point of no return, and two points of no return', () => {
    const undo = async () => undefined;
    expect(recover([change('member-added'), change('storage-replaced', { pointOfNoReturn: true }), change('rejoined', { undo })])).toThrow(
      /has an undo/,
    );
    expect(
      recover([
        change('member-added', { pointOfNoReturn: true }),
        change('storage-replaced', { pointOfNoReturn: true }),
        change('rejoined'),
      ]),
    ).toThrow(/more than one point of no return/);
  });
});

describe('runWorkflow', () => {
  it('runs checks, locks, records each phase before it runs, and releases', async () => {
    const world: World = { log: [] };
    const store = new MemoryStore();
    const steps: string[] = [];
    const outcome = await runWorkflow(etcdRestore(world), world, op(), io(store, world, steps));
    expect(world.log.slice(0, 3)).toEqual(['check', 'run paused@paused', 'run scaled-down@scaled-down']);
    expect(store.writes).toEqual(['acquire started', ...CHANGES, 'release']);
    expect(store.record).toBeUndefined();
    expect(steps).toEqual(['locked', ...CHANGES]);
    expect(outcome.phases.map((p) => p.phase)).toEqual(['plan', ...CHANGES]);
    expect(outcome.phases.every((p) => p.seconds > 0)).toBe(true);
  });

  it('changes nothing when a check fails', async () => {
    const world: World = { log: [], checkFails: true };
    const store = new MemoryStore();
    const err = await failure(runWorkflow(etcdRestore(world), world, op(), io(store, world)));
    expect(err.exitCode).toBe(ExitCode.precondition);
    expect(store.writes).toEqual([]);
  });

  it('before the point of no return undoes from the failing phase down, releases, and keeps the exit code', async () => {
    const world: World = { log: [], failIn: 'copied' };
    const store = new MemoryStore();
    const err = await failure(runWorkflow(etcdRestore(world), world, op(), io(store, world)));
    expect(err.exitCode).toBe(ExitCode.error);
    expect(err.message).toMatch(/^copied broke; rolled back \(undid copied; undid helpers; undid scaled-down; undid paused\)$/);
    expect(world.log.filter((l) => l.startsWith('undo'))).toEqual(['undo copied', 'undo helpers', 'undo scaled-down', 'undo paused']);
    expect(store.record).toBeUndefined();
  });

  it('an interrupt before the point of no return rolls back and exits 130', async () => {
    const world: World = { log: [], abortAfter: 'helpers', controller: new AbortController() };
    const store = new MemoryStore();
    const err = await failure(runWorkflow(etcdRestore(world), world, op(), io(store, world)));
    expect(err.exitCode).toBe(ExitCode.interrupted);
    expect(err.message).toMatch(/^etcd restore interrupted; rolled back \(undid helpers;/);
    expect(world.log).not.toContain('run copied@copied');
    expect(store.record).toBeUndefined();
  });

  it('an undo that fails stops the rollback, keeps the record at the phase and names the resume (exit 5)', async () => {
    const world: World = { log: [], failIn: 'copied', failUndoIn: 'helpers' };
    const store = new MemoryStore();
    const err = await failure(runWorkflow(etcdRestore(world), world, op(), io(store, world)));
    expect(err.exitCode).toBe(ExitCode.partialFailure);
    expect(err.message).toBe('etcd restore failed: copied broke; and the rollback failed: helpers: undo of helpers broke');
    expect((err as { hint?: string }).hint).toBe('undo what is left with: kubectl hcp-dr resume demo -n clusters');
    expect(world.log).not.toContain('undo scaled-down');
    expect(store.record?.phase).toBe('copied');
  });

  it('a release that fails after the undos keeps the record (exit 5)', async () => {
    const world: World = { log: [], failIn: 'paused' };
    const store = new MemoryStore();
    store.failRelease = true;
    const err = await failure(runWorkflow(etcdRestore(world), world, op(), io(store, world)));
    expect(err.exitCode).toBe(ExitCode.partialFailure);
    expect(err.message).toMatch(/rollback failed: remove the operation record: API unreachable/);
    expect(store.record?.phase).toBe('paused');
  });

  it('after the point of no return keeps the record and names the resume', async () => {
    const world: World = { log: [], failIn: 'verified' };
    const store = new MemoryStore();
    const err = await failure(runWorkflow(etcdRestore(world), world, op(), io(store, world)));
    expect(err.exitCode).toBe(ExitCode.partialFailure);
    expect(err.message).toBe('etcd restore did not finish (phase verified): verified broke');
    expect((err as { hint?: string }).hint).toMatch(/past its point of no return; go on with: kubectl hcp-dr resume demo -n clusters$/);
    expect(world.log.some((l) => l.startsWith('undo'))).toBe(false);
    expect(store.record?.phase).toBe('verified');
  });

  it('an interrupt at the point of no return goes no further and keeps the record (exit 130)', async () => {
    const world: World = { log: [], abortAfter: 'etcd-started', controller: new AbortController() };
    const store = new MemoryStore();
    const err = await failure(runWorkflow(etcdRestore(world), world, op(), io(store, world)));
    expect(err.exitCode).toBe(ExitCode.interrupted);
    expect(world.log).not.toContain('run verified@verified');
    expect(store.record?.phase).toBe('etcd-started');
  });

  it('a skipped phase is neither recorded, run nor undone', async () => {
    const base = etcdRestore({ log: [] });
    const skipHelpers = base.changes.map((p) => (p.name === 'helpers' ? { ...p, skip: () => true } : p));
    const wf = defineWorkflow({ ...base, phases: [...base.checks, ...skipHelpers] });
    const world: World = { log: [], failIn: 'copied' };
    const store = new MemoryStore();
    await failure(runWorkflow(wf, world, op(), io(store, world)));
    expect(store.writes).toEqual(['acquire started', 'paused', 'scaled-down', 'copied', 'release']);
    expect(world.log).not.toContain('run helpers@helpers');
    expect(world.log).not.toContain('undo helpers');
    expect(() =>
      defineWorkflow({ ...base, phases: base.phases.map((p) => (p.name === 'etcd-started' ? { ...p, skip: () => true } : p)) }),
    ).toThrow(/point of no return cannot be skipped/);
  });

  it('record() writes fields and keeps the phase', async () => {
    const store = new MemoryStore();
    const world: World = { log: [] };
    const wf = defineWorkflow<'recover-member', World>({
      type: 'recover-member',
      what: 'recover-member',
      phases: [
        { kind: 'change', name: 'member-added', run: async (_s, run) => run.record({ addedMemberId: 'abc' }) },
        {
          kind: 'change',
          name: 'storage-replaced',
          pointOfNoReturn: true,
          run: async (_s, run) => void world.log.push(run.operation.addedMemberId ?? ''),
        },
        { kind: 'change', name: 'rejoined', run: async () => undefined },
      ],
    });
    const records: RecoverMemberOperation[] = [];
    const rstore: OperationStore<'recover-member'> = {
      acquire: async (o) => void records.push(o),
      write: async (o) => void records.push(o),
      release: async () => undefined,
    };
    await runWorkflow(
      wf,
      world,
      { id: 'x', type: 'recover-member', startedAt: '', phase: 'started' },
      { ...io(store, world), store: rstore },
    );
    expect(records.map((r) => `${r.phase}:${r.addedMemberId ?? ''}`)).toEqual([
      'started:',
      'member-added:',
      'member-added:abc',
      'storage-replaced:abc',
      'rejoined:abc',
    ]);
    expect(world.log).toEqual(['abc']);
  });
});

describe('resumeWorkflow', () => {
  it('before the point of no return rolls back from the recorded phase and releases', async () => {
    const world: World = { log: [] };
    const store = new MemoryStore();
    store.record = op('helpers');
    const outcome = await resumeWorkflow(etcdRestore(world), world, op('helpers'), io(store, world));
    expect(outcome.direction).toBe('rolled-back');
    expect(outcome.actions).toEqual(['undid helpers', 'undid scaled-down', 'undid paused']);
    expect(world.log.some((l) => l.startsWith('run'))).toBe(false);
    expect(store.record).toBeUndefined();
  });

  it('after the point of no return goes forward from the recorded phase, running it again', async () => {
    const world: World = { log: [] };
    const store = new MemoryStore();
    store.record = op('etcd-started');
    const outcome = await resumeWorkflow(etcdRestore(world), world, op('etcd-started'), io(store, world));
    expect(outcome.direction).toBe('forward');
    expect(world.log).toEqual(['run etcd-started@etcd-started', 'run verified@verified']);
    expect(store.record).toBeUndefined();
  });

  it('with recheck goes forward when the checks pass, and undoes with the reason when they do not', async () => {
    const base = etcdRestore({ log: [] });
    const wf = defineWorkflow({ ...base, resumeBeforePointOfNoReturn: 'recheck' as const });
    const world: World = { log: [] };
    const store = new MemoryStore();
    store.record = op('copied');
    await resumeWorkflow(wf, world, op('copied'), io(store, world));
    expect(world.log.slice(0, 2)).toEqual(['check', 'run copied@copied']);
    expect(store.record).toBeUndefined();

    const failing: World = { log: [], checkFails: true };
    const again = new MemoryStore();
    again.record = op('copied');
    const err = await failure(resumeWorkflow(wf, failing, op('copied'), io(again, failing)));
    expect(err.exitCode).toBe(ExitCode.precondition);
    expect(err.message).toMatch(
      /undid it \(undid copied; undid helpers; undid scaled-down; undid paused\), because a check no longer passes: the snapshot is gone/,
    );
    expect(again.record).toBeUndefined();
  });

  it('refuses a record whose phase this version does not know', async () => {
    const world: World = { log: [] };
    const err = await failure(resumeWorkflow(etcdRestore(world), world, op('teleported' as Op['phase']), io(new MemoryStore(), world)));
    expect(err.exitCode).toBe(ExitCode.precondition);
    expect(err.message).toMatch(/names phase "teleported"/);
  });
});
