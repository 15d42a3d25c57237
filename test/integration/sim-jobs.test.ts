/**
 * The simulator's Job/CronJob runner (test/sandbox/api/job-runner.ts): Jobs run as local processes with
 * the pod's env (values, Secrets) and a service-account environment pointing at the simulator, their
 * status and logs as kube reports them (checked with the real kubectl where it reads them), deadlines
 * and backoff limits honoured; CronJobs triggered as the controller or `kubectl create job --from` does.
 * The "image" is a small Node script standing in for the plugin (the in-cluster mode of the real plugin
 * is in-cluster.test.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachJobRunner, CRON_JOBS, JOBS, type JobRunner } from '../sandbox/api/job-runner.ts';
import { startApiSimulator, type RunningSimulator } from '../sandbox/api/server.ts';
import type { SimObject } from '../sandbox/api/types.ts';

const KUBECTL = '/usr/bin/kubectl';
const HAVE_KUBECTL = existsSync(KUBECTL);
if (!HAVE_KUBECTL) console.warn(`sim-jobs: ${KUBECTL} not found; the kubectl checks are skipped`);
const NS = 'hcp-dr';
const PODS = { group: '', version: 'v1', plural: 'pods' };

let sim: RunningSimulator;
let runner: JobRunner;
let dir: string;
let admin: string;

/**
 * The stand-in image: prints its argv and chosen env, then reads a pod through the API with the
 * service-account token (as the in-cluster plugin would) and exits with the code its first argument names.
 */
const IMAGE = `
const fs = require('node:fs');
const https = require('node:https');
const dir = process.env.HCP_DR_SERVICEACCOUNT_DIR;
console.log('argv ' + process.argv.slice(2).join(' '));
console.log('env ' + ['AWS_ACCESS_KEY_ID', 'FROM_PREFIX_KEY', 'POD_NS', 'GREETING', 'HOME_SET'].map((k) => k + '=' + process.env[k]).join(' '));
if (process.argv[2] === 'sleep') setTimeout(() => {}, 60_000);
else {
  const ns = fs.readFileSync(dir + '/namespace', 'utf8');
  const req = https.request({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT,
    path: '/api/v1/namespaces/' + ns + '/secrets/s3', ca: fs.readFileSync(dir + '/ca.crt'),
    headers: { Authorization: 'Bearer ' + fs.readFileSync(dir + '/token', 'utf8') } }, (res) => {
    console.error('api ' + res.statusCode);
    res.resume();
    res.on('end', () => process.exit(Number(process.argv[2] ?? 0)));
  });
  req.end();
}
`;

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      { env: { PATH: process.env['PATH'] ?? '', HOME: dir, KUBECONFIG: admin }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

function cronJob(name: string, args: string[], extra: Record<string, unknown> = {}): SimObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: {
      schedule: '0 * * * *',
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        metadata: { labels: { app: 'hcp-dr' } },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              serviceAccountName: 'backup',
              restartPolicy: 'Never',
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'backup',
                  image: 'quay.io/example/hcp-dr:1.0',
                  command: ['hcp-dr'],
                  args,
                  env: [
                    { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                    { name: 'WHO', value: 'world' },
                    { name: 'GREETING', value: 'hello-$(WHO)' },
                    { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 's3', key: 'access-key' } } },
                  ],
                  envFrom: [{ prefix: 'FROM_PREFIX_', secretRef: { name: 's3' } }],
                },
              ],
            },
          },
          ...extra,
        },
      },
    },
  };
}

/** Polls `probe` until it answers something (the runner works asynchronously, as controllers do). */
async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const conditions = (job: SimObject) =>
  ((job['status'] as { conditions?: Array<{ type: string; reason?: string }> }).conditions ?? []).map((c) => `${c.type}:${c.reason ?? ''}`);
const podsOf = (job: SimObject) => sim.store.list(PODS, NS).filter((p) => p.metadata.labels?.['job-name'] === job.metadata.name);

