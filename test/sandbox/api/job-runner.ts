/**
 * A Job and CronJob runner for the API simulator (opt-in; the sandbox's scheduled backups): the Job
 * controller here, the CronJob controller in cronjobs.ts, and a kubelet whose containers are LOCAL
 * processes in kubelet.ts (argv and env rules in pod-env.ts).
 *
 *   const runner = attachJobRunner(sb.sim, { dir, imageCommand: () => [path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr')] });
 *   const job = runner.triggerCronJob('hcp-dr', 'backup-demo');        // as the CronJob controller at a schedule time
 *   const done = await runner.waitForJob('hcp-dr', job!.metadata.name); // once Complete or Failed
 *   runner.podsOf(done)[0]  // its pod; sb.sim.logs.get(ns, pod, container) or `kubectl logs job/<name>`
 *   await runner.stop();                                               // kills what still runs
 *
 * With `podman: { image }` the pod's container runs FROM that image (container-kubelet.ts: the
 * service account mounted at /var/run/secrets/kubernetes.io/serviceaccount, host network). Otherwise
 * the image is replaced by `imageCommand(image)`: a container `command: ["hcp-dr", "backup", ...]`
 * runs `<imageCommand> backup ...`; `args` alone follow the entrypoint. The process sees the pod's
 * env (values, Secrets, ConfigMaps, fieldRefs) and a service-account environment pointing at the
 * simulator (KUBERNETES_SERVICE_HOST/PORT, HCP_DR_SERVICEACCOUNT_DIR with a token for the pod's
 * serviceAccountName, ca.crt, namespace), so the plugin runs in-cluster under the RBAC in the store.
 *
 * Every Job created (by triggerCronJob, `kubectl create job x --from=cronjob/y`, or any POST) gets
 * what kube-apiserver and the Job controller give it: spec.selector, backoffLimit 6 and the
 * controller-uid/job-name labels by default; one Pod `<job>-<5 chars>` owned by it (not before its
 * ServiceAccount exists: FailedCreate events until then; the namespace's "default" one is created as
 * kube's ServiceAccount controller would); status.active/startTime; on the container's exit succeeded
 * or failed and the conditions SuccessCriteriaMet+Complete or FailureTarget+Failed (reason
 * BackoffLimitExceeded or DeadlineExceeded), completionTime, Events. backoffLimit re-creates a failed
 * pod after `backoffMs` (doubling); activeDeadlineSeconds fails the Job and kills the process (SIGTERM,
 * SIGKILL after the pod's terminationGracePeriodSeconds, default 30 s); deleting the Job kills it and
 * deletes its pods. One pod at a time (completions and parallelism 1); suspended Jobs do not run.
 */
import { cronJobRunFinished, jobFinished, JOBS, triggerCronJob, type TriggerOptions } from './cronjobs.ts';
import { runPodInImage } from './container-kubelet.ts';
import { runPodContainer, type ContainerRun, type KubeletOptions } from './kubelet.ts';
import type { RunningSimulator } from './server.ts';
import { clone, kubeTimestamp } from './store.ts';
import type { SimObject } from './types.ts';

export { CRON_JOBS, JOBS } from './cronjobs.ts';
export type { ContainerSpec } from './pod-env.ts';

const PODS = { group: '', version: 'v1', plural: 'pods' };
const EVENTS = { group: '', version: 'v1', plural: 'events' };
const SERVICE_ACCOUNTS = { group: '', version: 'v1', plural: 'serviceaccounts' };

export interface JobRunnerOptions extends KubeletOptions {
  /** First delay before a failed pod is replaced (kube: 10 s, doubling); default 10 000. */
  backoffMs?: number;
  /**
   * Run pods FROM this image with podman (container-kubelet.ts) instead of as local processes
   * (`imageCommand` is then unused); see test/support/image-runner.ts for choosing it.
   */
  podman?: { image: string };
}

export interface JobRunner {
  /**
   * Runs a CronJob now (see cronjobs.ts): as the controller at a schedule time by default (undefined
   * when it would skip: suspended, or Forbid with a Job active), or `manual` as `kubectl create job --from`.
   */
  triggerCronJob(namespace: string, name: string, options?: TriggerOptions): SimObject | undefined;
  /** The Job once it has a Complete or Failed condition (rejects after timeoutMs, default 120 s). */
  waitForJob(namespace: string, name: string, timeoutMs?: number): Promise<SimObject>;
  /** The Job's pods, oldest first. */
  podsOf(job: SimObject): SimObject[];
  /**
   * Whether pods started from now on run FROM the image (the runner's `podman` option) or as local
   * processes (`imageCommand`); a pod already running keeps its runtime. Without `podman` it changes
   * nothing. For suites that check the image once and then need many runs of the same plugin.
   */
  usePodman(on: boolean): void;
  /** Kills every process still running and stops watching. */
  stop(): Promise<void>;
}

