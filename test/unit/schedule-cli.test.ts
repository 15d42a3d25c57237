/**
 * `schedule` as a user runs it: the tree on disk (twice: the same bytes), built by the real
 * kubectl kustomize; --stdout; refusals of a foreign --out; and bad input answered with one
 * line, exit 2 and a hint, writing nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';

let dir: string;
const common = ['--to', 's3://backups/hcp', '--every', '0 2 * * *', '--image', 'ghcr.io/o/hcp-dr:0.2.0', '--s3-secret', 'hcp-dr-s3'];
const named = ['schedule', 'demo', '-n', 'clusters', ...common];

async function filesUnder(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(root, { recursive: true, withFileTypes: true }))
    if (e.isFile()) out[path.relative(root, path.join(e.parentPath, e.name))] = await readFile(path.join(e.parentPath, e.name), 'utf8');
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-schedule-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('schedule --out', () => {
  it('when written twice into the same directory, the tree is the same bytes and kubectl kustomize builds it', async () => {
    const out = path.join(dir, 'gitops', 'mgmt-1');
    const first = await runCliInProcess([...named, '--keep-daily', '7', '--out', out]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const before = await filesUnder(out);
    expect(Object.keys(before)).toContain('cronjobs/backup-clusters-demo.yaml');
    const second = await runCliInProcess([...named, '--keep-daily', '7', '--out', out]);
    expect(second.code).toBe(0);
    expect(await filesUnder(out)).toEqual(before);

    const built = spawnSync('kubectl', ['kustomize', out], { encoding: 'utf8' });
    expect(built.stderr).toBe('');
    const kinds = yaml.loadAll(built.stdout).map((o) => (o as { kind: string }).kind);
    expect(kinds.sort()).toEqual([
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'CronJob',
      'Namespace',
      'RoleBinding',
      'RoleBinding',
      'ServiceAccount',
    ]);
  });

  it('when --out holds something else, it is refused and left as it was', async () => {
    const out = path.join(dir, 'foreign');
    await runCliInProcess(['schedule', '--all', ...common, '--out', out]); // creates it
    await writeFile(path.join(out, 'provenance.yaml'), 'kind: Something\n');
    const before = await filesUnder(out);
    const run = await runCliInProcess([...named, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: refusing to write into ".*foreign": it is not empty and not a previous hcp-dr schedule/m);
    expect(run.stderr).toMatch(/^hint: /m);
    expect(await filesUnder(out)).toEqual(before);
  });

  it('when --stdout, the objects are one YAML stream in apply order, the Namespace first and the CronJobs last', async () => {
    const run = await runCliInProcess(['schedule', '--all', ...common, '--stdout']);
    expect(run.code).toBe(0);
    const kinds = yaml.loadAll(run.stdout).map((o) => (o as { kind: string }).kind);
    expect(kinds).toEqual(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'CronJob']);
  });
});

describe('schedule --all --concurrency', () => {
  it("passes --concurrency on to the fleet CronJob's backup --all and records it in provenance.yaml", async () => {
    const run = await runCliInProcess(['schedule', '--all', '-l', 'env=prod', ...common, '--concurrency', '8', '--stdout']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const job = yaml.loadAll(run.stdout).find((o) => (o as { kind: string }).kind === 'CronJob') as {
      spec: { jobTemplate: { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } } };
    };
    const args = job.spec.jobTemplate.spec.template.spec.containers[0]?.args ?? [];
    expect(args.slice(0, 6)).toEqual(['backup', '--all', '-l', 'env=prod', '--concurrency', '8']);
    const out = path.join(dir, 'fleet-concurrency');
    expect((await runCliInProcess(['schedule', '--all', ...common, '--concurrency', '8', '--out', out])).code).toBe(0);
    const provenance = yaml.load(await readFile(path.join(out, 'provenance.yaml'), 'utf8')) as { clusters: Record<string, unknown> };
    expect(provenance.clusters).toMatchObject({ all: true, concurrency: 8 });
  });

  it('without --concurrency, the CronJob leaves it to backup --all (its default)', async () => {
    const run = await runCliInProcess(['schedule', '--all', ...common, '--stdout']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('--concurrency');
  });
});

describe('schedule bad input', () => {
  it.each<[string, string[], RegExp]>([
    ['no target', ['schedule', '-n', 'clusters', ...common, '--stdout'], /name at least one hosted cluster, or pass --all/],
    ['names and --all', ['schedule', 'demo', '--all', ...common, '--stdout'], /not both/],
    ['named without -n', ['schedule', 'demo', ...common, '--stdout'], /-n <namespace> is needed/],
    ['-l without --all', [...named, '-l', 'env=prod', '--stdout'], /--selector \(-l\) goes with --all/],
    ['--concurrency without --all', [...named, '--concurrency', '8', '--stdout'], /--concurrency goes with --all/],
    [
      '--concurrency 0',
      ['schedule', '--all', ...common, '--concurrency', '0', '--stdout'],
      /invalid --concurrency "0": it must be a whole number from 1 to 32/,
    ],
    ['--concurrency beyond 32', ['schedule', '--all', ...common, '--concurrency', '33', '--stdout'], /from 1 to 32/],
    ['--concurrency not a number', ['schedule', '--all', ...common, '--concurrency', 'many', '--stdout'], /invalid --concurrency "many"/],
    ['both outputs', [...named, '--stdout', '--out', 'x'], /exactly one of --out <dir> or --stdout/],
    ['no output', [...named], /exactly one of --out <dir> or --stdout/],
    [
      'bad cron',
      ['schedule', 'demo', '-n', 'clusters', ...common.slice(0, 2), '--every', '0 25 * * *', ...common.slice(4), '--stdout'],
      /hour "25"/,
    ],
    ['bad image', [...named.slice(0, 8), '--image', 'Not An Image', '--s3-secret', 'x', '--stdout'], /invalid --image/],
    ['no credentials', [...named.slice(0, 10), '--stdout'], /exactly one of --s3-secret <name> or --irsa-role-arn <arn>/],
    ['both credentials', [...named, '--irsa-role-arn', 'arn:aws:iam::123456789012:role/x', '--stdout'], /exactly one of --s3-secret/],
    ['bad role ARN', [...named.slice(0, 10), '--irsa-role-arn', 'role/x', '--stdout'], /not an IAM role ARN/],
    ['online and quiesce', [...named, '--online', '--quiesce', '--stdout'], /either --online or --quiesce/],
    ['a local CA file', [...named, '--endpoint', 'https://s3.local', '--ca-bundle', 'ca.pem', '--stdout'], /names a file on this machine/],
    ['bad retention count', [...named, '--keep-daily', 'seven', '--stdout'], /invalid --keep-daily "seven"/],
    ['bad keep-within', [...named, '--keep-within', '2w', '--stdout'], /invalid --keep-within "2w"/],
    ['bad S3 URL', ['schedule', 'demo', '-n', 'clusters', '--to', 'backups/hcp', ...common.slice(2), '--stdout'], /--to/],
    ['bad deadline', [...named, '--active-deadline', '10s', '--stdout'], /invalid --active-deadline "10s"/],
    ['bad namespace', ['schedule', 'demo', '-n', 'Clusters', ...common, '--stdout'], /invalid -n "Clusters"/],
    ['bad time zone', [...named, '--time-zone', 'Mars/Olympus', '--stdout'], /not an IANA time zone/],
  ])('when %s, one error line, a hint, exit 2 and nothing on stdout', async (_name, argv, message) => {
    const run = await runCliInProcess(argv);
    expect(run.code).toBe(2);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(run.stderr).toMatch(/^hint: \S/m);
    expect(run.stdout).toBe('');
  });
});