describe('Job/CronJob runner of the API simulator', () => {
  beforeAll(async () => {
    sim = await startApiSimulator();
    dir = await mkdtemp(join(tmpdir(), 'sim-jobs-'));
    admin = await sim.writeKubeconfig(join(dir, 'admin'), { token: 'admin-token', namespace: NS, tls: true });
    const image = join(dir, 'image.cjs');
    await writeFile(image, IMAGE);
    runner = attachJobRunner(sim, { dir: join(dir, 'pods'), imageCommand: () => [process.execPath, image], backoffMs: 100 });
    sim.store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    sim.store.create(
      { group: '', version: 'v1', plural: 'serviceaccounts' },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'backup', namespace: NS } },
    );
    sim.store.create(
      { group: '', version: 'v1', plural: 'secrets' },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's3', namespace: NS },
        data: { 'access-key': Buffer.from('AKIDEXAMPLE').toString('base64'), KEY: Buffer.from('v').toString('base64') },
      },
    );
    const rbac = (plural: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', plural });
    sim.store.create(rbac('roles'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-s3', namespace: NS },
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['s3'], verbs: ['get'] }],
    });
    sim.store.create(rbac('rolebindings'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'read-s3', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-s3' },
      subjects: [{ kind: 'ServiceAccount', name: 'backup' }],
    });
  });
  afterAll(async () => {
    await runner?.stop();
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a triggered CronJob runs its command as a local process with the pod env and the service account, and completes', async () => {
    sim.store.create(CRON_JOBS, cronJob('backup-demo', ['0', 'backup', 'demo']));
    const job = runner.triggerCronJob(NS, 'backup-demo', { jobName: 'backup-demo-1' });
    expect(job?.metadata.name).toBe('backup-demo-1');
    expect((sim.store.get(CRON_JOBS, NS, 'backup-demo')?.['status'] as { active?: unknown[] }).active).toHaveLength(1);
    // Forbid: a second run while the first is active is skipped, as the controller skips it.
    expect(runner.triggerCronJob(NS, 'backup-demo')).toBeUndefined();
    const done = await runner.waitForJob(NS, 'backup-demo-1');
    expect(conditions(done)).toEqual(['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    expect(done['status']).toMatchObject({ succeeded: 1, active: 0 });
    const [pod] = podsOf(done);
    expect(pod?.['status']).toMatchObject({ phase: 'Succeeded' });
    const log = sim.logs.get(NS, pod!.metadata.name, 'backup') ?? '';
    expect(log).toContain('argv 0 backup demo\n');
    expect(log).toContain('env AWS_ACCESS_KEY_ID=AKIDEXAMPLE FROM_PREFIX_KEY=v POD_NS=hcp-dr GREETING=hello-world HOME_SET=undefined\n');
    expect(log).toContain('api 200\n');
    const cj = sim.store.get(CRON_JOBS, NS, 'backup-demo')?.['status'] as {
      active?: unknown;
      lastSuccessfulTime?: string;
      lastScheduleTime?: string;
    };
    expect([cj.active, typeof cj.lastSuccessfulTime]).toEqual([undefined, 'string']);
  });

  it('exit status and RBAC: a non-zero exit fails the Job (backoffLimit 0) and the 403 of an unbound account is in its log', async () => {
    sim.store.create(CRON_JOBS, cronJob('fails', ['3']));
    sim.store.create(
      { group: '', version: 'v1', plural: 'serviceaccounts' },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'unbound', namespace: NS } },
    );
    const cj = sim.store.get(CRON_JOBS, NS, 'fails')!;
    sim.store.mutate(CRON_JOBS, NS, 'fails', (o) => {
      (o['spec'] as { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } }).jobTemplate.spec.template.spec[
        'serviceAccountName'
      ] = 'unbound';
    });
    expect(cj.metadata.name).toBe('fails');
    const job = runner.triggerCronJob(NS, 'fails', { manual: true })!;
    expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    const done = await runner.waitForJob(NS, job.metadata.name);
    expect(conditions(done)).toEqual(['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    expect(done['status']).toMatchObject({ failed: 1, active: 0 });
    const pods = podsOf(done);
    expect(pods.map((p) => (p['status'] as { phase: string }).phase)).toEqual(['Failed']);
    const terminated = (pods[0]!['status'] as { containerStatuses: Array<{ state: { terminated: { exitCode: number } } }> })
      .containerStatuses[0]!.state.terminated;
    expect(terminated.exitCode).toBe(3);
    expect(sim.logs.get(NS, pods[0]!.metadata.name, 'backup')).toContain('api 403\n');
  });

  it('backoffLimit re-creates failed pods until the limit; activeDeadlineSeconds kills a long run', async () => {
    sim.store.create(CRON_JOBS, cronJob('retries', ['1'], { backoffLimit: 2 }));
    const retried = await runner.waitForJob(NS, runner.triggerCronJob(NS, 'retries')!.metadata.name);
    expect(retried['status']).toMatchObject({ failed: 3 });
    expect(podsOf(retried)).toHaveLength(3);

    sim.store.create(CRON_JOBS, cronJob('slow', ['sleep'], { activeDeadlineSeconds: 1 }));
    const slow = await runner.waitForJob(NS, runner.triggerCronJob(NS, 'slow')!.metadata.name);
    expect(conditions(slow)).toEqual(['FailureTarget:DeadlineExceeded', 'Failed:DeadlineExceeded']);
    const terminated = await until(() => {
      const [pod] = podsOf(slow);
      return (pod?.['status'] as { containerStatuses?: Array<{ state: { terminated?: { exitCode: number } } }> } | undefined)
        ?.containerStatuses?.[0]?.state.terminated;
    }, 'the killed container');
    expect(terminated.exitCode).toBe(143);
  });

  it('a missing Secret holds the container in CreateContainerConfigError until it exists', async () => {
    sim.store.create(CRON_JOBS, cronJob('late-secret', ['0']));
    sim.store.mutate(CRON_JOBS, NS, 'late-secret', (o) => {
      const c = (o['spec'] as { jobTemplate: { spec: { template: { spec: { containers: Array<{ envFrom: unknown[] }> } } } } }).jobTemplate
        .spec.template.spec.containers[0]!;
      c.envFrom = [{ secretRef: { name: 'later' } }];
    });
    const job = runner.triggerCronJob(NS, 'late-secret')!;
    const waiting = await until(() => {
      const pod = podsOf(sim.store.get(JOBS, NS, job.metadata.name)!)[0];
      return JSON.stringify(pod?.['status'] ?? {}).includes('CreateContainerConfigError') ? pod : undefined;
    }, 'the waiting container');
    expect(JSON.stringify(waiting['status'])).toContain('"reason":"CreateContainerConfigError","message":"secret \\"later\\" not found"');
    sim.store.create(
      { group: '', version: 'v1', plural: 'secrets' },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'later', namespace: NS }, data: {} },
    );
    expect(conditions(await runner.waitForJob(NS, job.metadata.name))).toContain('Complete:CompletionsReached');
  });

  it.skipIf(!HAVE_KUBECTL)('kubectl create job --from=cronjob runs it; kubectl reads its status and logs', async () => {
    const created = await kubectl(['create', 'job', 'by-kubectl', '--from=cronjob/backup-demo', '-n', NS]);
    expect([created.code, created.stdout.trim()], created.stderr).toEqual([0, 'job.batch/by-kubectl created']);
    await runner.waitForJob(NS, 'by-kubectl');
    const status = await kubectl([
      'get',
      'job',
      'by-kubectl',
      '-n',
      NS,
      '-o',
      'jsonpath={.status.succeeded} {.status.conditions[?(@.type=="Complete")].status}',
    ]);
    expect(status.stdout).toBe('1 True');
    const logs = await kubectl(['logs', 'job/by-kubectl', '-n', NS]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('argv 0 backup demo\n');
  });
});
