/** The vocabulary of `schedule`: what the user asked for, already validated by the command. */
import type { RetentionPolicy } from '../bundle/retention.ts';

/** Which hosted clusters the CronJobs back up. */
export type ScheduleClusters =
  /** One CronJob per named HostedCluster. */
  | { type: 'named'; namespace: string; names: string[] }
  /** One fleet CronJob running `backup --all`, over a namespace (or all) and a label selector, `concurrency` at a time (else backup's default). */
  | { type: 'fleet'; namespace?: string; selector?: string; concurrency?: number };

/** Where backups go and how the store is reached: turned into the backup's own flags. */
export interface ScheduleDestination {
  to: string;
  keysTo?: string;
  region?: string;
  endpoint?: string;
  pathStyle?: boolean;
  sse?: 'AES256' | 'aws:kms';
  sseKmsKeyId?: string;
  requireSse?: boolean;
  /** A ConfigMap in the schedule's namespace whose key `ca-bundle.crt` is mounted and passed as --ca-bundle. */
  caBundleConfigMap?: string;
}

/** S3 credentials of the pod: referenced, never written into the tree. */
export type ScheduleCredentials =
  /** A Secret in the schedule's namespace holding AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  | { type: 'secret'; name: string }
  /** Workload identity on EKS (IRSA): the ServiceAccount's eks.amazonaws.com/role-arn. */
  | { type: 'irsa'; roleArn: string };

export interface ScheduleRequest {
  clusters: ScheduleClusters;
  /** The namespace of the CronJobs, the ServiceAccount and the referenced Secret. */
  jobNamespace: string;
  image: string;
  /** Validated cron schedule or macro. */
  schedule: string;
  timeZone?: string;
  mode: 'online' | 'quiesce';
  destination: ScheduleDestination;
  credentials: ScheduleCredentials;
  /** `backup prune` after each successful run; none means nothing is pruned. */
  retention?: RetentionPolicy;
  /** Extra `backup` flags, already validated: --pause-ttl, --wait-timeout, --force. */
  backupFlags: string[];
  startingDeadlineSeconds: number;
  activeDeadlineSeconds: number;
  toolVersion: string;
  /** The Pushgateway the runs push their results to (checked URL); with it, the tree holds a PrometheusRule. */
  pushgateway?: string;
  /** Restore drills on a schedule (drill.ts): their CronJob(s) and ServiceAccount, and the drill alerts of the PrometheusRule. */
  drill?: ScheduleDrill;
}

export interface ScheduleDrill {
  /** Validated cron schedule or macro. */
  schedule: string;
  /** A Secret in the schedule's namespace whose key `identity` (an age identity file) is mounted and passed as --decrypt-with. */
  identitySecret?: string;
}
