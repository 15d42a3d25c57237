/**
 * The CronJob of a schedule: one per named hosted cluster, or one for the fleet.
 *
 * Retention runs after the backup in the same pod, without a shell (the image holds the binary
 * only): the backup is the pod's init container and `backup prune` its container. Kubernetes
 * starts a container only after every init container succeeded, so prune never runs after a
 * failed backup, and each command keeps its own exit code and log (`kubectl logs -c backup`).
 *
 * No overlap: concurrencyPolicy Forbid, backoffLimit 0 (a retry would be a second backup of the
 * same cluster racing the first's rollback), restartPolicy Never, activeDeadlineSeconds.
 */
import { createHash } from 'node:crypto';
import { retentionArgv } from '../bundle/retention.ts';
import type { KubeObject } from '../model.ts';
import type { ScheduleDestination, ScheduleRequest } from './types.ts';
import { SERVICE_ACCOUNT } from './rbac.ts';

/** Where the Containerfile puts the binary (checked by test/unit/schedule-image.test.ts). */
export const IMAGE_BINARY = '/usr/local/bin/kubectl-hcp_dr';
const CA_MOUNT = '/etc/hcp-dr/ca';
const CA_KEY = 'ca-bundle.crt';
/** CronJob names are at most 52 characters (the Job controller appends 11). */
const MAX_CRONJOB_NAME = 52;

export function cronJobName(base: string): string {
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name.length <= MAX_CRONJOB_NAME) return name;
  const digest = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_CRONJOB_NAME - 9).replace(/-+$/, '')}-${digest}`;
}

/** The flags of the destination, as `backup`, `backup prune` and `drill` take them. */
export function storeFlags(d: ScheduleDestination, write: boolean): string[] {
  const out: string[] = [];
  if (d.region !== undefined) out.push('--region', d.region);
  if (d.endpoint !== undefined) out.push('--endpoint', d.endpoint);
  if (d.pathStyle) out.push('--path-style');
  if (d.caBundleConfigMap !== undefined) out.push('--ca-bundle', `${CA_MOUNT}/${CA_KEY}`);
  if (write && d.sse !== undefined) out.push('--sse', d.sse);
  if (write && d.sseKmsKeyId !== undefined) out.push('--sse-kms-key-id', d.sseKmsKeyId);
  if (write && d.requireSse) out.push('--require-sse');
  return out;
}

/** `backup` for one cluster (`name`) or the fleet, with the mode always explicit. */
export function backupArgs(request: ScheduleRequest, name: string | undefined): string[] {
  const c = request.clusters;
  const target =
    c.type === 'named'
      ? ['backup', name ?? '', '-n', c.namespace]
      : [
          'backup',
          '--all',
          ...(c.namespace ? ['-n', c.namespace] : []),
          ...(c.selector ? ['-l', c.selector] : []),
          ...(c.concurrency !== undefined ? ['--concurrency', String(c.concurrency)] : []),
        ];
  const d = request.destination;
  return [
    ...target,
    '--to',
    d.to,
    ...(d.keysTo !== undefined ? ['--keys-to', d.keysTo] : []),
    ...storeFlags(d, true),
    // The schedule is the confirmation of --quiesce's downtime: there is no terminal to ask.
    ...(request.mode === 'online' ? ['--online'] : ['--quiesce', '--yes']),
    ...request.backupFlags,
    ...(request.pushgateway !== undefined ? ['--pushgateway', request.pushgateway] : []),
  ];
}

/** `backup prune` after the backup: the cluster's backups, or (fleet) those of -n's clusters, or of every cluster under --to. */
export function pruneArgs(request: ScheduleRequest, name: string | undefined): string[] | undefined {
  if (!request.retention) return undefined;
  const c = request.clusters;
  return [
    'backup',
    'prune',
    '--from',
    request.destination.to,
    ...(c.type === 'named' ? [name ?? '', '-n', c.namespace] : c.namespace ? ['-n', c.namespace] : []),
    ...retentionArgv(request.retention),
    ...storeFlags(request.destination, false),
  ];
}

export function cronJob(request: ScheduleRequest, name: string | undefined, labels: Record<string, string>): KubeObject {
  const c = request.clusters;
  const prune = pruneArgs(request, name);
  const backup = podContainer(request, 'backup', backupArgs(request, name));
  return cronJobObject(request, {
    name: cronJobName(c.type === 'named' ? `backup-${c.namespace}-${name ?? ''}` : 'backup-fleet'),
    hostedCluster: c.type === 'named' ? `${c.namespace}/${name ?? ''}` : `${c.namespace ?? '*'}/*${c.selector ? ` (${c.selector})` : ''}`,
    labels,
    schedule: request.schedule,
    serviceAccount: SERVICE_ACCOUNT,
    pod: prune ? { initContainers: [backup], containers: [podContainer(request, 'prune', prune)] } : { containers: [backup] },
  });
}

/** A container of the image running `args`: the S3 credentials, /tmp and the CA bundle mounted, `mounts` added. */
export function podContainer(
  request: ScheduleRequest,
  containerName: string,
  args: string[],
  mounts: Array<Record<string, unknown>> = [],
): Record<string, unknown> {
  return {
    name: containerName,
    image: request.image,
    imagePullPolicy: 'IfNotPresent',
    command: [IMAGE_BINARY],
    args,
    env: environment(request),
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      ...(request.destination.caBundleConfigMap !== undefined ? [{ name: 'ca-bundle', mountPath: CA_MOUNT, readOnly: true }] : []),
      ...mounts,
    ],
  };
}

