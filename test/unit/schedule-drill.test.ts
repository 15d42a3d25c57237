/**
 * `schedule --drill-every`: the drill CronJobs (their args, one per named cluster or `drill --all`
 * for a fleet), the drill's own ServiceAccount and its RBAC (derived from the permission
 * declaration, names filled in, nothing of the hosted clusters), the PrometheusRule's drill alerts
 * tied to the drill interval; and the backup's encoding flags passed on, with the identity an
 * encrypted schedule's drills need (refused without it, before anything is written).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/model.ts';
import { DRILL_POD_NAME, permissionsOf } from '../../src/core/permissions.ts';
import { policyRules } from '../../src/core/policy-rules.ts';
import { DRILL_POD } from '../../src/core/drill/pod.ts';
import { cronIntervalSeconds } from '../../src/core/schedule/interval.ts';
import { buildScheduleTree } from '../../src/core/schedule/tree.ts';
import type { ScheduleRequest } from '../../src/core/schedule/types.ts';
import { runCliInProcess } from '../support/cli.ts';

const base = (over: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  clusters: { type: 'named', namespace: 'clusters', names: ['demo', 'alpha'] },
  jobNamespace: 'hcp-dr',
  image: 'ghcr.io/o/hcp-dr:0.2.0',
  schedule: '0 */6 * * *',
  mode: 'online',
  destination: { to: 's3://b/hcp', endpoint: 'https://s3.local:9000', pathStyle: true },
  credentials: { type: 'secret', name: 'hcp-dr-s3' },
  backupFlags: [],
  startingDeadlineSeconds: 600,
  activeDeadlineSeconds: 3600,
  toolVersion: '0.0.0-test',
  ...over,
});

type Obj = KubeObject & Record<string, any>;
const kinds = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind) as Obj[];
const podSpec = (job: Obj) => job['spec'].jobTemplate.spec.template.spec;
const drillJobs = (objects: KubeObject[]) => kinds(objects, 'CronJob').filter((j) => j.metadata.name?.startsWith('drill-'));
const role = (objects: KubeObject[], name: string) => kinds(objects, 'ClusterRole').find((r) => r.metadata.name === name);

