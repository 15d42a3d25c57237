/**
 * Every command answers bad input with exactly one `error:` line, one `hint:` line, the exit
 * code the README documents, and leaves the cluster, the bucket and the disk as they were.
 * The corpus (bad-input-corpus.ts) runs as a table against one sandbox; then a walk through the
 * README's exit-code table (0, 1, 2, 3 in its four documented causes, 4, 5, 130).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess, type CliRun } from '../support/cli.ts';
import { API_SERVERS, DEPLOYMENTS, HOSTED_CLUSTERS, HOSTED_CONTROL_PLANES } from '../sandbox/hypershift/controllers.ts';
import { visibleState } from '../sandbox/cluster-state.ts';
import { SHARED_CRDS, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { CORPUS_FILES, corpusCases, RENDER_INPUTS, type CorpusCase, type CorpusContext } from './bad-input-corpus.ts';
import { existsSync } from 'node:fs';

let sb: Sandbox;
let s3: S3Client;
let ctx: CorpusContext;
const savedEnv = { ...process.env };

/** What a command could change: the hosted cluster's objects, the bucket, the scratch directory. */
async function world(): Promise<unknown> {
  const hc = sb.sim.store.get(HOSTED_CLUSTERS, sb.namespace, sb.name);
  const hcp = sb.sim.store.get(HOSTED_CONTROL_PLANES, sb.controlPlaneNamespace, sb.name);
  const deployments = Object.fromEntries(
    sb.sim.store.list(DEPLOYMENTS, sb.controlPlaneNamespace).map((d) => [d.metadata.name, (d['spec'] as { replicas?: number }).replicas]),
  );
  const objects = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket }));
  return {
    cluster: {
      hostedCluster: { spec: hc?.['spec'], annotations: hc?.metadata.annotations ?? {}, labels: hc?.metadata.labels ?? {} },
      hostedControlPlane: hcp?.['spec'],
      deployments,
      visible: visibleState(sb),
    },
    s3: (objects.Contents ?? []).map((o) => `${o.Key} ${o.Size}`).sort(),
    disk: await tree(ctx.dir),
  };
}

async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const p = path.join(e.parentPath, e.name);
    const info = await stat(p);
    const hash = e.isFile()
      ? createHash('sha256')
          .update(await readFile(p))
          .digest('hex')
          .slice(0, 16)
      : 'dir';
    out.push(`${path.relative(dir, p)} ${(info.mode & 0o777).toString(8)} ${hash}`);
  }
  return out.sort();
}

/** Exactly one `error:` line, followed by exactly one `hint:` line; no "this is a bug". */
function errorLines(run: CliRun): { error: string; hint: string } {
  const lines = run.stderr.split('\n');
  const errors = lines.filter((l) => l.startsWith('error: '));
  expect(errors, run.stderr).toHaveLength(1);
  const at = lines.indexOf(errors[0] as string);
  const hints = lines.filter((l) => l.startsWith('hint: '));
  expect(hints, run.stderr).toHaveLength(1);
  expect(lines[at + 1], run.stderr).toMatch(/^hint: /);
  expect(run.stderr).not.toMatch(/this is a bug/);
  return { error: errors[0] as string, hint: lines[at + 1] as string };
}

/**
 * A copy of the backup under `prefix` as backup `to` (every object, backup.json naming the new id),
 * without the object of its encryption key: a backup with an object missing.
 */
async function copyWithoutKey(prefix: string, from: string, to: string): Promise<void> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: prefix }));
  const read = async (key: string) =>
    Buffer.from(
      await (
        (
          await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: key }))
        ).Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray(),
    );
  const manifest = JSON.parse((await read(`${prefix}backup.json`)).toString('utf8')) as { encryption: { keyUrl?: string } };
  const keyUrl = manifest.encryption.keyUrl;
  expect(keyUrl, 'the sandbox backup records an encryption key object').toBeTruthy();
  for (const o of listed.Contents ?? []) {
    const key = o.Key as string;
    if (`s3://${sb.s3.bucket}/${key}` === keyUrl) continue;
    const body = key.endsWith('backup.json') ? Buffer.from((await read(key)).toString('utf8').replaceAll(from, to)) : await read(key);
    await s3.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: key.replace(from, to), Body: body }));
  }
}

