/**
 * Fidelity of the API simulator against the real kubectl on this machine (the Google Cloud SDK
 * dispatcher, which picks a kubectl matching the server's minor version: 1.32 here, exec over WebSocket).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostedCluster } from '../sandbox/kube-apiserver/judge.ts';
import { startApiSimulator, type RunningSimulator } from '../sandbox/api/server.ts';
import { Resources } from '../../src/core/model.ts';

const KUBECTL = '/usr/bin/kubectl';
const CRD_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/hypershift/crds');
const HAVE_KUBECTL = existsSync(KUBECTL);
if (!HAVE_KUBECTL)
  console.warn(`skipping sim-kubectl tests: ${KUBECTL} not found (the Google Cloud SDK kubectl dispatcher is part of the CI image)`);
if (!existsSync(CRD_DIR)) console.warn(`sim-kubectl: ${CRD_DIR} absent; HyperShift resources are served from built-in definitions only`);

const HC = Resources.hostedCluster;
const PODS = Resources.pod;
const DEPLOY = Resources.deployment;

let sim: RunningSimulator;
let dir: string;
let home: string;
let kubeconfig: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], opts: { kubeconfig?: string; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      args,
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: opts.kubeconfig ?? kubeconfig }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

describe.skipIf(!HAVE_KUBECTL)('kubectl against the API simulator', () => {
  beforeAll(async () => {
    const opts = existsSync(CRD_DIR) ? { crdDir: CRD_DIR } : {};
    sim = await startApiSimulator(opts);
    dir = await mkdtemp(join(tmpdir(), 'sim-kubectl-'));
    kubeconfig = await sim.writeKubeconfig(join(dir, 'kubeconfig'), { token: 'admin-token', namespace: 'clusters-demo' });
    const ns = { group: '', version: 'v1', plural: 'namespaces' };
    for (const name of ['clusters', 'clusters-demo']) sim.store.create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    sim.setExecHandler(
      (call) =>
        new Promise((resolve, reject) => {
          const [cmd = 'false', ...args] = call.command;
          const child = spawn(cmd, args, { signal: call.signal, stdio: ['pipe', 'pipe', 'pipe'] });
          child.on('error', reject);
          if (call.stdin) call.stdin.pipe(child.stdin);
          else child.stdin.end();
          child.stdout.pipe(call.stdout, { end: false });
          child.stderr.pipe(call.stderr, { end: false });
          child.on('close', (code) => resolve(code ?? 1));
        }),
    );
  });
  afterAll(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    home = await mkdtemp(join(dir, 'home-'));
    for (const o of sim.store.list(PODS)) sim.store.delete(PODS, o.metadata.namespace, o.metadata.name);
    for (const o of sim.store.list(HC)) sim.store.delete(HC, o.metadata.namespace, o.metadata.name);
    for (const o of sim.store.list(DEPLOY)) sim.store.delete(DEPLOY, o.metadata.namespace, o.metadata.name);
    sim.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'etcd-0', namespace: 'clusters-demo', labels: { app: 'etcd' } },
      spec: { containers: [{ name: 'etcd' }, { name: 'healthz' }] },
      status: { phase: 'Running' },
    });
    sim.store.create(HC, {
      apiVersion: 'hypershift.openshift.io/v1beta1',
      kind: 'HostedCluster',
      metadata: { name: 'demo', namespace: 'clusters' },
      // A spec the HyperShift CRD accepts: with the CRDs loaded the simulator validates kubectl's patch.
      spec: {
        ...(hostedCluster('demo', 'clusters')['spec'] as object),
        release: { image: 'quay.io/openshift-release-dev/ocp-release:4.17.0-x86_64' },
      },
    });
    sim.store.create(DEPLOY, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'kube-apiserver', namespace: 'clusters-demo' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'kube-apiserver' } } },
      status: { replicas: 3 },
    });
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('reports the simulated server version', async () => {
    const r = await kubectl(['version', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).serverVersion).toMatchObject({ major: '1', minor: '32' });
  });

  it('kubectl get pods', async () => {
    const r = await kubectl(['get', 'pods']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+AGE\netcd-0\s+\d+s\n$/);
    const sel = await kubectl(['get', 'pods', '-l', 'app!=etcd', '-o', 'name']);
    expect(sel.stdout).toBe('');
  });

  it('kubectl get hostedcluster demo -o yaml', async () => {
    const r = await kubectl(['get', 'hostedcluster', 'demo', '-n', 'clusters', '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kind: HostedCluster');
    expect(r.stdout).toContain('image: quay.io/openshift-release-dev/ocp-release:4.17.0-x86_64');
    expect(r.stdout).toMatch(/uid: [0-9a-f-]{36}/);
  });

  it('kubectl get hc nope → NotFound', async () => {
    const r = await kubectl(['get', 'hc', 'nope', '-n', 'clusters']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error from server (NotFound): hostedclusters.hypershift.openshift.io "nope" not found');
  });

  it('kubectl patch hc demo --type=merge', async () => {
    const r = await kubectl(['patch', 'hc', 'demo', '-n', 'clusters', '--type=merge', '-p', '{"spec":{"pausedUntil":"true"}}']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('hostedcluster.hypershift.openshift.io/demo patched');
    const hc = sim.store.get(HC, 'clusters', 'demo');
    expect((hc?.['spec'] as { pausedUntil?: string }).pausedUntil).toBe('true');
    expect(hc?.metadata.generation).toBe(2);
    expect(sim.requests.some((q) => q.method === 'PATCH' && q.contentType === 'application/merge-patch+json')).toBe(true);
  });

  it('kubectl scale deployment/kube-apiserver --replicas=0', async () => {
    const r = await kubectl(['scale', 'deployment/kube-apiserver', '--replicas=0']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('deployment.apps/kube-apiserver scaled');
    expect((sim.store.get(DEPLOY, 'clusters-demo', 'kube-apiserver')?.['spec'] as { replicas: number }).replicas).toBe(0);
  });

  it('kubectl exec etcd-0 -c etcd -- echo hi', async () => {
    const r = await kubectl(['exec', 'etcd-0', '-c', 'etcd', '--', 'echo', 'hi']);
    expect([r.code, r.stdout]).toEqual([0, 'hi\n']);
  });

  it('kubectl exec with a non-zero exit passes the code through', async () => {
    const r = await kubectl(['exec', 'etcd-0', '-c', 'etcd', '--', 'sh', '-c', 'echo oops >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('oops\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
  });

  it('kubectl exec -i streams stdin', async () => {
    const r = await kubectl(['exec', '-i', 'etcd-0', '-c', 'etcd', '--', 'wc', '-c'], { input: 'hello\n' });
    expect([r.code, r.stdout.trim()]).toEqual([0, '6']);
  });

  it('kubectl exec into a missing pod / container fails like a cluster', async () => {
    const pod = await kubectl(['exec', 'etcd-9', '-c', 'etcd', '--', 'true']);
    expect(pod.code).toBe(1);
    expect(pod.stderr).toContain('Error from server (NotFound): pods "etcd-9" not found');
    const ctr = await kubectl(['exec', 'etcd-0', '-c', 'nope', '--', 'true']);
    expect(ctr.stderr).toContain('Error from server (BadRequest): container nope is not valid for pod etcd-0');
  });

  it('kubectl delete removes the object (and waits for it)', async () => {
    const r = await kubectl(['delete', 'hc', 'demo', '-n', 'clusters']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('hostedcluster.hypershift.openshift.io "demo" deleted');
    expect(sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
    const pod = await kubectl(['delete', 'pod', 'etcd-0']);
    expect(pod.stdout.trim()).toBe('pod "etcd-0" deleted');
    expect(sim.store.list(PODS)).toEqual([]);
  });

  it('a denied token gets Error from server (Forbidden) (https: kubectl sends no token over http)', async () => {
    sim.denyToken('denied-token', { user: 'system:serviceaccount:clusters:backup' });
    const denied = await sim.writeKubeconfig(join(dir, 'denied'), { token: 'denied-token', namespace: 'clusters', tls: true });
    const r = await kubectl(['get', 'hc', 'demo'], { kubeconfig: denied });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): hostedclusters.hypershift.openshift.io "demo" is forbidden: User "system:serviceaccount:clusters:backup" cannot get resource "hostedclusters" in API group "hypershift.openshift.io" in the namespace "clusters"',
    );
    const allowed = await sim.writeKubeconfig(join(dir, 'allowed'), { token: 'admin-token', namespace: 'clusters', tls: true });
    const ok = await kubectl(['get', 'hc', 'demo', '-o', 'name'], { kubeconfig: allowed });
    expect([ok.code, ok.stdout.trim()]).toEqual([0, 'hostedcluster.hypershift.openshift.io/demo']);
  });
});
