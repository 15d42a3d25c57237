/**
 * `restore`: the request, the plan the preflight builds, and the result (apiVersion
 * hcp-dr.openshift.io/v1alpha1, kind RestoreResult; documented in the README). Fields of
 * RestoreResult are only ever added.
 */
import type { ConnectGuest, NodeCount } from '../controlplane/nodes.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import type { Keyring } from '../crypto/age-keys.ts';
import type { KubeObject } from '../model.ts';
import type { Clock, KubeApi, NameResolver, ObjectStore, PodExec, Reporter, ResourceType, S3Target } from '../ports.ts';

export const RESTORE_API_VERSION = 'hcp-dr.openshift.io/v1alpha1';

/** What hcp-dr writes on every object a restore creates, and on the HostedCluster. */
export const RestoreAnnotations = {
  /** The backup URL an object came from (every created object). */
  restoredFrom: 'hcp-dr.openshift.io/restored-from',
  /** HyperShift's own marker: the HCCO runs its post-restore recovery (§1.9). */
  restoredFromBackup: 'hypershift.openshift.io/restored-from-backup',
} as const;

/** The ordered steps of the apply; each object belongs to one. */
export type ApplyStep = 'namespaces' | 'cluster-data' | 'control-plane' | 'hosted-cluster' | 'node-pools';
export const APPLY_ORDER: readonly ApplyStep[] = ['namespaces', 'cluster-data', 'control-plane', 'hosted-cluster', 'node-pools'];

/** One object of the apply, as hcp-dr will create it. */
export interface DesiredObject {
  step: ApplyStep;
  type: ResourceType;
  object: KubeObject;
  /** Why it is there, for the plan: "backup secret (pki)", "HostedCluster from the backup". */
  origin: string;
  /** Not in the backup (an older one): must exist already; never created. */
  mustExist?: boolean;
  /**
   * A control-plane Secret HyperShift re-issues from the CAs (a leaf certificate, a kubeconfig): when
   * one is there already with other content, it is kept rather than refused.
   */
  keepExisting?: boolean;
}

/** What the preflight found for one object: create it, or it is there already (identical). */
export type ObjectAction = 'create' | 'exists' | 'created';

export interface PlannedObject {
  step: ApplyStep;
  kind: string;
  namespace: string | null;
  name: string;
  action: ObjectAction;
  origin: string;
}

export interface PreflightCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export type RestoreState = 'Planned' | 'Restored' | 'SplitBrain' | 'Inconsistent' | 'NotVerified';

export interface RestoreResult {
  apiVersion: typeof RESTORE_API_VERSION;
  kind: 'RestoreResult';
  hostedCluster: { namespace: string; name: string; controlPlaneNamespace: string; platform: string };
  /** The management cluster restored into (kubeconfig context and server). */
  target: string;
  backup: {
    url: string;
    id: string;
    createdAt: string;
    source: { namespace: string; name: string };
    revision: number;
    totalKeys: number;
    sha256: string;
    sizeBytes: number;
  };
  /** Backup age when the restore was verified (or planned): the data lost, at most. */
  rpoSeconds: number;
  verdict: { state: RestoreState; reason: string; hint: string };
  preflight: PreflightCheck[];
  warnings: string[];
  /** Objects in apply order, with what happened (dry run: what would happen). */
  objects: PlannedObject[];
  /** What --replace deleted first (empty without it). */
  replaced: { kind: string; namespace: string; name: string }[];
  etcd: {
    replicas: number;
    members: { name: string; id: string; pod: string | null; healthy: boolean | null; revision: number | null; hash: number | null }[];
    /** The revision every member's hashkv was taken at; null when they disagree or none answered. */
    hashRevision: number | null;
    revision: number | null;
    /** True when the restored revision is at least the snapshot's + 1,000,000,000 (--bump-revision --mark-compacted). */
    revisionBumped: boolean;
    totalKeys: number | null;
    /** Restored keys minus the backup's; the control plane writes some at start-up. */
    keyDelta: number | null;
    checks: PreflightCheck[];
  } | null;
  timing: {
    startedAt: string;
    /** First change on the cluster (null on a dry run). */
    firstChangeAt: string | null;
    verifiedAt: string | null;
    /** First change to verified data: the time to a verified restore. */
    restoreSeconds: number | null;
    totalSeconds: number;
  };
  nextSteps: string[];
  /** The hosted cluster's nodes after the restore (controlplane/nodes.ts); absent when not counted. */
  nodes?: NodeCount;
  /**
   * The split-brain repair (hypershift-domain.md §3.1): null when none was needed; repaired false
   * when it was found and not repaired (--no-repair, or the repair did not verify).
   */
  repair: { repaired: boolean; reason: string; apiDowntimeSeconds: number | null; actions: string[] } | null;
}