async function runWithEnv(argv: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await runCliInProcess(argv, stdin === undefined ? {} : { stdin });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
    AWS_REGION: sb.s3.region,
  });
  delete process.env['KUBECONFIG'];
  s3 = new S3Client({
    endpoint: sb.s3.endpoint,
    region: sb.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sb.s3.accessKeyId, secretAccessKey: sb.s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-corpus-'));
  for (const [name, text] of Object.entries({
    ...CORPUS_FILES,
    ...RENDER_INPUTS,
    'wrong.key': randomBytes(32).toString('base64') + '\n',
  })) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text, { mode: 0o600 });
  }
  const root = `s3://${sb.s3.bucket}/corpus`;
  const backup = await runCliInProcess([
    'backup',
    'demo',
    '-n',
    'clusters',
    '--kubeconfig',
    sb.kubeconfig,
    '--to',
    root,
    '--endpoint',
    sb.s3.endpoint,
    '--path-style',
    '--online',
    '-o',
    'json',
  ]);
  expect(backup.code, backup.stderr).toBe(0);
  const id = (JSON.parse(backup.stdout) as { id: string }).id;
  const damagedId = id.replace(/-[0-9a-f]{6}$/, '-dddddd');
  await copyWithoutKey(`corpus/clusters/demo/${id}/`, id, damagedId);
  ctx = {
    dir,
    kubeconfig: sb.kubeconfig,
    endpoint: sb.s3.endpoint,
    bucket: sb.s3.bucket,
    backupUrl: `${root}/clusters/demo/${id}/`,
    backupRoot: root,
    crds: existsSync(SHARED_CRDS) ? SHARED_CRDS : undefined,
    damagedBackupUrl: `${root}/clusters/demo/${damagedId}/`,
  };
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  s3?.destroy();
  if (ctx) await rm(ctx.dir, { recursive: true, force: true });
  await sb?.stop();
});

/** The cases are built once the sandbox is up; vitest needs their names before: built from a stand-in context. */
const names = corpusCases({
  dir: '',
  kubeconfig: '',
  endpoint: '',
  bucket: '',
  backupUrl: '',
  backupRoot: '',
  crds: undefined,
  damagedBackupUrl: '',
});

describe('bad-input corpus: one error line, one hint, the documented exit code, nothing changed', () => {
  it(`holds at least 60 cases covering every command`, () => {
    expect(names.length).toBeGreaterThanOrEqual(60);
    expect(new Set(names.map((c) => c.command))).toEqual(
      new Set([
        'global',
        'etcd status',
        'etcd restore',
        'backup',
        'backup list',
        'backup verify',
        'backup prune',
        'move',
        'resume',
        'render',
        'validate',
        'export',
        'schedule',
        'drill',
        'version',
      ]),
    );
  });

  names.forEach((stand, index) => {
    const title = `${stand.command}: ${stand.name} → exit ${stand.code}`;
    it(title, async () => {
      const c = corpusCases(ctx)[index] as CorpusCase;
      const before = await world();
      const run = await runWithEnv(c.argv, c.env, c.stdin);
      expect(run.code, run.stderr).toBe(c.code);
      const { error, hint } = errorLines(run);
      expect(error).toMatch(c.error);
      expect(hint).toMatch(c.hint);
      expect(run.stdout).toBe('');
      expect(await world()).toEqual(before);
    });
  });
});

