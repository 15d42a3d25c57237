/**
 * A workflow as data: its checks and its changing phases, in order, each changing phase with
 * the undo that compensates it (where it can be undone) and one marked as the point of no
 * return. The runner (runner.ts) carries a definition out and `resume` derives from the same
 * list, so a phase cannot exist in the code and not in the record, nor the other way round.
 *
 * Contract, enforced by defineWorkflow() when the definition is built (at import, so every
 * test that loads a workflow checks it):
 *  - every check comes before the first changing phase: nothing that can be checked without a
 *    change runs after one;
 *  - the changing phases are named exactly as OperationPhases[type] lists them after
 *    `started` (the lock), in the same order;
 *  - at most one phase is the point of no return; it and every phase after it have no undo,
 *    because from there the only way is forward; it is never skipped;
 *  - a phase that may go unrecorded (`recorded`) lies before the point of no return of a
 *    workflow that resumes by rolling back, and records no fields of its own.
 */
import { InternalError, PreconditionError } from '../errors.ts';
import type { Reporter } from '../ports.ts';
import { OperationPhases, type OperationInfo, type OperationType, type PhaseOf } from './record-types.ts';

export type OperationOf<T extends OperationType> = Extract<OperationInfo, { type: T }>;

/** What a phase may use besides the workflow's own state. */
export interface PhaseRun<T extends OperationType> {
  reporter: Reporter;
  /** Aborted on SIGINT/SIGTERM; undefined while undoing (an undo is never cut short). */
  signal: AbortSignal | undefined;
  /** The record as written so far. */
  readonly operation: OperationOf<T>;
  /** Records fields of the operation (undo data, results) at once, keeping the phase. */
  record(fields: Partial<OperationOf<T>>): Promise<void>;
  /** Marks a boundary inside the phase for the test hook (the runner marks each phase's end itself). */
  step(name: string): void;
}

export interface CheckPhase<S> {
  kind: 'check';
  /** For messages and timings only: checks are not recorded (they run before the lock). */
  name: string;
  run(state: S, run: { reporter: Reporter; signal: AbortSignal | undefined }): Promise<void>;
}

export interface ChangePhase<T extends OperationType, S> {
  kind: 'change';
  name: PhaseOf<T>;
  /** Recorded BEFORE it runs, so the record always names the most that may have happened. Idempotent. */
  run(state: S, run: PhaseRun<T>): Promise<void>;
  /** Compensates run() whether it completed or not (idempotent); returns what it did, for messages. */
  undo?(state: S, run: PhaseRun<T>): Promise<string | void>;
  /** What the undo does, for the "rollback: ..." line (default: the phase's name). */
  undoes?: string;
  /** From the start of this phase on, failures keep the record and `resume` goes forward only. */
  pointOfNoReturn?: true;
  /** True when the phase has nothing to do in this run (e.g. no member to add): neither recorded, run nor undone. */
  skip?(state: S): boolean;
  /** Fields written with the phase, in the same write before it runs (e.g. the file it is about to create). */
  records?(state: S): Partial<OperationOf<T>>;
  /**
   * False (for this run): the phase runs, is timed, marks the test hook and is undone by a failing
   * run as any other, but its start is not written, so the record keeps naming the phase before.
   * Only for a phase before the point of no return of a workflow that resumes by rolling back, and
   * from whose record `resume` would do nothing more than from the phase's before: it has no undo,
   * or an undo that needs what only the running process holds (a store's credentials). It saves
   * a write on the record's cluster, where every write is copied to every watcher.
   */
  recorded?: boolean | ((state: S) => boolean);
}

export type Phase<T extends OperationType, S> = CheckPhase<S> | ChangePhase<T, S>;

