/**
 * In-cluster mode end to end: the BUILT plugin (plugin/kubectl-hcp_dr over dist/, as `npm run build`
 * leaves it) run with nothing but a pod's service-account environment (KUBERNETES_SERVICE_HOST/PORT,
 * token, ca.crt and namespace files; no kubeconfig anywhere) against the sandbox, whose API simulator
 * authorizes the ServiceAccount's token by RBAC. The token file is replaced during a backup, the old
 * token revoked once the server has seen the new one: the run only succeeds if later requests read the new file.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { podRunner } from '../support/image-runner.ts';
import { attachJobRunner, CRON_JOBS } from '../sandbox/api/job-runner.ts';
import { waitFor } from '../support/wait.ts';

const PLUGIN = path.join(REPO_ROOT, 'plugin', 'kubectl-hcp_dr');
const BUILT = path.join(REPO_ROOT, 'dist', 'hcp-dr.cjs');
const RBAC = (plural: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', plural });

if (!existsSync(BUILT)) console.warn(`skipping in-cluster tests: ${BUILT} is absent (npm run build writes it; npm test builds first)`);

let sb: Sandbox;
let dir: string;
let saDir: string;
let env: Record<string, string>;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Simulator requests received after `onStderr` first returned true. */
  requestsAfter?: number;
}

/** Runs the built plugin in the pod-like environment; `onStderr` sees stderr as it grows. */
function plugin(args: string[], onStderr?: (stderr: string) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(PLUGIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let mark: number | undefined;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (mark === undefined && onStderr?.(stderr)) mark = sb.sim.requests.length;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, ...(mark !== undefined ? { requestsAfter: sb.sim.requests.length - mark } : {}) }),
    );
  });
}

/** Writes the token as the kubelet does: a new file renamed over the old one. */
async function writeToken(token: string): Promise<void> {
  const tmp = path.join(saDir, '.token.tmp');
  await writeFile(tmp, token, { mode: 0o600 });
  await rename(tmp, path.join(saDir, 'token'));
}

