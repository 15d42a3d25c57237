/**
 * The schedule tree from a request: the CronJob's guarantees, RBAC derived from the permission
 * declaration (compared with it, not with a copy), credentials by reference, retention after the
 * backup, deterministic bytes; and the cron syntax check.
 */
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseRetentionPolicy, retentionArgv } from '../../src/core/bundle/retention.ts';
import { UsageError } from '../../src/core/errors.ts';
import type { KubeObject } from '../../src/core/model.ts';
import { permissionsOf, type Workflow } from '../../src/core/permissions.ts';
import { parseCronSchedule, parseTimeZone } from '../../src/core/schedule/cron.ts';
import { cronJobName, IMAGE_BINARY } from '../../src/core/schedule/cronjob.ts';
import { buildScheduleTree, renderScheduleStream } from '../../src/core/schedule/tree.ts';
import type { ScheduleRequest } from '../../src/core/schedule/types.ts';

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

/** Every (group, resource, verb, namespace kind) the generated RBAC grants. */
function granted(objects: KubeObject[]): string[] {
  const out = new Set<string>();
  for (const role of kinds(objects, 'ClusterRole'))
    for (const rule of role['rules'] as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>)
      for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) out.add(`${g}/${r}:${v}`);
  return [...out].sort();
}
function declared(workflow: Workflow): string[] {
  const out = new Set<string>();
  for (const p of permissionsOf(workflow)) for (const v of [...p.verbs, ...(p.compatVerbs ?? [])]) out.add(`${p.group}/${p.resource}:${v}`);
  return [...out].sort();
}

