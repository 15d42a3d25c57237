/**
 * `schedule --drill-every` on the sandbox: the tree applied with the real kubectl, its drill
 * CronJob triggered through the simulator's Job runner, which runs the BUILT plugin as the pod
 * (from the image with podman where it can, else as a process: test/support/image-runner.ts) with
 * only the drill ServiceAccount's token, authorized by the simulator's RBAC. The drill of the
 * newest backup passes, drill.json lands beside it, the scratch namespace is gone. Then each rule
 * of the drill's ClusterRole removed in turn: the run fails with a 403 naming that permission and
 * leaves nothing behind (the namespace's get, patch and delete are one rule: without it the drill
 * creates nothing).
 * The fleet form (`drill --all`) runs too, also with one cluster's backup damaged; and the args an encrypted, compressed schedule writes
 * back up and drill as written (the identity Secret's mount replaced by a local file: the simulated
 * kubelets mount no Secret volumes).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { runAsync } from '../support/spawn.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { podRunner } from '../support/image-runner.ts';
import { attachJobRunner, type JobRunner } from '../sandbox/api/job-runner.ts';
import type { SimObject } from '../sandbox/api/types.ts';
import { demoBackupArgs, sandboxS3Client, useSandboxCredentials } from '../support/sandbox-s3.ts';
import type { PolicyRule } from '../../src/core/policy-rules.ts';
import type { DrillResult } from '../../src/core/drill/result.ts';

const PLUGIN = path.join(REPO_ROOT, 'plugin', 'kubectl-hcp_dr');
const BUILT = path.join(REPO_ROOT, 'dist', 'hcp-dr.cjs');
const CLUSTER_ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles' };
const NAMESPACES = { group: '', version: 'v1', plural: 'namespaces' };
const PODS = { group: '', version: 'v1', plural: 'pods' };
const SECRETS = { group: '', version: 'v1', plural: 'secrets' };

if (!existsSync(BUILT)) console.warn(`skipping schedule drill tests: ${BUILT} is absent (npm run build writes it; npm test builds first)`);

let sb: Sandbox;
let dir: string;
let runner: JobRunner;
let s3: S3Client;
let restoreEnv: (() => void) | undefined;
let backupId: string;
let runs = 0;

interface Outcome {
  state: 'Complete' | 'Failed';
  log: string;
}

async function trigger(jobNamespace: string, cronJob: string): Promise<Outcome> {
  const job = runner.triggerCronJob(jobNamespace, cronJob, { manual: true, jobName: `${cronJob}-run-${++runs}` });
  if (!job) throw new Error('the runner did not create a Job');
  const done = await runner.waitForJob(jobNamespace, job.metadata.name, 180_000);
  const conditions = ((done['status'] as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).filter(
    (c) => c.status === 'True',
  );
  const [pod] = sb.sim.store.list(PODS, jobNamespace, `job-name=${job.metadata.name}`);
  const log = pod ? (sb.sim.logs.get(jobNamespace, pod.metadata.name, 'drill') ?? '') : '';
  return { state: conditions.some((c) => c.type === 'Complete') ? 'Complete' : 'Failed', log };
}

/** Writes the tree with `schedule`, applies it with kubectl, and adds the S3 Secret it references. */
async function deploy(jobNamespace: string, target: string[]): Promise<void> {
  const tree = path.join(dir, jobNamespace);
  const generated = await runCliInProcess([
    'schedule',
    ...target,
    '--job-namespace',
    jobNamespace,
    '--to',
    `s3://${sb.s3.bucket}/hcp`,
    '--endpoint',
    sb.s3.endpoint,
    '--path-style',
    '--region',
    sb.s3.region,
    '--every',
    '@daily',
    '--drill-every',
    '@weekly',
    '--image',
    'ghcr.io/example/hcp-dr:test',
    '--s3-secret',
    'hcp-dr-s3',
    '--out',
    tree,
  ]);
  expect(generated.stderr).toBe('');
  expect(generated.code).toBe(0);
  const applied = await runAsync('kubectl', ['--kubeconfig', sb.kubeconfig, 'apply', '--validate=false', '-k', tree]);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  sb.sim.store.create(SECRETS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hcp-dr-s3', namespace: jobNamespace },
    type: 'Opaque',
    data: {
      AWS_ACCESS_KEY_ID: Buffer.from(sb.s3.accessKeyId).toString('base64'),
      AWS_SECRET_ACCESS_KEY: Buffer.from(sb.s3.secretAccessKey).toString('base64'),
    },
  });
}

async function drillJson(): Promise<DrillResult> {
  const out = await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: `hcp/clusters/demo/${backupId}/drill.json` }));
  return JSON.parse(await out.Body!.transformToString()) as DrillResult;
}

const left = (scratch: string) => ({
  namespace: sb.sim.store.get(NAMESPACES, undefined, scratch) !== undefined,
  pods: sb.sim.store.list(PODS, scratch).length,
});

