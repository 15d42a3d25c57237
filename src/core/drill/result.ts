/**
 * What a drill proves and how it reports it: one line per check, the RTO (download, restore,
 * start), and `drill.json`, written beside the backup's backup.json. drill.json holds names,
 * counts, hashes and times only: never a Secret's value, a key or a pre-signed URL.
 */

import type { DRILL_KIND } from '../bundle/drill-record.ts';

export { DRILL_FILE, DRILL_KIND } from '../bundle/drill-record.ts';

/** pass: proven; fail: disproven (the drill fails); skipped: not checkable here (named why). */
export type CheckResult = 'pass' | 'fail' | 'skipped';

export interface DrillCheck {
  name: string;
  result: CheckResult;
  detail: string;
}

/** The checks in the order they run, so a table and drill.json list every one, run or not. */
export const CHECK_NAMES = [
  'snapshot-sha256',
  'snapshot-status',
  'restore',
  'member-health',
  'revision',
  'hashkv',
  'keys-per-type',
  'secrets-decrypt',
  'ca-keypairs',
  'sa-keypair',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface DrillTimings {
  /** Reading the snapshot from the store into the scratch pod. */
  downloadSeconds: number;
  /** `snapshot restore` into a fresh data dir. */
  restoreSeconds: number;
  /** From starting etcd on the restored data until it answers healthy. */
  startSeconds: number;
  /** The three together: the RTO of a restore of this size. */
  rtoSeconds: number;
}

export interface DrillResult {
  apiVersion: 'hcp-dr.openshift.io/v1alpha1';
  kind: typeof DRILL_KIND;
  /** The backup's prefix URL. */
  backup: string;
  backupId: string;
  hostedCluster: string;
  result: 'Passed' | 'Failed';
  startedAt: string;
  finishedAt: string;
  /** Wall time of the whole drill, checks and clean-up included. */
  seconds: number;
  rto: DrillTimings;
  checks: DrillCheck[];
  /** Keys of the restored data per resource type (/registry/<type>/...), "other" for the rest. */
  keysByType: Record<string, number>;
  etcdImage: string;
  scratchNamespace: string;
  /** The management cluster the drill ran on (kubeconfig context), for the record. */
  context: string;
  toolVersion: string;
}

/** The drill's checks so far; a check set twice keeps the failure. */
export class CheckList {
  readonly #checks = new Map<CheckName, DrillCheck>();

  set(name: CheckName, result: CheckResult, detail: string): void {
    if (this.#checks.get(name)?.result === 'fail') return;
    this.#checks.set(name, { name, result, detail });
  }

  failed(): DrillCheck[] {
    return this.list().filter((c) => c.result === 'fail');
  }

  /** Every check in order; one that never ran is `skipped` with `why`. */
  list(why = 'not reached'): DrillCheck[] {
    return CHECK_NAMES.map((n) => this.#checks.get(n) ?? { name: n, result: 'skipped', detail: why });
  }
}
