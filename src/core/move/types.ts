/**
 * `move`: the request, the ports it needs on both management clusters, and its result
 * (apiVersion hcp-dr.openshift.io/v1alpha1, kind MoveResult; fields are only ever added).
 */
import type { NodeModeRequest } from './nodes.ts';
import type { NodeCount } from '../controlplane/nodes.ts';
import type { MoveEndpoint, MoveOperation, PhaseOf } from '../operation/record.ts';
import type { PhaseTiming } from '../operation/runner.ts';
import type { Clock, KubeSession, MoveWorld, NameResolver, ObjectStore, Reporter, S3Target } from '../ports.ts';

export type { MoveWorld } from '../ports.ts';
import type { PreflightCheck, RestoreResult, RunRestore } from '../contracts/restore.ts';
import type { Codec } from '../crypto/codec.ts';
import type { Keyring } from '../crypto/age-keys.ts';

export const MOVE_API_VERSION = 'hcp-dr.openshift.io/v1alpha1';

/** What a move freezes on the source: the API servers, and the operator that would scale them back (§1.8). */
export const FROZEN_DEPLOYMENTS = ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver', 'control-plane-operator'] as const;

/** Lifetime of the pre-signed snapshot URL the destination's restore gets (checked in preflight). */
export const MOVE_URL_EXPIRY_SECONDS = 3600;

export type MovePhase = MoveOperation['phase'];

export interface MoveRequest {
  namespace: string;
  name: string;
  source: MoveEndpoint;
  destination: MoveEndpoint;
  via: S3Target;
  dnsServer?: string;
  dnsTimeoutMs: number;
  waitTimeoutMs: number;
  /** Lifetime of the pause deadline before the hand-off; renewed while the run lasts. */
  pauseTtlMs: number;
  keepSource: boolean;
  /** Re-create the CAPI and platform objects on the destination so existing nodes are adopted. */
  withNodes: boolean;
  /** --nodes: what happens to the hosted cluster's nodes (nodes.ts); auto when absent (adopt with --with-nodes). */
  nodes?: NodeModeRequest;
  force: boolean;
  /** false (--no-repair): a split brain on the destination is reported (SplitBrain, exit 4), not repaired in place. */
  repair?: boolean;
  dryRun: boolean;
  toolVersion: string;
  /** --compress/--encrypt-to: the move's backup stored compressed and/or encrypted (its restore stages a decoded copy). */
  codec?: Codec;
}

/**
 * The move record with what --no-repair adds (the fields travel in the record's JSON on both sides):
 * `repair: false` as the run was asked; `splitBrain` once a run stopped at the destination's split
 * brain and reported it, after which the `resume` the report names repairs in place and finishes.
 */
export type MoveRecord = MoveOperation & { repair?: false; splitBrain?: string };

/** Whether a run may repair the destination's split etcd: unless --no-repair, or once its stop was reported. */
export function repairAllowed(op: MoveOperation): boolean {
  const r = op as MoveRecord;
  return r.repair !== false || r.splitBrain !== undefined;
}

export interface MoveDeps {
  world: MoveWorld;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal;
  /** The restore workflow, run on the destination (given by the composer: move does not import restore). */
  restore: RunRestore;
  newId(): string;
  /** Asked once before the first change (downtime); throws to refuse. */
  confirm(question: string): Promise<void>;
  /** Reached a phase boundary: for -v and the crash tests. */
  step?: (phase: string) => void;
  onBytes?: (n: number) => void;
  /** --decrypt-with: opens the move's encrypted backup for the destination's restore (never recorded). */
  keyring?: Keyring;
}

/** Both sides connected, and the store of the backup. */
export interface MoveSides {
  source: KubeSession;
  destination: KubeSession;
  store: ObjectStore;
  /** Key prefix of --via ('' for the bucket root). */
  prefix: string;
  resolver: NameResolver;
}

/** A phase's duration as every workflow's result reports it (`phases` in -o json): the runner's shape. */
export type { PhaseTiming };

/** A wait inside a move's phase (`steps` in -o json): where a phase's time went. */
export interface StepTiming {
  step: 'dns-release' | 'restore' | 'dns-destination' | 'ovn-restart' | 'nodes';
  seconds: number;
}

/**
 * The move's backup phase: one name for the record, the definition (phases.ts), the test hook,
 * its timing in MoveResult.phases and its entry in the dry run's plan.
 */
export const BACKED_UP = 'backed-up' as const satisfies PhaseOf<'move'>;

/** SplitBrain: --no-repair stopped at the destination's split etcd (exit 4); `resume` repairs it and finishes. */
export type MoveState = 'Planned' | 'Moved' | 'RolledBack' | 'SplitBrain';

export interface MoveResult {
  apiVersion: typeof MOVE_API_VERSION;
  kind: 'MoveResult';
  hostedCluster: { namespace: string; name: string };
  source: string;
  destination: string;
  state: MoveState;
  operation: string | null;
  apiHostname: string;
  backup: string | null;
  preflight: PreflightCheck[];
  warnings: string[];
  /** Dry run: every phase and the objects it touches, in order. */
  plan: { phase: string; actions: string[] }[];
  /** One per change phase that ran (OperationPhases.move's names), in order. */
  phases: PhaseTiming[];
  /** The waits inside the phases: the DNS release and arrival, the destination's restore, the OVN restart, the nodes. */
  steps: StepTiming[];
  /** Hosted cluster API downtime: the freeze to the API served from the destination. */
  downtimeSeconds: number | null;
  /** repair: the destination's split etcd repaired in place before it was declared verified (null: none needed). */
  restore: Pick<RestoreResult, 'verdict' | 'etcd' | 'repair'> | null;
  /** Whether a split brain on the destination is repaired in place before it counts as verified (false: --no-repair). */
  repairSplitBrain?: boolean;
  ovnPodsRestarted: number | null;
  nextSteps: string[];
  /** The node mode and the hosted cluster's nodes at the end (Ready == the source's NodePool replicas). */
  nodeMode?: 'adopt' | 'keep' | null;
  nodes?: NodeCount | null;
}