describe('schedule --drill-every: the tree', () => {
  it('when clusters are named, each gets a drill CronJob of its newest backup, in its own scratch namespace, as the drill ServiceAccount', () => {
    const tree = buildScheduleTree(base({ drill: { schedule: '0 4 * * 0' } }));
    const jobs = drillJobs(tree.objects);
    expect(jobs.map((j) => j.metadata.name)).toEqual(['drill-clusters-alpha', 'drill-clusters-demo']);
    for (const [job, name] of [
      [jobs[0]!, 'alpha'],
      [jobs[1]!, 'demo'],
    ] as const) {
      expect(job['spec']).toMatchObject({ schedule: '0 4 * * 0', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 600 });
      expect(job['spec'].jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3600 });
      const spec = podSpec(job);
      expect(spec.serviceAccountName).toBe('hcp-dr-drill');
      expect(spec.initContainers).toBeUndefined();
      expect(spec.containers).toHaveLength(1);
      expect(spec.containers[0].args).toEqual([
        'drill',
        '--latest',
        name,
        '-n',
        'clusters',
        '--from',
        's3://b/hcp',
        '--scratch-namespace',
        `hcp-dr-drill-${name}`,
        '--endpoint',
        'https://s3.local:9000',
        '--path-style',
      ]);
      // S3 credentials by reference, as the backup's.
      expect(spec.containers[0].env).toContainEqual({
        name: 'AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 'hcp-dr-s3', key: 'AWS_SECRET_ACCESS_KEY' } },
      });
    }
    // The backups are still scheduled as before, under their own ServiceAccount.
    const backups = kinds(tree.objects, 'CronJob').filter((j) => j.metadata.name?.startsWith('backup-'));
    expect(backups.map((j) => podSpec(j).serviceAccountName)).toEqual(['hcp-dr-backup', 'hcp-dr-backup']);
    expect(kinds(tree.objects, 'ServiceAccount').map((s) => s.metadata.name)).toEqual(['hcp-dr-backup', 'hcp-dr-drill']);
  });

  it("the drill's RBAC is the declaration's, its objects named where RBAC can name them, bound to the drill ServiceAccount only", () => {
    const tree = buildScheduleTree(base({ drill: { schedule: '@weekly' } }));
    const drillRole = role(tree.objects, 'hcp-dr.hcp-dr.drill');
    const scratch = ['hcp-dr-drill-alpha', 'hcp-dr-drill-demo'];
    expect(drillRole?.['rules']).toEqual(
      policyRules(permissionsOf('drill').map((p) => (p.namedScratchNamespace ? { ...p, resourceNames: scratch } : p))),
    );
    const rules = drillRole!['rules'] as Array<{ resources: string[]; verbs: string[]; resourceNames?: string[] }>;
    const rule = (resource: string, verb: string) => rules.find((r) => r.resources.includes(resource) && r.verbs.includes(verb));
    expect(rule('namespaces', 'delete')?.resourceNames).toEqual(scratch);
    expect(rule('namespaces', 'get')?.resourceNames).toEqual(scratch);
    expect(rule('pods/exec', 'create')?.resourceNames).toEqual([DRILL_POD]);
    expect(rule('pods', 'get')?.resourceNames).toEqual([DRILL_POD]);
    // RBAC cannot name the object of a create: these two are the only unnamed rules.
    expect(rules.filter((r) => !r.resourceNames).map((r) => `${r.resources.join()}:${r.verbs.join()}`)).toEqual([
      'namespaces:create',
      'pods:create',
    ]);
    // Nothing of the hosted clusters: no Secret, no HostedCluster, no control-plane pod.
    expect(rules.flatMap((r) => r.resources)).not.toContain('secrets');
    expect(rules.flatMap((r) => r.resources)).not.toContain('hostedclusters');
    const binding = kinds(tree.objects, 'ClusterRoleBinding').find((b) => b.metadata.name === 'hcp-dr.hcp-dr.drill');
    expect(binding?.['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'hcp-dr-drill', namespace: 'hcp-dr' }]);
    // The backup's RBAC is exactly what it is without drills: the backup ServiceAccount gains nothing.
    const rbac = (objects: KubeObject[]) =>
      objects.filter((o) => /Role|Binding/.test(o.kind ?? '') && !(o.metadata.name ?? '').endsWith('.drill')).map((o) => JSON.stringify(o));
    expect(rbac(tree.objects)).toEqual(rbac(buildScheduleTree(base()).objects));
    expect(DRILL_POD_NAME).toBe(DRILL_POD);
  });

  it('when the schedule is a fleet, one CronJob runs drill --all of -n in one scratch namespace named after the job namespace', () => {
    const tree = buildScheduleTree(
      base({ clusters: { type: 'fleet', namespace: 'clusters' }, jobNamespace: 'hcp-dr-fleet', drill: { schedule: '@daily' } }),
    );
    const [job, ...rest] = drillJobs(tree.objects);
    expect(rest).toEqual([]);
    expect(job?.metadata.name).toBe('drill-fleet');
    expect(podSpec(job!).containers[0].args.slice(0, 7)).toEqual([
      'drill',
      '--all',
      '-n',
      'clusters',
      '--from',
      's3://b/hcp',
      '--scratch-namespace',
    ]);
    expect(podSpec(job!).containers[0].args[7]).toBe('hcp-dr-drill-hcp-dr-fleet');
    const rules = role(tree.objects, 'hcp-dr.hcp-dr-fleet.drill')!['rules'] as Array<{ resources: string[]; resourceNames?: string[] }>;
    expect(rules.find((r) => r.resources.includes('namespaces') && r.resourceNames)?.resourceNames).toEqual(['hcp-dr-drill-hcp-dr-fleet']);
  });

  it('without --drill-every, the tree has no drill object', () => {
    const tree = buildScheduleTree(base({ pushgateway: 'http://pg:9091' }));
    expect(tree.files.map((f) => f.path).filter((p) => p.includes('drill'))).toEqual([]);
    expect(JSON.stringify(tree.objects)).not.toContain('hcp-dr-drill');
    expect(JSON.stringify(tree.objects)).not.toContain('HcpDrDrill');
  });

  it('with --pushgateway, the drills push and the drill alerts are tied to the drill interval plus the deadlines of a run', () => {
    const alerts = (drill: string) => {
      const tree = buildScheduleTree(base({ pushgateway: 'http://pg:9091', drill: { schedule: drill } }));
      for (const job of drillJobs(tree.objects))
        expect(podSpec(job).containers[0].args.slice(-2)).toEqual(['--pushgateway', 'http://pg:9091']);
      const rule = kinds(tree.objects, 'PrometheusRule')[0]!;
      const group = (rule['spec'].groups as Array<{ name: string; rules: Array<{ alert: string; expr: string }> }>).find(
        (g) => g.name === 'hcp-dr-drill',
      );
      return Object.fromEntries((group?.rules ?? []).map((r) => [r.alert, r.expr]));
    };
    const daily = alerts('@daily');
    const weekly = alerts('0 4 * * 0');
    expect(Object.keys(daily)).toEqual(['HcpDrDrillFailed', 'HcpDrDrillStale']);
    expect(daily['HcpDrDrillStale']).toMatch(new RegExp(`> ${86400 + 600 + 3600}$`));
    expect(weekly['HcpDrDrillStale']).toMatch(new RegExp(`> ${cronIntervalSeconds('0 4 * * 0') + 600 + 3600}$`));
    expect(cronIntervalSeconds('0 4 * * 0')).toBe(7 * 86400);
    expect(daily['HcpDrDrillFailed']).toContain('== 0');
  });

  it('with an identity Secret, only the drill pods mount it (read-only, 0400) and pass its path; the tree names the Secret it needs', () => {
    const tree = buildScheduleTree(base({ drill: { schedule: '@daily', identitySecret: 'hcp-dr-age' } }));
    for (const job of drillJobs(tree.objects)) {
      const spec = podSpec(job);
      expect(spec.containers[0].args).toEqual(expect.arrayContaining(['--decrypt-with', '/etc/hcp-dr/age/identity']));
      expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'age-identity', mountPath: '/etc/hcp-dr/age', readOnly: true });
      expect(spec.volumes).toContainEqual({
        name: 'age-identity',
        secret: { secretName: 'hcp-dr-age', defaultMode: 0o400, items: [{ key: 'identity', path: 'identity' }] },
      });
    }
    for (const job of kinds(tree.objects, 'CronJob').filter((j) => j.metadata.name?.startsWith('backup-')))
      expect(JSON.stringify(podSpec(job))).not.toContain('age-identity');
    const required = yaml.load(tree.files.find((f) => f.path === 'secrets-required.yaml')!.content) as { items: Array<{ name: string }> };
    expect(required.items.map((i) => i.name)).toEqual(['hcp-dr-s3', 'hcp-dr-age']);
  });
});

