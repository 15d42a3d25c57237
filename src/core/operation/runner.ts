/**
 * The operation runner: carries a workflow definition (workflow.ts) out, and resumes it from its
 * record. It owns what every changing command shares:
 *  - the checks, all before the first change (defineWorkflow guarantees the order);
 *  - the lock and the record: taken before the first change, each phase recorded before it runs
 *    (through an OperationStore, so a record may live on one cluster or two), with the fields the
 *    phase records in the same write, except a phase marked unrecorded (workflow.ts); the lock may
 *    carry the first phase's record (lockWithFirstPhase); released at the end;
 *  - before the point of no return, any failure or interrupt undoes the phases in reverse, from the
 *    one that was running, and releases the record; an undo that fails stops the rollback and
 *    keeps the record, so `resume` can repeat it (undos are idempotent);
 *  - from the point of no return on, failures keep the record and name the command that goes on;
 *  - the interrupt (checked between phases), error wrapping, timings, and the test hook.
 */
import { InterruptedError, PartialFailureError, PreconditionError, causeText } from '../errors.ts';
import type { Clock, Reporter } from '../ports.ts';
import type { OperationType } from './record-types.ts';
import { changeIndex, isRecorded, type OperationOf, type PhaseRun, type Workflow } from './workflow.ts';

/** Where a record lives: the lock, each phase, the release. */
export interface OperationStore<T extends OperationType> {
  acquire(operation: OperationOf<T>): Promise<void>;
  write(operation: OperationOf<T>): Promise<void>;
  release(): Promise<void>;
}

export interface RunnerIO<T extends OperationType> {
  store: OperationStore<T>;
  reporter: Reporter;
  clock: Clock;
  signal?: AbortSignal | undefined;
  /** The test hook: called with 'locked' and after each phase (crash tests kill the process here). */
  step?: ((name: string) => void) | undefined;
  /** The command that goes on or undoes what is left (`{cmd} resume <name> -n <ns>`), for hints. */
  resumeCommand: string;
}

/**
 * A phase's duration, the one shape every workflow's result reports its timings in (`phases` in
 * -o json of backup, etcd restore, recover-member and move). The runner names each by its phase in
 * the definition; move reports finer steps of its own in the same shape (move/state.ts timed).
 */
export interface PhaseTiming {
  phase: string;
  /** Never negative (a clock stepped back counts as 0). */
  seconds: number;
  /** Present on the timing of a phase's undo: the rollback a `resume` carried out (a failed run's throws instead). */
  undo?: true;
}

export interface RunOutcome<T extends OperationType> {
  operation: OperationOf<T>;
  /** Every phase this run or resume carried out (checks included), then every undo of a rollback, with its duration. */
  phases: PhaseTiming[];
  /** `resume` only: forward to the end, or rolled back (with what each undo did). */
  direction: 'forward' | 'rolled-back';
  actions: string[];
}

export async function runWorkflow<T extends OperationType, S>(
  workflow: Workflow<T, S>,
  state: S,
  operation: OperationOf<T> | ((state: S) => OperationOf<T>),
  io: RunnerIO<T>,
): Promise<RunOutcome<T>> {
  // A record built from what the checks found is made once they passed.
  const first = (): OperationOf<T> => ({ ...(typeof operation === 'function' ? operation(state) : operation), phase: 'started' });
  const run = new Run(workflow, state, typeof operation === 'function' ? ({} as OperationOf<T>) : first(), io);
  try {
    await run.checks();
    run.operation = first();
    const withLock = workflow.lockWithFirstPhase ? run.firstRecorded() : undefined;
    if (withLock !== undefined) run.operation = run.recordOf(withLock);
    await io.store.acquire(run.operation);
    io.step?.('locked');
    return await run.forward(0, withLock);
  } finally {
    workflow.onEnd?.(state);
  }
}

/**
 * Goes on from a record: after the point of no return forward from the recorded phase (run again,
 * phases are idempotent); before it, rolled back, or with `recheck` forward when the checks still
 * pass and rolled back when they do not.
 */
export async function resumeWorkflow<T extends OperationType, S>(
  workflow: Workflow<T, S>,
  state: S,
  recorded: OperationOf<T>,
  io: RunnerIO<T>,
): Promise<RunOutcome<T>> {
  const run = new Run(workflow, state, recorded, io);
  const at = changeIndex(workflow, recorded.phase);
  try {
    if (at >= workflow.pointOfNoReturn) return await run.forward(at);
    if (workflow.resumeBeforePointOfNoReturn !== 'recheck') return await run.rollBack(at);
    try {
      await run.checks();
    } catch (err) {
      const undone = await run.rollBack(at);
      const did = undone.actions.length > 0 ? ` (${undone.actions.join('; ')})` : '';
      throw new PreconditionError(
        `stopped the ${run.what} before its point of no return and undid it${did}, because a check no longer passes: ${causeText(err)}`,
        { cause: err, hint: 'check the cause, then run the command again' },
      );
    }
    return await run.forward(Math.max(at, 0));
  } finally {
    workflow.onEnd?.(state);
  }
}

class Run<T extends OperationType, S> {
  readonly phases: PhaseTiming[] = [];
  readonly what: string;
  readonly failedTo: string;
  #at = -1;

  readonly workflow: Workflow<T, S>;
  readonly state: S;
  operation: OperationOf<T>;
  readonly io: RunnerIO<T>;