describe.skipIf(!existsSync(BUILT))('in-cluster mode of the built plugin against the sandbox', () => {
  let token: string;
  beforeAll(async () => {
    sb = await startSandbox();
    dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-in-cluster-'));
    saDir = path.join(dir, 'serviceaccount');
    const home = path.join(dir, 'home');
    await Promise.all([mkdir(saDir), mkdir(home)]);
    sb.sim.store.create(
      { group: '', version: 'v1', plural: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hcp-dr' } },
    );
    sb.sim.store.create(
      { group: '', version: 'v1', plural: 'serviceaccounts' },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'backup', namespace: 'hcp-dr' } },
    );
    token = sb.sim.tokenFor('hcp-dr', 'backup');
    await writeToken(token);
    await writeFile(path.join(saDir, 'ca.crt'), sb.sim.caCert);
    // The pod runs in hcp-dr, but the HostedClusters are in "clusters": that namespace file names it, as -n would.
    await writeFile(path.join(saDir, 'namespace'), sb.namespace);
    const port = new URL(sb.sim.httpsUrl).port;
    const { KUBECONFIG: _unused, ...s3 } = sb.env;
    env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      HCP_DR_SERVICEACCOUNT_DIR: saDir,
      ...s3,
    };
  }, 120_000);
  afterAll(async () => {
    await sb?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('without a binding, the 403 names the service account and the permission it lacks', async () => {
    const run = await plugin(['etcd', 'status', 'demo']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(
      'hostedclusters.hypershift.openshift.io "demo" is forbidden: User "system:serviceaccount:hcp-dr:backup" cannot get resource "hostedclusters" in API group "hypershift.openshift.io" in the namespace "clusters"',
    );
  });

  it('bound to a ClusterRole, etcd status works from the service account alone (server, CA, token, namespace file)', async () => {
    sb.sim.store.create(RBAC('clusterroles'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'hcp-dr-test-all' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    });
    sb.sim.store.create(RBAC('clusterrolebindings'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'hcp-dr-test-all' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'hcp-dr-test-all' },
      subjects: [{ kind: 'ServiceAccount', name: 'backup', namespace: 'hcp-dr' }],
    });
    const run = await plugin(['etcd', 'status', 'demo', '-o', 'json', '-v']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`using the in-cluster configuration: the pod's service account (${sb.sim.httpsUrl})`);
    const status = JSON.parse(run.stdout) as { hostedCluster?: unknown; verdict?: { state?: string }; members?: unknown[] };
    expect(JSON.stringify(status.hostedCluster)).toContain('demo');
    expect(status.verdict?.state).toBe('Healthy');
    expect(status.members).toHaveLength(3);
  });

  it('a backup runs through a token rotation: the new token is read, the revoked old one is never sent again', async () => {
    let rotated: Promise<void> | undefined;
    const run = await plugin(
      ['backup', 'demo', '--to', `s3://${sb.s3.bucket}/in-cluster`, '--endpoint', sb.s3.endpoint, '--path-style', '--yes', '-v'],
      (stderr) => {
        if (rotated || !stderr.includes('step: quiesced\n')) return false;
        const [old, next] = [token, sb.sim.tokenFor('hcp-dr', 'backup')];
        // A request that read the old file just before the rename may still be on its way; the
        // old token is revoked once the server has seen the new one, as a kubelet-rotated token
        // stays valid well past its successor's arrival.
        rotated = writeToken(next)
          .then(() => waitFor('the new token at the server', () => sb.sim.requests.some((r) => r.bearerToken === next), 30_000))
          .then(() => sb.sim.revokeToken(old));
        token = next;
        return true;
      },
    );
    await rotated;
    expect(rotated, run.stderr).toBeDefined();
    expect(run.code, run.stderr).toBe(0);
    expect(run.requestsAfter).toBeGreaterThan(3);
    expect(run.stderr).not.toContain('Unauthorized');
    const list = await plugin([
      'backup',
      'list',
      '--from',
      `s3://${sb.s3.bucket}/in-cluster`,
      '--endpoint',
      sb.s3.endpoint,
      '--path-style',
      '-o',
      'json',
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { items: { name: string }[] }).items.map((i) => i.name)).toEqual(['demo']);
  });

  it('a CronJob whose container runs the built plugin (through the simulator job runner) backs up demo, S3 credentials from a Secret', async () => {
    const runner = attachJobRunner(sb.sim, { dir: path.join(dir, 'pods'), ...podRunner([PLUGIN]) });
    try {
      sb.sim.store.create(
        { group: '', version: 'v1', plural: 'secrets' },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 's3-credentials', namespace: 'hcp-dr' },
          stringData: { AWS_ACCESS_KEY_ID: sb.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey },
        },
      );
      const container = {
        name: 'backup',
        image: 'quay.io/example/hcp-dr:test',
        command: ['hcp-dr'],
        args: [
          'backup',
          'demo',
          '-n',
          'clusters',
          '--to',
          `s3://${sb.s3.bucket}/scheduled`,
          '--endpoint',
          sb.s3.endpoint,
          '--path-style',
          '--yes',
        ],
        env: [{ name: 'AWS_REGION', value: sb.s3.region }],
        envFrom: [{ secretRef: { name: 's3-credentials' } }],
      };
      sb.sim.store.create(CRON_JOBS, {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'backup-demo', namespace: 'hcp-dr' },
        spec: {
          schedule: '0 */6 * * *',
          concurrencyPolicy: 'Forbid',
          jobTemplate: {
            spec: {
              backoffLimit: 0,
              activeDeadlineSeconds: 600,
              template: { spec: { serviceAccountName: 'backup', restartPolicy: 'Never', containers: [container] } },
            },
          },
        },
      });
      const job = runner.triggerCronJob('hcp-dr', 'backup-demo');
      const done = await runner.waitForJob('hcp-dr', job!.metadata.name, 180_000);
      const [pod] = runner.podsOf(done);
      const log = sb.sim.logs.get('hcp-dr', pod!.metadata.name, 'backup') ?? '';
      expect(done['status'], log).toMatchObject({ succeeded: 1 });
      expect(log).toContain('backing up clusters/demo');
      const list = await plugin([
        'backup',
        'list',
        '--from',
        `s3://${sb.s3.bucket}/scheduled`,
        '--endpoint',
        sb.s3.endpoint,
        '--path-style',
        '-o',
        'json',
      ]);
      const items = (JSON.parse(list.stdout) as { items: { name: string; url: string }[] }).items;
      expect(items.map((i) => i.name)).toEqual(['demo']);
      // What the pod wrote (from the image, where podman runs it) is restorable.
      const verify = await plugin(['backup', 'verify', items[0]!.url, '--endpoint', sb.s3.endpoint, '--path-style']);
      expect(verify.code, verify.stderr).toBe(0);
    } finally {
      await runner.stop();
    }
  });

  it('a revoked token in the file is refused with 401 and a clear error', async () => {
    sb.sim.revokeToken(token);
    const run = await plugin(['etcd', 'status', 'demo']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^error: .*Unauthorized/m);
  });
});