beforeAll(async () => {
  if (!existsSync(BUILT)) return;
  sb = await startSandbox();
  restoreEnv = useSandboxCredentials(sb);
  s3 = sandboxS3Client(sb);
  dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-schedule-drill-'));
  const backup = await runCliInProcess(demoBackupArgs(sb, ['--online', '-o', 'json']));
  expect(backup.code, backup.stderr).toBe(0);
  backupId = (JSON.parse(backup.stdout) as { id: string }).id;
  runner = attachJobRunner(sb.sim, { dir: path.join(dir, 'pods'), ...podRunner([PLUGIN]) });
}, 240_000);

afterAll(async () => {
  await runner?.stop();
  restoreEnv?.();
  s3?.destroy();
  await sb?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(BUILT))('schedule --drill-every on the sandbox, under the generated drill RBAC', () => {
  const jobNamespace = 'hcp-dr';
  const scratch = 'hcp-dr-drill-demo';
  const role = `hcp-dr.${jobNamespace}.drill`;
  beforeAll(async () => {
    await deploy(jobNamespace, ['demo', '-n', 'clusters']);
  }, 120_000);

  it('when the drill CronJob is triggered, the pod drills the newest backup as hcp-dr-drill: exit 0, drill.json beside it, nothing left', async () => {
    const run = await trigger(jobNamespace, 'drill-clusters-demo');
    expect(run.log).not.toMatch(/^error:/m);
    expect(run.state, run.log).toBe('Complete');
    expect(run.log).toContain(`drilling the newest backup of clusters/demo: s3://${sb.s3.bucket}/hcp/clusters/demo/${backupId}/`);
    const result = await drillJson();
    expect(result.result).toBe('Passed');
    expect(result.scratchNamespace).toBe(scratch);
    expect(result.checks.every((c) => c.result === 'pass')).toBe(true);
    expect(left(scratch)).toEqual({ namespace: false, pods: 0 });
  }, 240_000);

  it('when any one rule of the drill ClusterRole is removed, the run fails with a 403 naming it and leaves nothing behind', async () => {
    const rules = (sb.sim.store.get(CLUSTER_ROLES, undefined, role)?.['rules'] ?? []) as PolicyRule[];
    expect(rules.length).toBeGreaterThanOrEqual(5);
    const checked: string[] = [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as PolicyRule;
      const name = `${rule.resources[0]}:${rule.verbs.join(',')}`;
      sb.sim.store.mutate(CLUSTER_ROLES, undefined, role, (o: SimObject) => void (o['rules'] = rules.filter((_, j) => j !== i)));
      try {
        const run = await trigger(jobNamespace, 'drill-clusters-demo');
        expect(run.state, `${name}: ${run.log}`).toBe('Failed');
        const resource = (rule.resources[0] ?? '').replace('/', '\\/');
        expect(run.log, name).toMatch(new RegExp(`cannot (${rule.verbs.join('|')}) resource "${resource}"`));
        // The denial names the drill's own ServiceAccount: the pod ran as it, not as the backup's.
        expect(run.log, name).toContain(`User "system:serviceaccount:${jobNamespace}:hcp-dr-drill"`);
        if (process.env['SCHEDULE_E2E_SHOW']) console.log(name, '\n', run.log);
        expect(left(scratch), name).toEqual({ namespace: false, pods: 0 });
        checked.push(name);
      } finally {
        sb.sim.store.mutate(CLUSTER_ROLES, undefined, role, (o: SimObject) => void (o['rules'] = rules));
      }
    }
    expect(checked).toHaveLength(rules.length);
    expect((await trigger(jobNamespace, 'drill-clusters-demo')).state).toBe('Complete');
  }, 900_000);
});

describe.skipIf(!existsSync(BUILT))('schedule --all --drill-every on the sandbox: one CronJob running drill --all', () => {
  const jobNamespace = 'hcp-dr-fleet';
  beforeAll(async () => {
    await deploy(jobNamespace, ['--all', '-n', 'clusters']);
  }, 120_000);

  it('when the fleet drill CronJob is triggered, every cluster with a backup is drilled and nothing is left', async () => {
    const run = await trigger(jobNamespace, 'drill-fleet');
    expect(run.state, run.log).toBe('Complete');
    expect(run.log).toContain('drilling the newest backup of clusters/demo');
    expect(run.log).toMatch(/clusters\/demo\s+Passed/);
    const result = await drillJson();
    expect(result.scratchNamespace).toBe(`hcp-dr-drill-${jobNamespace}`);
    expect(result.result).toBe('Passed');
    expect(left(`hcp-dr-drill-${jobNamespace}`)).toEqual({ namespace: false, pods: 0 });
  }, 240_000);

  it("when one cluster's newest backup is damaged, the others are still drilled, the run fails naming it, and nothing is left", async () => {
    // clusters/zz-broken: the demo backup copied under another name, its snapshot truncated.
    const src = `hcp/clusters/demo/${backupId}`;
    const dst = `hcp/clusters/zz-broken/${backupId}`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: `${src}/` }));
    for (const o of listed.Contents ?? []) {
      const rel = o.Key!.slice(src.length + 1);
      if (rel === 'drill.json') continue;
      const got = await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: o.Key! }));
      let body = Buffer.from(await got.Body!.transformToByteArray());
      if (rel === 'backup.json') {
        const m = JSON.parse(body.toString()) as { hostedCluster: { name: string } };
        m.hostedCluster.name = 'zz-broken';
        body = Buffer.from(JSON.stringify(m));
      }
      if (rel === 'snapshot.db') body = body.subarray(0, body.length >> 1);
      await s3.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: `${dst}/${rel}`, Body: body }));
    }
    const run = await trigger(jobNamespace, 'drill-fleet');
    expect(run.state, run.log).toBe('Failed');
    expect(run.log).toMatch(/clusters\/demo\s+Passed/);
    expect(run.log).toMatch(/clusters\/zz-broken\s+Failed\s.*snapshot-sha256/);
    expect(run.log).toMatch(/^warning: 1 of 2 newest backups are NOT proven restorable: clusters\/zz-broken$/m);
    expect(left(`hcp-dr-drill-${jobNamespace}`)).toEqual({ namespace: false, pods: 0 });
  }, 240_000);

  it('when nothing is under --from, drill --all exits 3 with a hint', async () => {
    const run = await runCliInProcess([
      'drill',
      '--all',
      '--from',
      `s3://${sb.s3.bucket}/nothing-here`,
      '--endpoint',
      sb.s3.endpoint,
      '--path-style',
      '--kubeconfig',
      sb.kubeconfig,
    ]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/^error: no backup under s3:\/\/.*nothing-here/m);
    expect(run.stderr).toMatch(/^hint: list them with: .*backup list --from/m);
  });
});