describe('schedule --drill-every and the encoding flags, as a user runs them', () => {
  let dir: string;
  let recipient: string;
  let other: string;
  const common = [
    'demo',
    '-n',
    'clusters',
    '--to',
    's3://b/hcp',
    '--every',
    '@daily',
    '--image',
    'ghcr.io/o/hcp-dr:0.2.0',
    '--s3-secret',
    's3',
  ];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-schedule-drill-'));
    recipient = await identityToRecipient(await generateIdentity());
    other = await identityToRecipient(await generateIdentity());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const objectsOf = (stdout: string) => yaml.loadAll(stdout) as Obj[];

  it('passes --compress, --encrypt-to (and the recipients of --encrypt-to-file) and the lock to the backup, and the identity path to the drill', async () => {
    const file = path.join(dir, 'recipients.txt');
    await writeFile(file, `# team key\n${other}\n`);
    const run = await runCliInProcess([
      'schedule',
      ...common,
      '--compress',
      'zstd',
      '--encrypt-to',
      recipient,
      '--encrypt-to-file',
      file,
      '--lock-days',
      '7',
      '--drill-every',
      '@weekly',
      '--drill-identity-secret',
      'hcp-dr-age',
      '--stdout',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const jobs = kinds(objectsOf(run.stdout), 'CronJob');
    const backup = podSpec(jobs.find((j) => j.metadata.name === 'backup-clusters-demo')!).containers[0].args as string[];
    expect(backup.join(' ')).toContain(
      `--lock-days 7 --lock-mode governance --compress zstd --encrypt-to ${recipient} --encrypt-to ${other}`,
    );
    const drill = podSpec(jobs.find((j) => j.metadata.name === 'drill-clusters-demo')!).containers[0].args as string[];
    expect(drill.join(' ')).toContain('--decrypt-with /etc/hcp-dr/age/identity');
    expect(drill).not.toContain('--encrypt-to');
  });

  it.each<[string, string[], RegExp, RegExp]>([
    [
      'an encrypted schedule drilled without an identity',
      ['--encrypt-to', 'RECIPIENT', '--drill-every', '@weekly'],
      /the drills of encrypted backups need the age identity: pass --drill-identity-secret <name>/,
      /kubectl create secret generic hcp-dr-age -n hcp-dr --from-file=identity=/,
    ],
    ['an identity without drills', ['--drill-identity-secret', 'x'], /--drill-identity-secret goes with --drill-every/, /--drill-every/],
    ['a bad drill schedule', ['--drill-every', '0 25 * * *'], /invalid --drill-every "0 25 \* \* \*"/, /five fields/],
    ['a bad recipient', ['--encrypt-to', 'age1nope'], /not an age public key/, /age-keygen -y/],
    [
      'a bad identity Secret name',
      ['--drill-every', '@daily', '--drill-identity-secret', 'Bad_Name'],
      /invalid --drill-identity-secret/,
      /letters/,
    ],
  ])('when %s: one error line, a hint, exit 2, nothing written', async (_name, extra, message, hint) => {
    const out = path.join(dir, `refused-${extra.length}-${extra[0]}`);
    const argv = extra.map((a) => (a === 'RECIPIENT' ? recipient : a));
    const run = await runCliInProcess(['schedule', ...common, ...argv, '--out', out]);
    expect(run.code).toBe(2);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(run.stderr).toMatch(new RegExp(`^hint: .*${hint.source}`, 'm'));
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('drill --all refuses a backup URL, --latest, --keep, and a missing --from before touching anything', async () => {
    for (const [argv, message] of [
      [['drill', '--all'], /--all needs --from/],
      [['drill', '--all', '--latest', 'demo', '--from', 's3://b/hcp'], /pass no backup URL or --latest/],
      [['drill', '--all', '--from', 's3://b/hcp', '--keep'], /--keep goes with a single drill/],
    ] as const) {
      const run = await runCliInProcess([...argv]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});
