/**
 * The must-hold of `schedule`, end to end: the tree it writes, applied to the sandbox with the real
 * kubectl (apply -k), its CronJob triggered through the simulator's Job runner, which runs the BUILT
 * plugin (plugin/kubectl-hcp_dr over dist/) as the pod's process with only the pod's service-account
 * environment, authorized by the simulator's RBAC: the backup of clusters/demo lands in the S3 test
 * server under exactly the generated RBAC. Then, one rule at a time removed from the generated
 * ClusterRoles (same sandbox, only re-triggered; the plugin as a local process), the run fails with a 403 naming that permission,
 * and leaves the hosted cluster as it was (no lock; quiesced: no pause, API servers at their replicas).
 * Three trees share the sandbox, each in its own job namespace: named online, named quiesced, fleet.
 *
 * The runner runs a pod's first container only (no init containers), so these trees have no
 * retention; the last suite's tree has (backup as init container, prune as container), and runs
 * the two as successive Jobs of the CronJob's template, in the order the kubelet would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { runAsync } from '../support/spawn.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { podRunner } from '../support/image-runner.ts';
import { attachJobRunner, type JobRunner } from '../sandbox/api/job-runner.ts';
import type { SimObject } from '../sandbox/api/types.ts';
import { permissionsOf, WORKFLOWS } from '../../src/core/permissions.ts';
import type { PolicyRule } from '../../src/core/policy-rules.ts';

const PLUGIN = path.join(REPO_ROOT, 'plugin', 'kubectl-hcp_dr');
const BUILT = path.join(REPO_ROOT, 'dist', 'hcp-dr.cjs');
const CLUSTER_ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles' };
const PODS = { group: '', version: 'v1', plural: 'pods' };
const HOSTED_CLUSTERS = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const SECRETS = { group: '', version: 'v1', plural: 'secrets' };
const CONFIG_MAPS = { group: '', version: 'v1', plural: 'configmaps' };
const JOBS = { group: 'batch', version: 'v1', plural: 'jobs' };
const CRON_JOBS = { group: 'batch', version: 'v1', plural: 'cronjobs' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', plural: 'deployments' };
const LOCK = 'hcp-dr.openshift.io/operation';

if (!existsSync(BUILT))
  console.warn(`skipping schedule end-to-end tests: ${BUILT} is absent (npm run build writes it; npm test builds first)`);

let sb: Sandbox;
let dir: string;
let runner: JobRunner;
let s3: S3Client;
let runs = 0;

interface Variant {
  title: string;
  jobNamespace: string;
  flags: string[];
  cronJob: string;
  prefix: string;
}

const VARIANTS: Variant[] = [
  { title: 'demo, online', jobNamespace: 'hcp-dr', flags: ['demo', '-n', 'clusters'], cronJob: 'backup-clusters-demo', prefix: 'online' },
  {
    title: 'demo, quiesced',
    jobNamespace: 'hcp-dr-quiesce',
    flags: ['demo', '-n', 'clusters', '--quiesce'],
    cronJob: 'backup-clusters-demo',
    prefix: 'quiesce',
  },
  { title: 'the fleet (--all)', jobNamespace: 'hcp-dr-fleet', flags: ['--all'], cronJob: 'backup-fleet', prefix: 'fleet' },
];

interface Outcome {
  state: 'Complete' | 'Failed';
  log: string;
}

/** Triggers the CronJob as `kubectl create job --from=cronjob/...` does and waits for its Job. */
async function trigger(v: Variant): Promise<Outcome> {
  const job = runner.triggerCronJob(v.jobNamespace, v.cronJob, { manual: true, jobName: `${v.cronJob}-run-${++runs}` });
  if (!job) throw new Error('the runner did not create a Job');
  const done = await runner.waitForJob(v.jobNamespace, job.metadata.name, 120_000);
  const conditions = ((done['status'] as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).filter(
    (c) => c.status === 'True',
  );
  const [pod] = sb.sim.store.list(PODS, v.jobNamespace, `job-name=${job.metadata.name}`);
  const log = pod ? (sb.sim.logs.get(v.jobNamespace, pod.metadata.name, 'backup') ?? '') : '';
  return { state: conditions.some((c) => c.type === 'Complete') ? 'Complete' : 'Failed', log };
}

async function backupKeys(v: Variant): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: `${v.prefix}/clusters/demo/` }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