describe.skipIf(!existsSync(BUILT))('an encrypted, compressed schedule: the generated backup and drill args, run as written', () => {
  it("the backup CronJob's args write an encrypted backup, and the drill CronJob's args drill it with the identity file", async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const identityFile = path.join(dir, 'identity.txt');
    await writeFile(identityFile, `${identity}\n`, { mode: 0o600 });
    const generated = await runCliInProcess([
      'schedule',
      'demo',
      '-n',
      'clusters',
      '--to',
      `s3://${sb.s3.bucket}/enc`,
      '--endpoint',
      sb.s3.endpoint,
      '--path-style',
      '--every',
      '@daily',
      '--compress',
      'zstd',
      '--encrypt-to',
      recipient,
      '--drill-every',
      '@weekly',
      '--drill-identity-secret',
      'hcp-dr-age',
      '--image',
      'ghcr.io/example/hcp-dr:test',
      '--s3-secret',
      'hcp-dr-s3',
      '--stdout',
    ]);
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stdout).not.toContain(identity);
    const jobs = (yaml.loadAll(generated.stdout) as SimObject[]).filter((o) => o.kind === 'CronJob');
    const argsOf = (name: string) =>
      (
        jobs.find((j) => j.metadata.name === name)!['spec'] as {
          jobTemplate: { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
        }
      ).jobTemplate.spec.template.spec.containers[0]!.args;
    // As the pods would run them, the cluster reached by the admin kubeconfig instead of the pod's token,
    // the identity Secret's mount by a local file.
    const backup = await runCliInProcess([...argsOf('backup-clusters-demo'), '--kubeconfig', sb.kubeconfig, '-o', 'json']);
    expect(backup.code, backup.stderr).toBe(0);
    const manifest = JSON.parse(backup.stdout) as { id: string; storage?: { encryption?: unknown; compression?: unknown } };
    expect(manifest.storage?.encryption).toBeDefined();
    expect(manifest.storage?.compression).toBeDefined();
    const drillArgs = argsOf('drill-clusters-demo').map((a) => (a === '/etc/hcp-dr/age/identity' ? identityFile : a));
    expect(drillArgs).toContain(identityFile);
    const drill = await runCliInProcess([...drillArgs, '--kubeconfig', sb.kubeconfig, '-o', 'json']);
    expect(drill.code, drill.stderr).toBe(0);
    expect(drill.stdout + drill.stderr).not.toContain(identity);
    const result = JSON.parse(drill.stdout) as DrillResult;
    expect(result.backup).toBe(`s3://${sb.s3.bucket}/enc/clusters/demo/${manifest.id}/`);
    expect(result.result).toBe('Passed');
    expect(left('hcp-dr-drill-demo')).toEqual({ namespace: false, pods: 0 });
  }, 240_000);
});
