/**
 * What a move's phases (phases.ts) share, for a run and for `resume` alike: both sides, the
 * backup store, the freeze's undo data, and what the phases found (for MoveResult). A run also
 * carries its request and preflight (`run`); a resume rebuilds the rest from the records.
 */
import { InternalError } from '../errors.ts';
import type { Pause, QuiesceContext } from '../controlplane/quiesce.ts';
import type { NodeCount } from '../controlplane/nodes.ts';
import type { BackupRequest } from '../capture/request.ts';
import type { MoveOperation } from '../operation/record.ts';
import type { Cluster, NameResolver, ObjectStore } from '../ports.ts';
import type { RestoreResult } from '../contracts/restore.ts';
import type { FreezeUndo } from './freeze.ts';
import type { NodePlan } from './nodes.ts';
import type { MovePreflight } from './preflight.ts';
import type { SplitBrainStop } from './split-brain.ts';
import type { MoveDeps, MoveRequest, MoveSides, PhaseTiming, StepTiming } from './types.ts';
import type { PhaseOf } from '../operation/record.ts';

/** What only a run has: the request, both sides as connected, and what its checks found. */
export interface MoveRunInput {
  req: MoveRequest;
  sides: MoveSides;
  backupRequest: BackupRequest;
  id: string;
  confirm(question: string): Promise<void>;
  pre?: MovePreflight;
  nodes?: NodePlan;
  /** Throws once the source no longer carries this run's record (a `resume` elsewhere took over). */
  stillHeld?: () => Promise<void>;
}

export interface MoveState {
  namespace: string;
  name: string;
  /** The control-plane namespace on both sides. */
  cp: string;
  source: Cluster;
  destination: Cluster;
  resolver: NameResolver;
  deps: Pick<MoveDeps, 'world' | 'clock' | 'reporter' | 'signal' | 'onBytes' | 'restore' | 'keyring'>;
  /** The test hook as the move has always named its boundaries (the crash matrix kills at each). */
  step?: ((name: string) => void) | undefined;
  /** `resume` on the source: the continuation until the destination is verified. */
  resumeCommand: string;
  /** spec.pausedUntil and replicas before the freeze (with each NodePool's pausedUntil). */
  freezeUndo: FreezeUndo;
  /** The store and key prefix of this move's backup. */
  openBackupStore(): Promise<{ store: ObjectStore; prefix: string }>;
  run?: MoveRunInput;
  /** The pause deadline's renewal while the source is frozen before the hand-off. */
  pause?: Pause;
  /** MoveResult.phases: one per change phase that ran, under the phase's own name. */
  timings: PhaseTiming[];
  /** MoveResult.steps: the waits inside the phases (DNS, the restore, the nodes). */
  steps: StepTiming[];
  actions: string[];
  /** What a rollback could not undo (the record stays for `resume`). */
  rollbackFailures: string[];
  restore: RestoreResult | null;
  ovnPodsRestarted: number | null;
  nodes: NodeCount | null;
  downtimeSeconds: number | null;
}

export type MoveRecordFields = Partial<MoveOperation> & { splitBrain?: string };

/** A run's own inputs; a phase that only a run reaches (before the hand-off, forward) asks for them. */
export function runInput(state: MoveState): Required<Pick<MoveRunInput, 'pre' | 'nodes'>> & MoveRunInput {
  const run = state.run;
  if (!run?.pre || !run.nodes) throw new InternalError('move: a phase before the DNS hand-off ran without the run that checked it');
  return run as Required<Pick<MoveRunInput, 'pre' | 'nodes'>> & MoveRunInput;
}

/** The quiesce context on the source; `undoing` drops the signal and the record check (an undo is never cut short). */
export function quiesceOf(state: MoveState, waitTimeoutMs: number, undoing = false): QuiesceContext {
  const stillHeld = undoing ? undefined : state.run?.stillHeld;
  const signal = undoing ? undefined : state.deps.signal;
  return {
    api: state.source.api,
    clock: state.deps.clock,
    reporter: state.deps.reporter,
    namespace: state.namespace,
    name: state.name,
    controlPlaneNamespace: state.cp,
    waitTimeoutMs,
    ...(stillHeld ? { stillHeld } : {}),
    ...(signal ? { signal } : {}),
  };
}

/** Runs a change phase's `work`; its duration goes to MoveResult.phases under the phase's name, also when it throws. */
export async function timedPhase<T>(state: MoveState, phase: PhaseOf<'move'>, work: () => Promise<T>): Promise<T> {
  const t0 = state.deps.clock.now().getTime();
  try {
    return await work();
  } finally {
    state.timings.push({ phase, seconds: secondsSince(state, t0) });
  }
}

/** Runs a wait inside a phase; its duration goes to MoveResult.steps when it ends. */
export async function timedStep<T>(state: MoveState, step: StepTiming['step'], work: () => Promise<T>): Promise<T> {
  const t0 = state.deps.clock.now().getTime();
  const value = await work();
  state.steps.push({ step, seconds: secondsSince(state, t0) });
  return value;
}

const secondsSince = (state: MoveState, t0: number): number => Math.max(0, state.deps.clock.now().getTime() - t0) / 1000;

/**
 * --no-repair stopped the move at the destination's split etcd (split-brain.ts): thrown by the
 * `restoring` phase so that the runner keeps the record there; the run reports SplitBrain (exit 4).
 */
export class SplitBrainStopped extends Error {
  readonly stop: SplitBrainStop;
  constructor(stop: SplitBrainStop) {
    super(stop.reason);
    this.stop = stop;
  }
}

/** The stop, if `err` is one (the runner wraps what a phase throws after the point of no return). */
export function splitBrainStopOf(err: unknown): SplitBrainStop | undefined {
  if (err instanceof SplitBrainStopped) return err.stop;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause instanceof SplitBrainStopped ? cause.stop : undefined;
}
