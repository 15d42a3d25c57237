/**
 * The CronJob controller's part of the simulator's Job runner (job-runner.ts): a run of a CronJob
 * created on demand, and the CronJob's status kept as kube keeps it (active, lastScheduleTime,
 * lastSuccessfulTime). There is no clock: tests trigger runs.
 */
import { clone, kubeTimestamp } from './store.ts';
import type { SimObject, SimStore } from './types.ts';

export const JOBS = { group: 'batch', version: 'v1', plural: 'jobs' };
export const CRON_JOBS = { group: 'batch', version: 'v1', plural: 'cronjobs' };

export interface TriggerOptions {
  /** `kubectl create job --from=cronjob/<name>` rather than the controller at a schedule time. */
  manual?: boolean;
  /** The Job's name (default: `<cronjob>-<minutes since the epoch>`, or `<cronjob>-manual-<5 chars>`). */
  jobName?: string;
}

/** True once the Job has a Complete or Failed condition. */
export function jobFinished(job: SimObject | undefined): boolean {
  const conditions = (job?.['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

const ownedBy = (o: SimObject, uid: string | undefined) =>
  ((o.metadata.ownerReferences ?? []) as Array<{ uid?: string }>).some((r) => r.uid !== undefined && r.uid === uid);

/**
 * A run of the CronJob: as the controller at a schedule time (nothing when suspended, or while one of
 * its Jobs is active under concurrencyPolicy Forbid; Replace deletes the active ones first), or as
 * `kubectl create job --from` (manual: no such checks, annotation cronjob.kubernetes.io/instantiate).
 */
export function triggerCronJob(store: SimStore, namespace: string, name: string, opts: TriggerOptions = {}): SimObject | undefined {
  const cj = store.get(CRON_JOBS, namespace, name);
  if (!cj) throw new Error(`cronjob ${namespace}/${name} not found`);
  const spec = (cj['spec'] ?? {}) as {
    suspend?: boolean;
    concurrencyPolicy?: string;
    jobTemplate?: { metadata?: Partial<SimObject['metadata']>; spec?: unknown };
  };
  const active = store.list(JOBS, namespace).filter((j) => ownedBy(j, cj.metadata.uid) && !jobFinished(j));
  if (!opts.manual) {
    if (spec.suspend) return undefined;
    if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) return undefined;
    if (spec.concurrencyPolicy === 'Replace') for (const j of active) store.delete(JOBS, namespace, j.metadata.name);
  }
  const now = new Date();
  const jobName =
    opts.jobName ??
    (opts.manual ? `${name}-manual-${Math.random().toString(36).slice(2, 7)}` : `${name}-${Math.floor(now.getTime() / 60_000)}`);
  const meta = spec.jobTemplate?.metadata ?? {};
  const annotations: Record<string, string> = opts.manual
    ? { 'cronjob.kubernetes.io/instantiate': 'manual' }
    : { 'batch.kubernetes.io/cronjob-scheduled-timestamp': kubeTimestamp(now) };
  const job = store.create(JOBS, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName,
      namespace,
      labels: { ...(meta.labels ?? {}) },
      annotations: { ...(meta.annotations ?? {}), ...annotations },
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name, uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: clone(spec.jobTemplate?.spec ?? {}),
  });
  store.mutate(CRON_JOBS, namespace, name, (o) => {
    const status = (o['status'] ?? {}) as { active?: unknown[]; lastScheduleTime?: string };
    status.active = [...(status.active ?? []), { apiVersion: 'batch/v1', kind: 'Job', name: jobName, namespace, uid: job.metadata.uid }];
    if (!opts.manual) status.lastScheduleTime = kubeTimestamp(now);
    o['status'] = status;
  });
  return job;
}

/** A Job of a CronJob finished: it leaves status.active; a success sets lastSuccessfulTime. */
export function cronJobRunFinished(store: SimStore, job: SimObject, succeeded: boolean): void {
  const owner = ((job.metadata.ownerReferences ?? []) as Array<{ kind?: string; name?: string }>).find((r) => r.kind === 'CronJob');
  if (!owner?.name || !store.get(CRON_JOBS, job.metadata.namespace, owner.name)) return;
  store.mutate(CRON_JOBS, job.metadata.namespace, owner.name, (cj) => {
    const status = (cj['status'] ?? {}) as { active?: Array<{ uid?: string }>; lastSuccessfulTime?: string };
    status.active = (status.active ?? []).filter((a) => a.uid !== job.metadata.uid);
    if (status.active.length === 0) delete status.active;
    if (succeeded) status.lastSuccessfulTime = kubeTimestamp();
    cj['status'] = status;
  });
}