/** A rule granting only permissions the declaration marks optional (the run warns without them). */
function grantsOnlyOptional(rule: PolicyRule): boolean {
  const all = WORKFLOWS.flatMap((w) => permissionsOf(w));
  const matching = all.filter((p) => rule.apiGroups.includes(p.group) && rule.resources.includes(p.resource));
  return matching.length > 0 && matching.every((p) => p.optional === true);
}
function rulesOf(role: string): PolicyRule[] {
  return (sb.sim.store.get(CLUSTER_ROLES, undefined, role)?.['rules'] ?? []) as PolicyRule[];
}
function setRules(role: string, rules: PolicyRule[]): void {
  sb.sim.store.mutate(CLUSTER_ROLES, undefined, role, (o: SimObject) => void (o['rules'] = rules));
}

/** What a failed run must leave as it found it: the lock, the pause, the API servers' replicas. */
function clusterState(): string {
  const hc = sb.sim.store.get(HOSTED_CLUSTERS, sb.namespace, sb.name);
  const replicas = sb.sim.store
    .list(DEPLOYMENTS, sb.controlPlaneNamespace)
    .map((d) => `${d.metadata.name}=${String((d['spec'] as { replicas?: number }).replicas)}`)
    .sort();
  const lock = hc?.metadata.annotations?.[LOCK] ?? 'no lock';
  const paused = (hc?.['spec'] as { pausedUntil?: string }).pausedUntil ?? 'not paused';
  return [lock, paused, ...replicas].join(' ');
}

/** Writes the variant's tree with `schedule`, applies it with kubectl, adds the Secret it references; its ClusterRoles. */
async function deploy(v: Variant): Promise<string[]> {
  const tree = path.join(dir, v.jobNamespace);
  const generated = await runCliInProcess([
    'schedule',
    ...v.flags,
    '--job-namespace',
    v.jobNamespace,
    '--to',
    `s3://${sb.s3.bucket}/${v.prefix}`,
    '--endpoint',
    sb.s3.endpoint,
    '--path-style',
    '--region',
    sb.s3.region,
    '--every',
    '@hourly',
    '--image',
    'ghcr.io/example/hcp-dr:test',
    '--s3-secret',
    'hcp-dr-s3',
    '--out',
    tree,
  ]);
  expect(generated.stderr).toBe('');
  expect(generated.code).toBe(0);
  // Asynchronously: the simulator answers from this very process. It serves no OpenAPI.
  const applied = await runAsync('kubectl', ['--kubeconfig', sb.kubeconfig, 'apply', '--validate=false', '-k', tree]);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  // The Secret the tree references (created by the platform team, never by the tree).
  sb.sim.store.create(SECRETS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hcp-dr-s3', namespace: v.jobNamespace },
    type: 'Opaque',
    data: {
      AWS_ACCESS_KEY_ID: Buffer.from(sb.s3.accessKeyId).toString('base64'),
      AWS_SECRET_ACCESS_KEY: Buffer.from(sb.s3.secretAccessKey).toString('base64'),
    },
  });
  return (yaml.loadAll(spawnSync('kubectl', ['kustomize', tree], { encoding: 'utf8' }).stdout) as SimObject[])
    .filter((o) => o.kind === 'ClusterRole')
    .map((o) => o.metadata.name);
}

beforeAll(async () => {
  if (!existsSync(BUILT)) return;
  sb = await startSandbox();
  dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-schedule-e2e-'));
  s3 = new S3Client({
    endpoint: sb.s3.endpoint,
    region: sb.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey },
  });
  // A trust bundle, as real hosted clusters reference one: the backup then reads a ConfigMap too,
  // and the rule that grants it is exercised.
  sb.sim.store.create(CONFIG_MAPS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'demo-trust-bundle', namespace: sb.namespace },
    data: { 'ca-bundle.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
  });
  sb.sim.store.mutate(HOSTED_CLUSTERS, sb.namespace, sb.name, (o: SimObject) => {
    (o['spec'] as Record<string, unknown>)['additionalTrustBundle'] = { name: 'demo-trust-bundle' };
  });
  runner = attachJobRunner(sb.sim, { dir: path.join(dir, 'pods'), ...podRunner([PLUGIN]) });
}, 180_000);

