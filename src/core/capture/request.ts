/** Inputs and outputs of the backup workflow, and the choice of the member to snapshot. */
import { EtcdUnhealthyError } from '../errors.ts';
import type { Clock, KubeApi, OpenedStore, PodExec, Reporter } from '../ports.ts';
import type { EtcdFacts } from '../etcd/verdict.ts';
import type { BackupManifest, BackupMode } from '../bundle/manifest.ts';
import type { Codec } from '../crypto/codec.ts';
import type { ManagementIdentityReader } from './capture.ts';
import type { PhaseTiming } from '../operation/runner.ts';

/** A store and the key prefix (root) under which backups go ('' for the bucket root). */
export type Destination = OpenedStore;

export interface BackupRequest {
  namespace: string;
  name: string;
  mode: BackupMode;
  destination: Destination;
  /** Where the key material goes, when it must not sit beside the snapshot. */
  keysDestination?: Destination;
  serverSideEncryption?: { type: 'AES256' | 'aws:kms'; kmsKeyId?: string };
  /** S3 Object Lock on every object written (--lock-days, --lock-mode); the retention runs from the upload's start. */
  lock?: { mode: 'governance' | 'compliance'; days: number };
  /** Lifetime of the pause deadline; renewed while the run lasts. */
  pauseTtlMs: number;
  waitTimeoutMs: number;
  /** Client-side zstd compression and/or age encryption of every object but backup.json (crypto/codec.ts). */
  codec?: Codec;
  /** Snapshot even when members disagree. */
  force?: boolean;
}

export interface BackupDeps {
  api: KubeApi;
  exec: PodExec;
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal;
  toolVersion: string;
  newBackupId(): string;
  /** Bytes uploaded so far (for a progress line). */
  onProgress?: (bytes: number) => void;
  /** Reached a step boundary (quiesced, snapshotted, resumed, uploaded, done): for -v and tests. */
  step?: (name: string) => void;
  /**
   * The snapshot is in the store: the part of the backup that streams (and holds the upload's
   * buffers) is over; small objects, backup.json and the file's removal remain. A fleet run starts
   * its next backup here.
   */
  onSnapshotStored?: () => void;
  /** The management cluster's identity as a fleet run shares it (capture.ts sharedManagementIdentity); else read by this backup. */
  managementIdentity?: ManagementIdentityReader;
}

export interface BackupResult {
  manifest: BackupManifest;
  url: string;
  /** Every phase the runner carried out (the check included), in order, with its duration (`phases` in -o json). */
  phases: PhaseTiming[];
}

export interface SnapshotMember {
  pod: string;
  memberId: string;
  version: string;
}

/** A healthy voting member with a pod that runs etcdctl; a follower when possible, to spare the leader. */
export function chooseSnapshotMember(facts: EtcdFacts): SnapshotMember {
  const candidates = facts.members.filter((m) => {
    const pod = facts.pods.find((p) => p.name === m.pod);
    return !m.isLearner && m.health?.healthy === true && pod !== undefined && pod.execError === undefined;
  });
  const chosen = candidates.find((m) => m.status?.leader !== m.id) ?? candidates[0];
  if (!chosen?.pod) {
    throw new EtcdUnhealthyError('failed to choose an etcd member to snapshot: no healthy member whose pod can run etcdctl', {
      hint: 'check "{cmd} etcd status"',
    });
  }
  return { pod: chosen.pod, memberId: chosen.id, version: chosen.status?.version ?? '' };
}