export interface WorkflowDefinition<T extends OperationType, S> {
  type: T;
  /** "etcd restore", `backup of "ns/name"`: the subject of messages ("<what> interrupted; ..."). */
  what: string | ((state: S) => string);
  /** `failed to back up "ns/name"`: how a failure that also failed to roll back starts (default "<what> failed"). */
  failedTo?: (state: S) => string;
  phases: readonly Phase<T, S>[];
  /**
   * What `resume` does with a record that stopped before the point of no return: undo what was
   * done (rollback, the default), or run the checks again and go on when they still pass, undoing
   * only when they do not (recheck).
   */
  resumeBeforePointOfNoReturn?: 'rollback' | 'recheck';
  /** The end of "<what> interrupted; ..." after a rollback (default: "rolled back (<what each undo did>)"). */
  rolledBack?: (actions: string[]) => string;
  /** Whether a failure's own message gets "; <rolled back>" too (append, the default) or only an interrupt's. */
  rollbackNote?: 'append' | 'interrupt-only';
  /** What holds once past the point of no return, the start of such failures' hint (default: "it is past its point of no return"). */
  afterPointOfNoReturn?: string;
  /**
   * The lock's write records the run's first recorded phase (with its fields) as well, saving a
   * write. Safe because an undo compensates its phase whether it ran or not (ChangePhase.undo):
   * `resume` of a run killed right after the lock undoes a phase that never began. Only when that
   * phase lies before the point of no return.
   */
  lockWithFirstPhase?: true;
  /** Called once when a run or resume ends, either way (stops timers such as a pause's renewal). */
  onEnd?(state: S): void;
}

export interface Workflow<T extends OperationType, S> extends WorkflowDefinition<T, S> {
  readonly checks: readonly CheckPhase<S>[];
  readonly changes: readonly ChangePhase<T, S>[];
  /** Index in `changes` of the point of no return; changes.length when there is none. */
  readonly pointOfNoReturn: number;
}

/** Validates a definition (see the contract above); throws InternalError naming what is wrong. */
export function defineWorkflow<T extends OperationType, S>(definition: WorkflowDefinition<T, S>): Workflow<T, S> {
  const wrong = (what: string) => new InternalError(`workflow ${definition.type} is defined wrongly: ${what}`);
  const firstChange = definition.phases.findIndex((p) => p.kind === 'change');
  const lateCheck = definition.phases.find((p, i) => p.kind === 'check' && firstChange >= 0 && i > firstChange);
  if (lateCheck) throw wrong(`check "${lateCheck.name}" runs after the first change`);
  const checks = definition.phases.filter((p): p is CheckPhase<S> => p.kind === 'check');
  const changes = definition.phases.filter((p): p is ChangePhase<T, S> => p.kind === 'change');
  const recorded = ['started', ...changes.map((p) => p.name)];
  const table: readonly string[] = OperationPhases[definition.type];
  if (recorded.join() !== table.join()) throw wrong(`its phases (${recorded.join(', ')}) differ from the record's (${table.join(', ')})`);
  const marks = changes.flatMap((p, i) => (p.pointOfNoReturn ? [i] : []));
  if (marks.length > 1) throw wrong('more than one point of no return');
  const pointOfNoReturn = marks[0] ?? changes.length;
  const undoAfter = changes.find((p, i) => i >= pointOfNoReturn && p.undo !== undefined);
  if (undoAfter) throw wrong(`phase "${undoAfter.name}" has an undo at or after the point of no return`);
  if (changes[pointOfNoReturn]?.skip) throw wrong('the point of no return cannot be skipped');
  for (const [i, phase] of changes.entries()) {
    if (phase.recorded === undefined || phase.recorded === true) continue;
    if (i >= pointOfNoReturn) throw wrong(`phase "${phase.name}" may go unrecorded at or after the point of no return`);
    if (definition.resumeBeforePointOfNoReturn === 'recheck')
      throw wrong(`phase "${phase.name}" may go unrecorded, but resume goes forward`);
    if (phase.records) throw wrong(`phase "${phase.name}" records fields but may go unrecorded`);
  }
  return { ...definition, checks, changes, pointOfNoReturn };
}

/** Whether the runner writes the phase's start to the record in this run (see ChangePhase.recorded). */
export function isRecorded<T extends OperationType, S>(phase: ChangePhase<T, S>, state: S): boolean {
  return typeof phase.recorded === 'function' ? phase.recorded(state) : phase.recorded !== false;
}

/** Index in workflow.changes of a recorded phase; -1 for `started` (locked, nothing changed yet). */
export function changeIndex<T extends OperationType, S>(workflow: Workflow<T, S>, phase: string): number {
  if (phase === 'started') return -1;
  const index = workflow.changes.findIndex((p) => p.name === phase);
  if (index < 0)
    throw new PreconditionError(`failed to resume: the ${workflow.type} record names phase "${phase}", which this hcp-dr does not know`, {
      hint: 'resume with the hcp-dr version that started the operation (its toolVersion is in the record)',
    });
  return index;
}