afterAll(async () => {
  await runner?.stop();
  s3?.destroy();
  await sb?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(BUILT)).each(VARIANTS)(
  'schedule of $title: the generated CronJob on the sandbox, under the generated RBAC',
  (v) => {
    let roles: string[] = [];
    beforeAll(async () => {
      roles = await deploy(v);
    }, 120_000);

    it('when the CronJob is triggered, the pod backs up clusters/demo to S3 as the generated ServiceAccount', async () => {
      runner.usePodman(true); // also when an earlier variant's rule loop failed before switching back
      expect(roles.length).toBeGreaterThan(0);
      expect(await backupKeys(v)).toEqual([]);
      const before = clusterState();
      const run = await trigger(v);
      expect(run.log).not.toMatch(/^error:/m);
      expect(run.state).toBe('Complete');
      const keys = await backupKeys(v);
      expect(keys.filter((k) => k.endsWith('/backup.json'))).toHaveLength(1);
      expect(keys.some((k) => k.endsWith('/snapshot.db'))).toBe(true);
      expect(clusterState()).toBe(before);
      // What the pod wrote (from the image, where podman runs it) verifies.
      const backup = `s3://${sb.s3.bucket}/${path.posix.dirname(keys.find((k) => k.endsWith('/backup.json')) ?? '')}/`;
      const verify = await runAsync(PLUGIN, ['backup', 'verify', backup, '--endpoint', sb.s3.endpoint, '--path-style'], {
        ...process.env,
        AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
        AWS_REGION: sb.s3.region,
      });
      expect(verify.code, verify.stderr).toBe(0);
    }, 180_000);

    it('when any one generated rule is removed, the run fails with a 403 naming that permission and leaves the cluster as it was (or, when the undo itself needs it, as resume leaves it)', async () => {
      const before = clusterState();
      const checked: string[] = [];
      const needResume: string[] = [];
      // The image ran this tree in the test before; the RBAC is the simulator's whatever runs the
      // plugin, so each rule's run is the same built plugin as a local process (a container start each
      // would add a second per rule), and the last run, every rule back, is FROM the image again.
      runner.usePodman(false);
      for (const role of roles) {
        const rules = rulesOf(role);
        for (let i = 0; i < rules.length; i++) {
          const rule = rules[i] as PolicyRule;
          const name = `${rule.apiGroups[0] || 'core'}/${rule.resources[0]} (${role})`;
          setRules(
            role,
            rules.filter((_, j) => j !== i),
          );
          try {
            const run = await trigger(v);
            if (process.env['SCHEDULE_E2E_SHOW']) console.log(name, '\n', run.log);
            if (grantsOnlyOptional(rule)) {
              // The management cluster's identity: the backup goes on and says what it could not record.
              expect(run.state, `${name}: ${run.log}`).toBe('Complete');
              expect(run.log, name).toMatch(/^warning: (\S+: )?could not read .*forbidden.*records no management-cluster identity/m);
              checked.push(name);
              continue;
            }
            expect(run.state, `${name}: ${run.log}`).toBe('Failed');
            const [resource = ''] = rule.resources;
            const missing = new RegExp(
              `cannot (${rule.verbs.join('|')}) resource "${resource.replace('/', '\\/')}" in API group "${rule.apiGroups[0] ?? ''}"`,
            );
            // A fleet run names each failed cluster with its cause; a single backup has one error line.
            expect(run.log, name).toMatch(/forbidden/);
            expect(run.log, name).toMatch(missing);
            if (v.flags[0] !== '--all') {
              const errors = run.log.split('\n').filter((l) => l.startsWith('error:'));
              expect(errors, name).toHaveLength(1);
              expect(errors[0], name).toMatch(missing);
              if (errors[0]?.includes('the rollback failed')) {
                // The undo needs the very permission that is missing (waiting for the unpause to reach the
                // HostedControlPlane): the run says so and leaves what `resume` undoes, with a hint to it.
                expect(run.log, name).toMatch(/^hint: undo what is left with: kubectl hcp-dr resume demo -n clusters$/m);
                const resumed = await runCliInProcess(['resume', 'demo', '-n', sb.namespace, '--kubeconfig', sb.kubeconfig]);
                expect(resumed.code, resumed.stderr).toBe(0);
                needResume.push(name);
              } else {
                expect(run.log, name).toMatch(/^hint: ask a cluster admin for this permission/m);
              }
            }
            expect(clusterState(), `${name}: the cluster was left changed`).toBe(before);
            checked.push(name);
          } finally {
            setRules(role, rules);
          }
        }
      }
      runner.usePodman(true);
      expect(checked.length).toBe(roles.reduce((n, r) => n + rulesOf(r).length, 0));
      // Only a quiesced run's undo can need a permission the run lacked.
      if (!v.flags.includes('--quiesce')) expect(needResume).toEqual([]);
      if (process.env['SCHEDULE_E2E_SHOW']) console.log(`${v.title}: resume needed after removing ${needResume.join(', ') || 'nothing'}`);
      // With every rule back, a run succeeds again: the failures were the missing rules, nothing else.
      expect((await trigger(v)).state).toBe('Complete');
    }, 600_000);

    it('when the tree is read, no file of it holds a credential: the Secret is referenced by name', async () => {
      const tree = path.join(dir, v.jobNamespace);
      const files = (await readdir(tree, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      expect(files.length).toBeGreaterThan(5);
      for (const f of files) {
        const text = await readFile(path.join(f.parentPath, f.name), 'utf8');
        expect(text).not.toContain(sb.s3.secretAccessKey);
        expect(text).not.toContain(sb.s3.accessKeyId);
      }
    });
  },
);

describe.skipIf(!existsSync(BUILT))('schedule with retention: the backup (init container), then backup prune (container)', () => {
  const v: Variant = {
    title: 'demo, keep-last 1',
    jobNamespace: 'hcp-dr-keep',
    flags: ['demo', '-n', 'clusters', '--keep-last', '1'],
    cronJob: 'backup-clusters-demo',
    prefix: 'keep',
  };
  let podSpec: { initContainers?: Array<{ name: string }>; containers: Array<{ name: string }> };

  beforeAll(async () => {
    await deploy(v);
    const cronJob = sb.sim.store.get(CRON_JOBS, v.jobNamespace, v.cronJob);
    podSpec = (cronJob?.['spec'] as { jobTemplate: { spec: { template: { spec: typeof podSpec } } } }).jobTemplate.spec.template.spec;
  }, 120_000);

  /**
   * One scheduled run as the kubelet would do it: the init container to completion, then the container.
   * The runner models only a pod's first container, so each step runs as its own Job of the same template.
   */
  async function scheduledRun(): Promise<Outcome[]> {
    const cronJob = sb.sim.store.get(CRON_JOBS, v.jobNamespace, v.cronJob) as SimObject;
    const template = (cronJob['spec'] as { jobTemplate: { spec: Record<string, unknown> & { template: { spec: object } } } }).jobTemplate;
    const outcomes: Outcome[] = [];
    for (const container of [...(podSpec.initContainers ?? []), ...podSpec.containers]) {
      const name = `${v.cronJob}-${container.name}-${++runs}`;
      sb.sim.store.create(JOBS, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, namespace: v.jobNamespace },
        spec: {
          ...template.spec,
          template: { ...template.spec.template, spec: { ...podSpecWithout(template.spec.template.spec), containers: [container] } },
        },
      });
      const done = await runner.waitForJob(v.jobNamespace, name, 120_000);
      const ok = ((done['status'] as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).some(
        (c) => c.type === 'Complete' && c.status === 'True',
      );
      const [pod] = sb.sim.store.list(PODS, v.jobNamespace, `job-name=${name}`);
      outcomes.push({
        state: ok ? 'Complete' : 'Failed',
        log: pod ? (sb.sim.logs.get(v.jobNamespace, pod.metadata.name, container.name) ?? '') : '',
      });
      if (!ok) break; // as the kubelet: a failed init container, and the container never starts
    }
    return outcomes;
  }

  it('when two scheduled runs have run, the second prune has kept exactly the newest backup', async () => {
    expect(podSpec.initContainers?.map((c) => c.name)).toEqual(['backup']);
    expect(podSpec.containers.map((c) => c.name)).toEqual(['prune']);
    const first = await scheduledRun();
    expect(
      first.map((o) => o.state),
      first.map((o) => o.log).join('\n'),
    ).toEqual(['Complete', 'Complete']);
    const afterFirst = (await backupKeys(v)).filter((k) => k.endsWith('/backup.json'));
    expect(afterFirst).toHaveLength(1);
    const second = await scheduledRun();
    expect(
      second.map((o) => o.state),
      second.map((o) => o.log).join('\n'),
    ).toEqual(['Complete', 'Complete']);
    const afterSecond = (await backupKeys(v)).filter((k) => k.endsWith('/backup.json'));
    expect(afterSecond).toHaveLength(1);
    expect(afterSecond[0]).not.toBe(afterFirst[0]);
    expect((await backupKeys(v)).filter((k) => k.startsWith(path.posix.dirname(afterFirst[0] ?? '')))).toEqual([]);
  }, 300_000);
});

function podSpecWithout(spec: object): object {
  const { initContainers: _dropped, ...rest } = spec as { initContainers?: unknown };
  return rest;
}
