/**
 * `resume`: finishes or undoes what an interrupted run left, from the operation record on the
 * HostedCluster alone, on any machine. This module reads the record and dispatches on its
 * `type` to the handler registered for it (the registry is src/core/resume.ts).
 *
 * Contract:
 *  - No record: nothing to do, an empty result (not an error).
 *  - A type without a handler (written by a newer hcp-dr, or one this build does not finish)
 *    is refused with PreconditionError naming the type, the operation id and the hcp-dr
 *    version that wrote it; the record is left in place.
 *  - Handlers are idempotent (resume may run any number of times), remove the record only once
 *    everything it describes is done or undone, and throw PartialFailureError otherwise.
 */
import { PreconditionError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { Clock, Cluster, MoveWorld, Reporter } from '../ports.ts';
import { resolveHostedCluster } from '../controlplane/hosted-cluster.ts';
import type { NodeCount } from '../controlplane/nodes.ts';
import type { Keyring } from '../crypto/age-keys.ts';
import type { PhaseTiming } from './runner.ts';

import {
  isKnownOperationType,
  readMoveAnnotation,
  readOperation,
  type OperationInfo,
  type OperationRecord,
  type OperationType,
} from './record.ts';

export interface ResumeDeps extends Cluster {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal;
  /** The other management cluster, the bucket and DNS: only a move's resume needs them. */
  world?: MoveWorld;
  /** This resume as the user runs it (`{cmd} resume <name> -n <ns> --context ...`), for hints. */
  resumeCommand?: string;
  /** --decrypt-with: a restore (or a move's) that must read its encrypted backup again (bundle/staging.ts). */
  keyring?: Keyring;
}

export interface ResumeResult {
  namespace: string;
  name: string;
  /** The id of the operation resumed; null when there was none. */
  operation: string | null;
  /** What was done, one sentence each, in order. */
  actions: string[];
  /** A finished move: the hosted cluster's nodes at the end (null: the wait did not run). */
  nodes?: NodeCount | null;
  /**
   * The phases this resume ran, with how long each took: the checks it ran again and the phases
   * from the recorded one on when it went forward, the undos (`undo: true`) when it rolled back.
   * Backup, etcd restore, recover-member, and a finished move (move's undo reports none).
   */
  phases?: PhaseTiming[];
  /** A finished move: the waits inside those phases (MoveResult.steps). */
  steps?: { step: string; seconds: number }[];
}

export interface ResumeInput<T extends OperationType = OperationType> {
  namespace: string;
  name: string;
  hc: KubeObject;
  record: OperationRecord & { operation: Extract<OperationInfo, { type: T }> };
  deps: ResumeDeps;
}

export type ResumeHandler<T extends OperationType = OperationType> = (input: ResumeInput<T>) => Promise<ResumeResult>;

/** One handler per operation type this build can resume. */
export type ResumeHandlers = { readonly [T in OperationType]?: ResumeHandler<T> };

export async function resumeOperation(namespace: string, name: string, deps: ResumeDeps, handlers: ResumeHandlers): Promise<ResumeResult> {
  const hc = await resolveHostedCluster(deps.api, namespace, name);
  const record = readOperation(hc);
  // A move's destination: its record is the move annotation (a restore record may ride beside it).
  const move = readMoveAnnotation(hc);
  if (move && handlers.move && (!record || record.operation.type === 'restore')) {
    return handlers.move({
      namespace,
      name,
      hc,
      record: { operation: move, previousPausedUntil: undefined, previousReplicas: undefined },
      deps,
    });
  }
  if (!record) return { namespace, name, operation: null, actions: [] };
  const { type, id } = record.operation as { type: unknown; id: string };
  const handler = isKnownOperationType(type) ? (handlers[type] as ResumeHandler | undefined) : undefined;
  if (!handler) {
    const writer = record.operation.toolVersion
      ? `hcp-dr ${record.operation.toolVersion}`
      : 'an hcp-dr version that does not record its version';
    throw new PreconditionError(
      `failed to resume "${namespace}/${name}": operation ${id} is of type "${String(type)}", written by ${writer}, and this hcp-dr cannot resume that type`,
      { hint: `run "{cmd} resume ${name} -n ${namespace}" with the hcp-dr version that started the operation (or a newer one)` },
    );
  }
  return handler({ namespace, name, hc, record, deps });
}