  constructor(workflow: Workflow<T, S>, state: S, operation: OperationOf<T>, io: RunnerIO<T>) {
    this.workflow = workflow;
    this.state = state;
    this.operation = operation;
    this.io = io;
    this.what = typeof workflow.what === 'function' ? workflow.what(state) : workflow.what;
    this.failedTo = workflow.failedTo?.(state) ?? `${this.what} failed`;
  }

  async checks(): Promise<void> {
    for (const check of this.workflow.checks) {
      await this.#timed(check.name, () => check.run(this.state, { reporter: this.io.reporter, signal: this.io.signal }));
      this.io.signal?.throwIfAborted();
    }
  }

  /** Index of the first phase this run writes to the record, when it lies before the point of no return. */
  firstRecorded(): number | undefined {
    const i = this.workflow.changes.findIndex((p) => !p.skip?.(this.state) && isRecorded(p, this.state));
    return i >= 0 && i < this.workflow.pointOfNoReturn ? i : undefined;
  }

  /** The record naming change phase `i`, with the fields it records. */
  recordOf(i: number): OperationOf<T> {
    const phase = this.workflow.changes[i]!;
    return { ...this.operation, ...phase.records?.(this.state), phase: phase.name };
  }

  /** Runs the change phases from `from` on; `written`: the one the lock already recorded. */
  async forward(from: number, written?: number): Promise<RunOutcome<T>> {
    try {
      for (let i = from; i < this.workflow.changes.length; i++) {
        const phase = this.workflow.changes[i]!;
        if (phase.skip?.(this.state)) continue;
        this.#at = i;
        if (i !== written && isRecorded(phase, this.state)) await this.#write(this.recordOf(i));
        await this.#timed(phase.name, () => phase.run(this.state, this.#phaseRun(this.io.signal)));
        this.io.step?.(phase.name);
        this.io.signal?.throwIfAborted();
      }
      await this.io.store.release();
    } catch (err) {
      if (this.#at < this.workflow.pointOfNoReturn) {
        const undone = await this.rollBack(this.#at, err);
        throw this.#rolledBack(err, undone.actions);
      }
      throw this.#stranded(err);
    }
    return { operation: this.operation, phases: this.phases, direction: 'forward', actions: [] };
  }

  /** Undoes the phases from `at` down to the first; the record goes last, and only when all undid. */
  async rollBack(at: number, cause?: unknown): Promise<RunOutcome<T>> {
    const actions: string[] = [];
    const undoRun = this.#phaseRun(undefined);
    for (let i = at; i >= 0; i--) {
      const phase = this.workflow.changes[i]!;
      if (!phase.undo || phase.skip?.(this.state)) continue;
      try {
        this.io.reporter.info(`rollback: ${phase.undoes ?? phase.name}`);
        const did = await this.#timed(phase.name, () => phase.undo!(this.state, undoRun), true);
        if (did) actions.push(did);
      } catch (undoErr) {
        throw this.#rollbackFailed(cause, `${phase.name}: ${causeText(undoErr)}`);
      }
    }
    try {
      await this.io.store.release();
    } catch (releaseErr) {
      throw this.#rollbackFailed(cause, `remove the operation record: ${causeText(releaseErr)}`);
    }
    return { operation: this.operation, phases: this.phases, direction: 'rolled-back', actions };
  }

  #phaseRun(signal: AbortSignal | undefined): PhaseRun<T> {
    const current = (): OperationOf<T> => this.operation;
    return {
      reporter: this.io.reporter,
      signal,
      get operation() {
        return current();
      },
      record: (fields) => this.#write({ ...this.operation, ...fields, phase: this.operation.phase }),
      step: (name) => this.io.step?.(name),
    };
  }

  async #write(next: OperationOf<T>): Promise<void> {
    await this.io.store.write(next);
    this.operation = next;
  }

  async #timed<R>(phase: string, body: () => Promise<R>, undo = false): Promise<R> {
    const start = this.io.clock.now().getTime();
    try {
      return await body();
    } finally {
      const seconds = Math.max(0, this.io.clock.now().getTime() - start) / 1000;
      this.phases.push(undo ? { phase, seconds, undo: true } : { phase, seconds });
    }
  }

  #rolledBack(err: unknown, actions: string[]): unknown {
    const undone =
      this.workflow.rolledBack?.(actions) ?? (actions.length > 0 ? `rolled back (${actions.join('; ')})` : 'nothing is left changed');
    if (this.io.signal?.aborted) return new InterruptedError(`${this.what} interrupted; ${undone}`, { cause: err });
    if (err instanceof Error && this.workflow.rollbackNote !== 'interrupt-only') err.message = `${err.message}; ${undone}`;
    return err;
  }

  #rollbackFailed(cause: unknown, failure: string): PartialFailureError {
    const what = cause === undefined ? `failed to undo the ${this.what}` : `${this.failedTo}: ${causeText(cause)}; and the rollback failed`;
    return new PartialFailureError(`${what}: ${failure}`, { cause, hint: `undo what is left with: ${this.io.resumeCommand}` });
  }

  #stranded(err: unknown): unknown {
    const phase = this.workflow.changes[this.#at]?.name ?? 'started';
    const hint = `${this.workflow.afterPointOfNoReturn ?? 'it is past its point of no return'}; go on with: ${this.io.resumeCommand}`;
    if (this.io.signal?.aborted) return new InterruptedError(`${this.what} interrupted at phase ${phase}`, { cause: err, hint });
    if (err instanceof PartialFailureError) return err;
    return new PartialFailureError(`${this.what} did not finish (phase ${phase}): ${causeText(err)}`, { cause: err, hint });
  }
}