interface Run {
  job: SimObject;
  failures: number;
  container?: ContainerRun;
  pod?: string;
  finished: boolean;
  timers: NodeJS.Timeout[];
}

const rand = () => Math.random().toString(36).slice(2, 7).padEnd(5, 'x');

export function attachJobRunner(sim: RunningSimulator, options: JobRunnerOptions): JobRunner {
  const { store } = sim;
  const runs = new Map<string, Run>();
  const backoffMs = options.backoffMs ?? 10_000;
  let stopped = false;
  let podman = options.podman;

  const event = (job: SimObject, type: 'Normal' | 'Warning', reason: string, message: string) => {
    const now = kubeTimestamp();
    const { name, namespace, uid } = job.metadata;
    store.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${Date.now().toString(16)}${rand()}`, namespace: namespace ?? 'default' },
      involvedObject: { apiVersion: 'batch/v1', kind: 'Job', name, namespace, uid },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'job-controller' },
    });
  };
  const jobStatus = (run: Run, fn: (status: Record<string, unknown>) => void) => {
    if (!store.get(JOBS, run.job.metadata.namespace, run.job.metadata.name)) return;
    run.job = store.mutate(JOBS, run.job.metadata.namespace, run.job.metadata.name, (o) => {
      const status = (o['status'] ?? {}) as Record<string, unknown>;
      fn(status);
      o['status'] = status;
    });
  };

  const finish = (run: Run, succeeded: boolean, reason: string, message: string) => {
    if (run.finished) return;
    run.finished = true;
    for (const t of run.timers) clearTimeout(t);
    const now = kubeTimestamp();
    const cond = (type: string) => ({ type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now });
    jobStatus(run, (s) => {
      s['active'] = 0;
      s['ready'] = 0;
      if (succeeded) {
        s['succeeded'] = 1;
        s['completionTime'] = now;
      }
      s['conditions'] = succeeded ? [cond('SuccessCriteriaMet'), cond('Complete')] : [cond('FailureTarget'), cond('Failed')];
    });
    event(run.job, succeeded ? 'Normal' : 'Warning', succeeded ? 'Completed' : reason, succeeded ? 'Job completed' : message);
    cronJobRunFinished(store, run.job, succeeded);
  };

  const onExit = (run: Run, exitCode: number) => {
    run.container = undefined;
    if (run.finished || stopped) return;
    if (exitCode === 0) return finish(run, true, 'CompletionsReached', 'Reached expected number of succeeded pods');
    run.failures++;
    jobStatus(run, (s) => {
      s['failed'] = run.failures;
      s['active'] = 0;
      s['ready'] = 0;
    });
    const limit = (run.job['spec'] as { backoffLimit?: number }).backoffLimit ?? 6;
    if (run.failures > limit) return finish(run, false, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    run.timers.push(setTimeout(() => createPod(run), backoffMs * 2 ** (run.failures - 1)));
  };

  const createPod = (run: Run) => {
    if (run.finished || stopped) return;
    const job = run.job;
    const ns = job.metadata.namespace ?? 'default';
    const template = clone((job['spec'] as { template?: SimObject }).template ?? ({ metadata: { name: '' } } as SimObject));
    const podSpec = (template['spec'] ?? {}) as { serviceAccountName?: string; nodeName?: string; containers?: unknown[] };
    const sa = podSpec.serviceAccountName ?? 'default';
    if (!store.get(SERVICE_ACCOUNTS, ns, sa)) {
      if (sa === 'default') {
        store.create(SERVICE_ACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
      } else {
        const why = `error looking up service account ${ns}/${sa}: serviceaccount "${sa}" not found`;
        event(job, 'Warning', 'FailedCreate', `Error creating: pods "${job.metadata.name}-" is forbidden: ${why}`);
        run.timers.push(setTimeout(() => createPod(run), 1000));
        return;
      }
    }
    const name = `${job.metadata.name}-${rand()}`;
    const owner = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: job.metadata.name,
      uid: job.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    const pod = store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...template.metadata, name, namespace: ns, ownerReferences: [owner] },
      spec: { ...podSpec, serviceAccountName: sa, nodeName: podSpec.nodeName ?? 'sim-node' },
      status: { phase: 'Pending', startTime: kubeTimestamp() },
    });
    run.pod = name;
    event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
    jobStatus(run, (s) => {
      s['active'] = 1;
      s['startTime'] ??= kubeTimestamp();
    });
    if (!podSpec.containers?.length) return finish(run, false, 'PodFailed', 'the pod template has no container');
    const exit = (code: number) => onExit(run, code);
    run.container = podman
      ? runPodInImage(sim, { dir: options.dir, image: podman.image }, pod, exit)
      : runPodContainer(sim, options, pod, exit);
  };

  const terminate = (run: Run) => {
    const pod = run.pod ? store.get(PODS, run.job.metadata.namespace, run.pod) : undefined;
    const grace = (pod?.['spec'] as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30;
    run.container?.terminate(grace * 1000);
  };

  const start = (job: SimObject) => {
    const uid = job.metadata.uid ?? '';
    if (runs.has(uid) || jobFinished(job) || (job['spec'] as { suspend?: boolean } | undefined)?.suspend) return;
    const run: Run = { job, failures: 0, finished: false, timers: [] };
    runs.set(uid, run);
    // What kube-apiserver defaults on create: the selector, the labels it selects, the counts.
    const labels = {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': job.metadata.name,
      'controller-uid': uid,
      'job-name': job.metadata.name,
    };
    run.job = store.mutate(JOBS, job.metadata.namespace, job.metadata.name, (o) => {
      const spec = (o['spec'] ?? {}) as Record<string, unknown> & { template?: SimObject };
      spec['selector'] ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      spec['backoffLimit'] ??= 6;
      spec['completions'] ??= 1;
      spec['parallelism'] ??= 1;
      const template = spec.template ?? ({ metadata: { name: '' } } as SimObject);
      template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), ...labels } };
      spec.template = template;
      o['spec'] = spec;
    });
    const deadline = (run.job['spec'] as { activeDeadlineSeconds?: number }).activeDeadlineSeconds;
    if (deadline !== undefined) {
      const timer = setTimeout(() => {
        finish(run, false, 'DeadlineExceeded', 'Job was active longer than specified deadline');
        terminate(run);
      }, deadline * 1000);
      run.timers.push(timer);
    }
    createPod(run);
  };

  const podsOf = (job: SimObject) =>
    store
      .list(PODS, job.metadata.namespace)
      .filter((p) => ((p.metadata.ownerReferences ?? []) as Array<{ uid?: string }>).some((r) => r.uid === job.metadata.uid))
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));

  const unsubscribe = store.subscribe((e) => {
    if (e.resource.group !== JOBS.group || e.resource.plural !== JOBS.plural) return;
    const uid = e.object.metadata.uid ?? '';
    if (e.type === 'DELETED') {
      const run = runs.get(uid);
      if (!run) return;
      run.finished = true;
      for (const t of run.timers) clearTimeout(t);
      terminate(run);
      // The garbage collector removes the Job's pods (background propagation, kubectl's default).
      for (const p of podsOf(e.object)) store.delete(PODS, p.metadata.namespace, p.metadata.name);
      return;
    }
    // Outside the store's dispatch: the controller's own writes must not nest in another write's listeners.
    setImmediate(() => {
      if (stopped) return;
      const current = store.get(JOBS, e.object.metadata.namespace, e.object.metadata.name);
      if (current && current.metadata.uid === uid) start(current);
    });
  });

  return {
    triggerCronJob: (namespace, name, opts) => triggerCronJob(store, namespace, name, opts),
    usePodman: (on) => void (podman = on ? options.podman : undefined),
    async waitForJob(namespace, name, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = store.get(JOBS, namespace, name);
        if (job && jobFinished(job)) return job;
        if (Date.now() > deadline) {
          throw new Error(`job ${namespace}/${name} did not finish within ${timeoutMs} ms: ${JSON.stringify(job?.['status'] ?? 'absent')}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    podsOf,
    async stop() {
      stopped = true;
      unsubscribe();
      for (const run of runs.values()) {
        for (const t of run.timers) clearTimeout(t);
        run.container?.terminate(0);
      }
      await Promise.all([...runs.values()].map((run) => run.container?.closed() ?? Promise.resolve()));
    },
  };
}