/** The backup as a restore needs it, read and verified before anything changes. */
export interface RestoreBundle {
  /** s3://bucket/prefix/ of the backup, with a trailing slash. */
  url: string;
  manifest: BackupManifest;
  hostedCluster: KubeObject;
  nodePools: KubeObject[];
  /** Secrets and ConfigMaps stored in the backup, with the namespace they were captured in. */
  objects: { role: string; object: KubeObject }[];
  /** CAPI and platform objects (manifests/control-plane.yaml of a move's backup), when asked for (--with-nodes). */
  controlPlane?: KubeObject[];
}

/**
 * Reads a container's log (GET pods/<pod>/log?container=...). undefined when there is none.
 * Part of the ports the restore workflow needs beside KubeApi.
 */
export interface PodLogs {
  read(
    namespace: string,
    pod: string,
    container: string,
    options?: { previous?: boolean; limitBytes?: number },
  ): Promise<string | undefined>;
}

/** How the preflight asks whether the source still serves its API hostname. */
export interface SourceProbe {
  resolver: NameResolver;
  /** Whether a TCP connection to address:port is accepted (bounded by a short timeout). */
  answers(address: string, port: number): Promise<boolean>;
}

export interface RestoreRequest {
  store: ObjectStore;
  /** Key prefix of the backup, no slashes at the ends. */
  prefix: string;
  openBucket(bucket: string): Promise<ObjectStore>;
  /** Namespace for the HostedCluster; the backup's when absent. */
  namespace?: string;
  replace: boolean;
  dryRun: boolean;
  expiresInSeconds: number;
  waitTimeoutMs: number;
  /** The command line that repeats this restore, for hints (signature-free). */
  rerun: string;
  toolVersion?: string;
  /** More annotations for the HostedCluster, written in the request that creates it (a move's record). */
  hostedClusterAnnotations?: Record<string, string>;
  /** Download the snapshot and check every byte even when its ETag shows it is the one the backup wrote. */
  verifySnapshot?: boolean;
  /** Also create the CAPI and platform objects a move's backup carries, so existing machines are adopted. */
  withNodes?: boolean;
  /** false (--no-repair): a split brain is reported (SplitBrain), not repaired in place. */
  repair?: boolean;
  /** --cleanup-cloud-resources: --replace may delete a HostedCluster whose deletion removes the guest's cloud data. */
  cleanupCloudResources?: boolean;
  /** --force: restore on another management cluster although the source still answers on the API hostname. */
  force?: boolean;
  /** false: create no NodePool (a move that keeps the existing nodes in service; move/nodes.ts). */
  nodePools?: boolean;
  /**
   * --decrypt-with: opens an encrypted backup (one of its recipients). A compressed and/or encrypted
   * backup is read through it and its snapshot staged decoded for etcd-init (bundle/staging.ts).
   */
  keyring?: Keyring;
  /** How the store was reached (recorded, without credentials, so `resume` can read the snapshot again). */
  via?: Pick<S3Target, 'region' | 'endpoint' | 'pathStyle' | 'caBundle'>;
}

export interface RestoreDeps {
  api: KubeApi;
  exec: PodExec;
  logs: PodLogs;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** Asks whether the source still serves the API hostname (a restore on another management cluster). */
  sourceProbe?: SourceProbe;
  /** Asked before --replace deletes anything (downtime); throws to refuse. */
  confirmReplace(question: string): Promise<void>;
  /** The hosted cluster's own API (admin kubeconfig): with it, a verified restore waits for its nodes (nodes.ts). */
  connectGuest?: ConnectGuest;
}

/** The restore workflow as a function: what a workflow that restores as one of its phases (move) is given by its composer. */
export type RunRestore = (req: RestoreRequest, deps: RestoreDeps) => Promise<RestoreResult>;