export interface CronJobPlan {
  name: string;
  /** The annotation hcp-dr.openshift.io/hosted-cluster: which clusters a run covers. */
  hostedCluster: string;
  labels: Record<string, string>;
  schedule: string;
  serviceAccount: string;
  pod: { initContainers?: Array<Record<string, unknown>>; containers: Array<Record<string, unknown>> };
  volumes?: Array<Record<string, unknown>>;
}

/** The CronJob around a pod: no overlap, no retry, the schedule's deadlines (see the header). */
export function cronJobObject(request: ScheduleRequest, plan: CronJobPlan): KubeObject {
  const labels = plan.labels;
  const annotations: Record<string, string> = { 'argocd.argoproj.io/sync-wave': '0' };
  annotations['hcp-dr.openshift.io/hosted-cluster'] = plan.hostedCluster;
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: plan.name, namespace: request.jobNamespace, labels, annotations },
    spec: {
      schedule: plan.schedule,
      ...(request.timeZone !== undefined ? { timeZone: request.timeZone } : {}),
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: request.startingDeadlineSeconds,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      suspend: false,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: request.activeDeadlineSeconds,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: plan.serviceAccount,
              automountServiceAccountToken: true,
              restartPolicy: 'Never',
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              ...plan.pod,
              volumes: [
                { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
                ...(request.destination.caBundleConfigMap !== undefined
                  ? [
                      {
                        name: 'ca-bundle',
                        configMap: { name: request.destination.caBundleConfigMap, items: [{ key: CA_KEY, path: CA_KEY }] },
                      },
                    ]
                  : []),
                ...(plan.volumes ?? []),
              ],
            },
          },
        },
      },
    },
  };
}

/** Credentials from the Secret by reference (IRSA needs none: the webhook injects them). */
function environment(request: ScheduleRequest): Array<Record<string, unknown>> {
  if (request.credentials.type !== 'secret') return [];
  const secret = request.credentials.name;
  const ref = (key: string, optional?: boolean) => ({
    name: key,
    valueFrom: { secretKeyRef: { name: secret, key, ...(optional ? { optional: true } : {}) } },
  });
  return [ref('AWS_ACCESS_KEY_ID'), ref('AWS_SECRET_ACCESS_KEY'), ref('AWS_SESSION_TOKEN', true)];
}