describe("the README's exit-code table, walked", () => {
  const kc = () => ['--kubeconfig', sb.kubeconfig];

  it('0: success (etcd status Healthy)', async () => {
    const run = await runCliInProcess(['etcd', 'status', 'demo', '-n', 'clusters', ...kc()]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Healthy');
  });

  it('1: an S3 error (the endpoint refuses connections)', async () => {
    const run = await runCliInProcess([
      'backup',
      'list',
      '--from',
      `s3://${sb.s3.bucket}/x`,
      '--endpoint',
      'http://127.0.0.1:9',
      '--path-style',
    ]);
    expect(run.code, run.stderr).toBe(1);
    errorLines(run);
  });

  it('2: usage error, nothing touched', async () => {
    const before = await world();
    const run = await runCliInProcess(['backup', 'demo', '-n', 'clusters', ...kc(), '--to', 's3://b/x', '--pause-ttl', 'forever']);
    expect(run.code).toBe(2);
    errorLines(run);
    expect(await world()).toEqual(before);
  });

  it('3: cluster not found, etcd Unmanaged, not a backup', async () => {
    const notFound = await runCliInProcess(['etcd', 'status', 'nosuch', '-n', 'clusters', ...kc()]);
    expect(notFound.code).toBe(3);
    const unmanaged = await runCliInProcess([
      'render',
      '-f',
      path.join(ctx.dir, 'unmanaged.yaml'),
      '--snapshot-url',
      'https://a/s.db',
      '--encryption-key-secret',
      'k',
      '--no-validate',
    ]);
    expect(unmanaged.code).toBe(3);
    expect(unmanaged.stderr).toMatch(/Unmanaged/);
    const notBackup = await runCliInProcess([
      'backup',
      'verify',
      `s3://${sb.s3.bucket}/corpus/clusters/demo/`,
      '--endpoint',
      sb.s3.endpoint,
      '--path-style',
    ]);
    expect(notBackup.code).toBe(3);
    for (const run of [notFound, unmanaged, notBackup]) errorLines(run);
  });

  it('3: validate finds an invalid object (with the HyperShift CRDs of ../shared)', async (t) => {
    if (!ctx.crds) return t.skip(`HyperShift CRDs not found at ${SHARED_CRDS}`);
    const run = await runCliInProcess(['validate', '-f', path.join(ctx.dir, 'one-cluster.yaml'), '--crd', ctx.crds]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/HostedCluster\.hypershift\.openshift\.io "demo" is invalid/);
  });

  it('3: lock held (another operation in progress), the cluster untouched', async () => {
    const before = await world();
    sb.sim.store.mutate(HOSTED_CLUSTERS, 'clusters', 'demo', (o) => {
      o.metadata.annotations = {
        ...o.metadata.annotations,
        'hcp-dr.openshift.io/operation': JSON.stringify({
          id: 'other',
          type: 'backup',
          startedAt: '2026-01-01T00:00:00Z',
          phase: 'started',
        }),
      };
    });
    try {
      const run = await runCliInProcess([
        'backup',
        'demo',
        '-n',
        'clusters',
        ...kc(),
        '--to',
        ctx.backupRoot,
        '--endpoint',
        sb.s3.endpoint,
        '--path-style',
        '--online',
      ]);
      expect(run.code).toBe(3);
      expect(errorLines(run).hint).toMatch(/resume demo -n clusters/);
    } finally {
      sb.sim.store.mutate(HOSTED_CLUSTERS, 'clusters', 'demo', (o) => {
        delete o.metadata.annotations?.['hcp-dr.openshift.io/operation'];
      });
    }
    expect(await world()).toEqual(before);
  });

  it('4: etcd unhealthy (a member down is Degraded)', async () => {
    await sb.etcd.kill(1);
    try {
      let run: CliRun | undefined;
      for (let i = 0; i < 100; i++) {
        run = await runCliInProcess(['etcd', 'status', 'demo', '-n', 'clusters', ...kc()]);
        if (run.code === 4) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(run?.code, run?.stderr).toBe(4);
      expect(run?.stdout).toContain('Degraded');
    } finally {
      await sb.etcd.start(1);
    }
  }, 60_000);

  it('5: partial failure (the rollback could not reach the API), then resume restores the cluster', async () => {
    const initial = visibleState(sb);
    const token = 'corpus-partial-token';
    const kubeconfig = await sb.sim.writeKubeconfig(path.join(sb.dir, 'kubeconfig-partial'), {
      token,
      namespace: 'clusters',
      contextName: 'partial',
      tls: true,
    });
    // Once the API servers are at 0, this run's credentials stop working: the run fails, and so does its rollback.
    const unsubscribe = sb.sim.store.subscribe((e) => {
      if (
        e.resource.plural === 'deployments' &&
        e.object.metadata.name === API_SERVERS[0] &&
        (e.object['spec'] as { replicas?: number }).replicas === 0
      )
        sb.sim.denyToken(token);
    });
    let run: CliRun;
    try {
      run = await runCliInProcess([
        'backup',
        'demo',
        '-n',
        'clusters',
        '--kubeconfig',
        kubeconfig,
        '--to',
        ctx.backupRoot,
        '--endpoint',
        sb.s3.endpoint,
        '--path-style',
        '--yes',
        '--wait-timeout',
        '20s',
      ]);
    } finally {
      unsubscribe();
    }
    expect(run.code, run.stderr).toBe(5);
    expect(errorLines(run).hint).toMatch(/resume demo -n clusters/);
    expect(visibleState(sb)).not.toEqual(initial);
    const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', ...kc()]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(visibleState(sb)).toEqual(initial);
  }, 60_000);

  it('130: interrupted (the signal aborts a quiesced backup), rolled back', async () => {
    const initial = visibleState(sb);
    const interrupt = new AbortController();
    const unsubscribe = sb.sim.store.subscribe((e) => {
      if (
        e.resource.plural === 'deployments' &&
        e.object.metadata.name === API_SERVERS[0] &&
        (e.object['spec'] as { replicas?: number }).replicas === 0
      ) {
        interrupt.abort(new Error('interrupted by SIGINT'));
      }
    });
    let run: CliRun;
    try {
      run = await runCliInProcess(
        ['backup', 'demo', '-n', 'clusters', ...kc(), '--to', ctx.backupRoot, '--endpoint', sb.s3.endpoint, '--path-style', '--yes'],
        { signal: interrupt.signal },
      );
    } finally {
      unsubscribe();
    }
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(/^error: .*interrupted/m);
    expect(visibleState(sb)).toEqual(initial);
  }, 60_000);
});

describe('checks before the downtime, the render key check, a resume during a live backup', () => {
  const kc = () => ['--kubeconfig', sb.kubeconfig];
  const s3f = () => ['--endpoint', sb.s3.endpoint, '--path-style'];

  /** Every change the run makes to the HostedCluster or a deployment, as the API simulator sees it. */
  async function changesDuring(fn: () => Promise<CliRun>): Promise<{ run: CliRun; changes: string[] }> {
    const changes: string[] = [];
    const unsubscribe = sb.sim.store.subscribe((e) => {
      if (['hostedclusters', 'deployments'].includes(e.resource.plural) && e.type !== 'ADDED')
        changes.push(`${e.type} ${e.resource.plural}/${e.object.metadata.name}`);
    });
    try {
      return { run: await fn(), changes };
    } finally {
      unsubscribe();
    }
  }

  it('--keys-to a missing bucket is refused before the first change: no pause, no scale, no lock, no record', async () => {
    const { run, changes } = await changesDuring(() =>
      runCliInProcess([
        'backup',
        'demo',
        '-n',
        'clusters',
        ...kc(),
        '--to',
        ctx.backupRoot,
        ...s3f(),
        '--keys-to',
        's3://no-such-keys-bucket/k',
        '--yes',
      ]),
    );
    expect(run.code, run.stderr).toBe(3);
    expect(changes).toEqual([]);
  });

  it('a prefix too long for S3 is refused before the first change, naming the key length', async () => {
    const { run, changes } = await changesDuring(() =>
      runCliInProcess(['backup', 'demo', '-n', 'clusters', ...kc(), '--to', `s3://${sb.s3.bucket}/${'é'.repeat(480)}`, ...s3f(), '--yes']),
    );
    expect(run.code, run.stderr).toBe(2);
    // 480 two-byte characters: counted in UTF-8 bytes, not characters.
    expect(run.stderr).toMatch(/would be 10\d\d bytes, S3 allows at most 1024/);
    expect(changes).toEqual([]);
  });

  it("render accepts the backup's own key (the stored Secret file, or the bare key) and refuses any other", async () => {
    const manifest = JSON.parse(await readObject(`${ctx.backupUrl}backup.json`)) as { encryption: { keyUrl: string } };
    const secretText = await readObject(manifest.encryption.keyUrl);
    const bareKey = /key: (\S+)/.exec(secretText)?.[1] as string;
    await writeFile(path.join(sb.dir, 'stored-key.yaml'), secretText, { mode: 0o600 });
    await writeFile(path.join(sb.dir, 'bare.key'), bareKey, { mode: 0o600 });
    const render = (keyFile: string) =>
      runCliInProcess([
        'render',
        '-f',
        path.join(ctx.dir, 'one-cluster.yaml'),
        '--from-backup',
        ctx.backupUrl,
        // https, so that the pre-signed URL is one HyperShift takes (--snapshot-url with --from-backup is refused)
        '--endpoint',
        sb.s3.httpsEndpoint,
        '--ca-bundle',
        sb.s3.caFile,
        '--path-style',
        '--encryption-key-file',
        keyFile,
        '--include-secrets',
        '--no-validate',
      ]);
    for (const file of ['stored-key.yaml', 'bare.key']) {
      const run = await render(path.join(sb.dir, file));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`key: ${bareKey}`);
    }
    const wrong = await render(path.join(ctx.dir, 'wrong.key'));
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toBe('');
  });

  it('a resume run while a quiesced backup waits makes the backup stop at once (its record is gone), not after --wait-timeout', async () => {
    const initial = visibleState(sb);
    let resumed: Promise<CliRun> | undefined;
    let holding = true;
    // While holding, the pause never reaches the HostedControlPlane: the backup waits for it (with
    // --wait-timeout 24h). Meanwhile someone runs resume, which lifts the pause and removes the record.
    const unsubscribe = sb.sim.store.subscribe((e) => {
      if (!holding) return;
      const pausedUntil = (e.object['spec'] as { pausedUntil?: unknown } | undefined)?.pausedUntil;
      if (e.resource.plural === 'hostedcontrolplanes' && typeof pausedUntil === 'string') {
        sb.sim.store.mutate(HOSTED_CONTROL_PLANES, e.object.metadata.namespace, e.object.metadata.name, (o) => {
          delete (o['spec'] as Record<string, unknown>)['pausedUntil'];
        });
      }
      if (!resumed && e.resource.plural === 'hostedclusters' && typeof pausedUntil === 'string') {
        resumed = runCliInProcess(['resume', 'demo', '-n', 'clusters', ...kc()]);
      }
    });
    let run: CliRun;
    try {
      run = await runCliInProcess([
        'backup',
        'demo',
        '-n',
        'clusters',
        ...kc(),
        '--to',
        ctx.backupRoot,
        ...s3f(),
        '--yes',
        '--wait-timeout',
        '24h',
      ]);
    } finally {
      holding = false;
      unsubscribe();
    }
    const resume = await resumed;
    expect(resume?.code, resume?.stderr).toBe(0);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/^error: .*operation record \S+ was removed from the HostedCluster/m);
    expect(run.stderr).not.toMatch(/still not there/);
    await waitFor(() => JSON.stringify(visibleState(sb)) === JSON.stringify(initial));
    expect(visibleState(sb)).toEqual(initial);
  });
});

/** Polls a condition (no time in the assertion: the test's own timeout bounds it). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 50));
}

async function readObject(url: string): Promise<string> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url) as RegExpExecArray;
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const out = await s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
  return (await out.Body?.transformToString()) ?? '';
}