describe('schedule tree', () => {
  it('when two clusters are named, each gets a CronJob that cannot overlap, with the image, schedule and deadlines asked for', () => {
    const tree = buildScheduleTree(base());
    const jobs = kinds(tree.objects, 'CronJob');
    expect(jobs.map((j) => j.metadata.name)).toEqual(['backup-clusters-alpha', 'backup-clusters-demo']);
    for (const job of jobs) {
      expect(job['spec']).toMatchObject({ schedule: '0 */6 * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 600 });
      expect(job['spec'].jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3600 });
      const spec = podSpec(job);
      expect(spec).toMatchObject({ restartPolicy: 'Never', serviceAccountName: 'hcp-dr-backup' });
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(spec.containers).toHaveLength(1);
      expect(spec.initContainers).toBeUndefined();
      const [c] = spec.containers;
      expect(c.image).toBe('ghcr.io/o/hcp-dr:0.2.0');
      expect(c.command).toEqual([IMAGE_BINARY]);
      expect(c.args.slice(0, 4)).toEqual(['backup', job.metadata.name === 'backup-clusters-demo' ? 'demo' : 'alpha', '-n', 'clusters']);
      expect(c.args).toContain('--online');
      expect(c.args.join(' ')).toContain('--to s3://b/hcp --endpoint https://s3.local:9000 --path-style');
    }
  });

  it('when quiesced, the CronJob confirms the downtime itself (--quiesce --yes) and the RBAC grants deployments/scale', () => {
    const tree = buildScheduleTree(base({ mode: 'quiesce' }));
    const [job] = kinds(tree.objects, 'CronJob');
    expect(podSpec(job as Obj).containers[0].args).toEqual(expect.arrayContaining(['--quiesce', '--yes']));
    expect(granted(tree.objects)).toContain('apps/deployments/scale:patch');
    expect(granted(buildScheduleTree(base()).objects)).not.toContain('apps/deployments/scale:patch');
  });

  it.each<[string, Partial<ScheduleRequest>, Workflow]>([
    ['named online', {}, 'backup-online'],
    ['named quiesced', { mode: 'quiesce' }, 'backup-quiesce'],
    ['fleet online', { clusters: { type: 'fleet' } }, 'backup-all-online'],
    ['fleet quiesced', { clusters: { type: 'fleet', namespace: 'clusters' }, mode: 'quiesce' }, 'backup-all-quiesce'],
  ])('when %s, the ClusterRoles grant exactly what the declaration lists for the workflow', (_name, over, workflow) => {
    expect(granted(buildScheduleTree(base(over)).objects)).toEqual(declared(workflow));
  });

  it('when clusters are named, RoleBindings bind the roles in their namespaces only; the one ClusterRoleBinding grants named objects only', () => {
    const tree = buildScheduleTree(base());
    // The management cluster's identity: kube-system's namespace and the Infrastructure "cluster", by name.
    expect(kinds(tree.objects, 'ClusterRoleBinding').map((b) => b['roleRef'].name)).toEqual(['hcp-dr.hcp-dr.cluster']);
    const clusterRole = kinds(tree.objects, 'ClusterRole').find((r) => r.metadata.name === 'hcp-dr.hcp-dr.cluster') as Obj;
    expect(clusterRole['rules']).toEqual([
      { apiGroups: [''], resources: ['namespaces'], resourceNames: ['kube-system'], verbs: ['get'] },
      { apiGroups: ['config.openshift.io'], resources: ['infrastructures'], resourceNames: ['cluster'], verbs: ['get'] },
    ]);
    const bindings = kinds(tree.objects, 'RoleBinding').map((b) => `${b.metadata.namespace} -> ${b['roleRef'].name}`);
    expect(bindings).toEqual([
      'clusters -> hcp-dr.hcp-dr.hosted-cluster',
      'clusters-alpha -> hcp-dr.hcp-dr.control-plane',
      'clusters-demo -> hcp-dr.hcp-dr.control-plane',
    ]);
    const hcRole = kinds(tree.objects, 'ClusterRole').find((r) => r.metadata.name?.endsWith('.hosted-cluster')) as Obj;
    expect(hcRole['rules'].map((r: { resources: string[] }) => r.resources[0])).not.toContain('pods/exec');
    for (const b of kinds(tree.objects, 'RoleBinding'))
      expect(b['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'hcp-dr-backup', namespace: 'hcp-dr' }]);
  });

  it('when --all, one fleet CronJob runs backup --all with -n and -l, bound cluster-wide', () => {
    const tree = buildScheduleTree(base({ clusters: { type: 'fleet', namespace: 'clusters', selector: 'env=prod' } }));
    const jobs = kinds(tree.objects, 'CronJob');
    expect(jobs.map((j) => j.metadata.name)).toEqual(['backup-fleet']);
    expect(podSpec(jobs[0] as Obj).containers[0].args.slice(0, 6)).toEqual(['backup', '--all', '-n', 'clusters', '-l', 'env=prod']);
    expect(kinds(tree.objects, 'ClusterRoleBinding').map((b) => b['roleRef'].name)).toEqual(['hcp-dr.hcp-dr.fleet']);
    expect(kinds(tree.objects, 'RoleBinding')).toEqual([]);
  });

  it('when --all has a concurrency, the fleet CronJob passes it to backup --all; the named CronJobs never carry one', () => {
    const fleet = (concurrency?: number) =>
      podSpec(
        kinds(
          buildScheduleTree(base({ clusters: { type: 'fleet', ...(concurrency ? { concurrency } : {}) } })).objects,
          'CronJob',
        )[0] as Obj,
      ).containers[0].args as string[];
    expect(fleet(8).slice(0, 4)).toEqual(['backup', '--all', '--concurrency', '8']);
    expect(fleet()).not.toContain('--concurrency');
    for (const job of kinds(buildScheduleTree(base()).objects, 'CronJob'))
      expect(podSpec(job).containers[0].args).not.toContain('--concurrency');
  });

  it('when retention is asked, the backup is the init container and backup prune (with its flags) runs after it', () => {
    const policy = parseRetentionPolicy({ 'keep-last': '3', 'keep-daily': '7' });
    const spec = podSpec(kinds(buildScheduleTree(base({ retention: policy })).objects, 'CronJob')[0] as Obj);
    expect(spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['backup']);
    expect(spec.containers.map((c: { name: string }) => c.name)).toEqual(['prune']);
    expect(spec.initContainers[0].args[0]).toBe('backup');
    expect(spec.containers[0].args).toEqual([
      'backup',
      'prune',
      '--from',
      's3://b/hcp',
      'alpha',
      '-n',
      'clusters',
      ...retentionArgv(policy),
      '--endpoint',
      'https://s3.local:9000',
      '--path-style',
    ]);
  });

  it('when credentials come from a Secret, the pods reference it by name and the tree lists it as required, holding no value', () => {
    const tree = buildScheduleTree(base());
    const env = podSpec(kinds(tree.objects, 'CronJob')[0] as Obj).containers[0].env;
    expect(env.map((e: { name: string }) => e.name)).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);
    for (const e of env) expect(e.valueFrom.secretKeyRef.name).toBe('hcp-dr-s3');
    expect(kinds(tree.objects, 'Secret')).toEqual([]);
    const required = yaml.load(tree.files.find((f) => f.path === 'secrets-required.yaml')?.content ?? '') as { items: unknown[] };
    expect(required.items).toEqual([expect.objectContaining({ kind: 'Secret', namespace: 'hcp-dr', name: 'hcp-dr-s3' })]);
  });

  it('when IRSA is asked, the ServiceAccount carries the role ARN and the pods get no credential env', () => {
    const arn = 'arn:aws:iam::123456789012:role/hcp-dr';
    const tree = buildScheduleTree(base({ credentials: { type: 'irsa', roleArn: arn } }));
    const [sa] = kinds(tree.objects, 'ServiceAccount');
    expect(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(arn);
    expect(podSpec(kinds(tree.objects, 'CronJob')[0] as Obj).containers[0].env).toEqual([]);
    expect(tree.files.map((f) => f.path)).not.toContain('secrets-required.yaml');
  });

  it('when a CA bundle ConfigMap is named, it is mounted and passed as --ca-bundle', () => {
    const tree = buildScheduleTree(base({ destination: { to: 's3://b/hcp', caBundleConfigMap: 's3-ca' } }));
    const spec = podSpec(kinds(tree.objects, 'CronJob')[0] as Obj);
    const [c] = spec.containers;
    const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'ca-bundle');
    expect(c.args.join(' ')).toContain(`--ca-bundle ${mount.mountPath}/ca-bundle.crt`);
    expect(spec.volumes.find((v: { name: string }) => v.name === 'ca-bundle').configMap.name).toBe('s3-ca');
  });

  it('when built twice from the same request, the files are byte-identical, sorted, and the kustomization lists every object', () => {
    const a = buildScheduleTree(base({ mode: 'quiesce' }));
    const b = buildScheduleTree(base({ mode: 'quiesce', clusters: { type: 'named', namespace: 'clusters', names: ['alpha', 'demo'] } }));
    expect(b.files).toEqual(a.files);
    const paths = a.files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    const kustomization = yaml.load(a.files.find((f) => f.path === 'kustomization.yaml')?.content ?? '') as { resources: string[] };
    expect(kustomization.resources).toHaveLength(a.objects.length);
    for (const r of kustomization.resources) expect(paths).toContain(r);
    expect(renderScheduleStream(a)).toBe(renderScheduleStream(b));
  });

  it('when a cluster name is long, the CronJob name stays within 52 characters and distinct', () => {
    const long = 'x'.repeat(60);
    const a = cronJobName(`backup-clusters-${long}a`);
    const b = cronJobName(`backup-clusters-${long}b`);
    expect(a.length).toBeLessThanOrEqual(52);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe('cron schedule', () => {
  it.each([
    ['0 2 * * *', '0 2 * * *'],
    ['*/15  * * * *', '*/15 * * * *'],
    ['0 0-6/2 1,15 JAN-jun mon-FRI', '0 0-6/2 1,15 JAN-jun mon-FRI'],
    ['30 4 ? * 7', '30 4 ? * 7'],
    ['@Daily', '@daily'],
    ['@hourly', '@hourly'],
  ])('when the schedule is "%s", it is accepted as "%s"', (input, normalized) => {
    expect(parseCronSchedule(input)).toBe(normalized);
  });

  it.each([
    ['0 2 * *', /4 fields, a schedule has 5/],
    ['60 * * * *', /minute "60": 60 is outside 0-59/],
    ['0 24 * * *', /hour "24": 24 is outside 0-23/],
    ['0 0 0 * *', /day of month "0": 0 is outside 1-31/],
    ['0 0 * 13 *', /month "13"/],
    ['0 0 * * 8', /day of week "8"/],
    ['*/0 * * * *', /a step of 0/],
    ['5-1 * * * *', /runs backwards/],
    ['? * * * *', /minute "\?"/],
    ['@every 1h', /unknown macro/],
    ['CRON_TZ=UTC 0 2 * * *', /--time-zone/],
    ['', /empty/],
  ])('when the schedule is "%s", it is refused naming the problem', (input, message) => {
    let error: unknown;
    try {
      parseCronSchedule(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
    expect((error as UsageError).message).not.toContain('\n');
    expect((error as UsageError).hint).toMatch(/five fields/);
  });

  it('when a time zone is an IANA name it is kept, otherwise refused', () => {
    expect(parseTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(() => parseTimeZone('Mars/Olympus')).toThrow(/not an IANA time zone/);
  });
});
