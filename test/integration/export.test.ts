/**
 * `export` end to end through the real kube adapter and the API simulator: a live export,
 * re-export byte identity, --diff, refusals that write nothing, a round trip (export from one
 * simulator, `kubectl apply -k` into a fresh one, compare), and CRD validation of the output.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiSimulator, type RunningSimulator } from '../sandbox/api/server.ts';
import type { GroupResource, SimObject } from '../sandbox/api/types.ts';
import { runCliInProcess } from '../support/cli.ts';
import { listFiles } from '../../src/core/export/write.ts';
import { cleanObject } from '../../src/core/objects/clean.ts';
import { KNOWN_KINDS } from '../../src/core/objects/kinds.ts';
import { loadFixture } from '../unit/export/helpers.ts';

const KUBECTL = '/usr/bin/kubectl';
const CRD_DIR = join(import.meta.dirname, '../../../shared/hypershift/crds');
const gr = (plural: string): GroupResource => {
  const k = KNOWN_KINDS.find((x) => x.plural === plural)!;
  return { group: k.group, version: k.version, plural };
};
const other = {
  pods: { group: '', version: 'v1', plural: 'pods' },
  pvcs: { group: '', version: 'v1', plural: 'persistentvolumeclaims' },
  sts: { group: 'apps', version: 'v1', plural: 'statefulsets' },
};

/** Seeds a management cluster holding clusters/demo, a second cluster's NodePool and control-plane clutter. */
function seed(sim: RunningSimulator): void {
  const create = (plural: string, o: SimObject) => sim.store.create(gr(plural), o);
  const strip = (o: SimObject): SimObject => {
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, managedFields: _m, ...metadata } = o.metadata;
    const { status: _s, ...rest } = o;
    return { ...rest, metadata };
  };
  const fx = (k: string) => strip(loadFixture(k, 'raw') as SimObject);
  create('namespaces', fx('namespace'));
  create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters-demo' } });
  create('hostedclusters', fx('hostedcluster'));
  create('nodepools', fx('nodepool'));
  create('nodepools', {
    ...fx('nodepool'),
    metadata: { name: 'other-workers', namespace: 'clusters' },
    spec: { clusterName: 'other', replicas: 1 },
  });
  const secret = (name: string, ns: string, data: Record<string, string>, extra: Record<string, unknown> = {}) =>
    create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      ...extra,
    });
  create('secrets', fx('secret'));
  secret('demo-ssh-key', 'clusters', { 'id_rsa.pub': 'ssh-ed25519 AAAA demo' });
  secret('demo-etcd-encryption-key', 'clusters', { key: 'K'.repeat(32) });
  secret('demo-admin-kubeconfig', 'clusters', { kubeconfig: 'generated' });
  create('configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'demo-workers-kubeletconfig', namespace: 'clusters' },
    data: { config: 'kind: KubeletConfig' },
  });
  secret('root-ca', 'clusters-demo', { 'ca.crt': 'CERT', 'ca.key': 'CA-KEY' });
  secret('builder-dockercfg-x1', 'clusters-demo', { '.dockercfg': '{}' });
  for (const k of [
    'hostedcontrolplane',
    'cluster',
    'awscluster',
    'awsmachinetemplate',
    'machinedeployment',
    'machineset',
    'machine',
    'awsmachine',
  ]) {
    const o = fx(k);
    create(KNOWN_KINDS.find((x) => x.kind === o.kind)!.plural, o);
  }
  sim.store.create(other.sts, {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'etcd', namespace: 'clusters-demo' },
    spec: { replicas: 1 },
  });
  sim.store.create(other.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'etcd-0', namespace: 'clusters-demo' },
    spec: { containers: [{ name: 'etcd', image: 'etcd' }] },
  });
  sim.store.create(other.pvcs, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data-etcd-0', namespace: 'clusters-demo' },
    spec: {},
  });
}

function kubectl(args: string[], home: string, kubeconfig: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

async function snapshotTree(dir: string): Promise<Array<[string, string]>> {
  return Promise.all((await listFiles(dir)).map(async (f) => [f, await readFile(join(dir, f), 'utf8')] as [string, string]));
}

describe('export from a live cluster (API simulator, real kube adapter)', () => {
  let sim: RunningSimulator;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    sim = await startApiSimulator();
    dir = await mkdtemp(join(tmpdir(), 'hcpdr-export-it-'));
    kubeconfig = await sim.writeKubeconfig(join(dir, 'kubeconfig'), { token: 'admin', namespace: 'clusters' });
    seed(sim);
  });
  afterAll(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports the cluster, its NodePools and references; re-export is byte-identical and --diff is clean', async () => {
    const out = join(dir, 'gitops');
    const args = ['export', 'demo', '-n', 'clusters', '--kubeconfig', kubeconfig, '--with-control-plane', '--secrets', 'plain'];
    const first = await runCliInProcess([...args, '--out', out]);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`exported clusters/demo to ${out}/clusters/demo (20 files)\n`);
    const files = await listFiles(join(out, 'clusters/demo'));
    expect(files).toContain('nodepools/demo-workers.yaml');
    expect(files).not.toContain('nodepools/other-workers.yaml');
    expect(files).toContain('secrets/demo-pull-secret.yaml');
    expect(files).toContain('configmaps/demo-workers-kubeletconfig.yaml');
    expect(files).toContain('control-plane/secrets/root-ca.yaml');
    expect(files.join('\n')).not.toMatch(/admin-kubeconfig|dockercfg|statefulsets|pods|persistentvolumeclaims/);
    const before = await snapshotTree(join(out, 'clusters/demo'));
    expect((await runCliInProcess([...args, '--out', out])).code).toBe(0);
    expect(await snapshotTree(join(out, 'clusters/demo'))).toEqual(before);
    const diff = await runCliInProcess([...args, '--diff', out]);
    expect(diff).toMatchObject({ code: 0, stdout: 'no changes in clusters/demo\n' });
  });

  it('--diff exits 1 and shows the change when the cluster drifted', async () => {
    const out = join(dir, 'drift');
    const base = ['export', 'demo', '-n', 'clusters', '--kubeconfig', kubeconfig];
    expect((await runCliInProcess([...base, '--out', out])).code).toBe(0);
    sim.store.mutate(gr('hostedclusters'), 'clusters', 'demo', (o) => {
      (o['spec'] as Record<string, unknown>)['controllerAvailabilityPolicy'] = 'HighlyAvailable';
      o['status'] = { changed: true }; // status is not desired state: no diff from it
    });
    const diff = await runCliInProcess([...base, '--diff', out]);
    sim.store.mutate(gr('hostedclusters'), 'clusters', 'demo', (o) => {
      (o['spec'] as Record<string, unknown>)['controllerAvailabilityPolicy'] = 'SingleReplica';
    });
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain(
      'M clusters/demo/hostedcluster.yaml\n    -   controllerAvailabilityPolicy: SingleReplica\n    +   controllerAvailabilityPolicy: HighlyAvailable',
    );
  });

  it('--stdout prints one stream; the default omits Secret data', async () => {
    const r = await runCliInProcess(['export', 'demo', '-n', 'clusters', '--kubeconfig', kubeconfig, '--stdout']);
    expect(r.code).toBe(0);
    const kinds = (yaml.loadAll(r.stdout) as Array<{ kind: string }>).map((d) => d.kind);
    expect(kinds).toEqual(['Namespace', 'ConfigMap', 'HostedCluster', 'NodePool']);
    expect(r.stdout).not.toContain(Buffer.from('K'.repeat(32)).toString('base64'));
  });

  it('bad input: one-line errors and nothing written', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['export', 'nope', '-n', 'clusters', '--kubeconfig', kubeconfig, '--out', join(dir, 'x1')],
        3,
        /HostedCluster "nope" not found in namespace "clusters"/,
      ],
      [
        [
          'export',
          'demo',
          '-n',
          'clusters',
          '--kubeconfig',
          kubeconfig,
          '--secrets',
          'sealed',
          '--cert',
          join(dir, 'missing.pem'),
          '--out',
          join(dir, 'x2'),
        ],
        2,
        /failed to read --cert ".*missing.pem": no such file/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCliInProcess(args);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')[0]).toMatch(message);
      expect(existsSync(args.at(-1)!)).toBe(false);
    }
    const mine = join(dir, 'mine');
    await mkdir(mine);
    await writeFile(join(mine, 'notes.txt'), 'keep me');
    const refused = await runCliInProcess(['export', 'demo', '-n', 'clusters', '--kubeconfig', kubeconfig, '--out', mine]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to write into .*mine.*not empty and holds no previous hcp-dr export/);
    expect(readdirSync(mine)).toEqual(['notes.txt']);
    expect((await runCliInProcess(['export', 'demo', '-n', 'clusters', '--kubeconfig', kubeconfig, '--out', mine, '--force'])).code).toBe(
      0,
    );
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it.skipIf(!existsSync(KUBECTL))(
    'round trip: kubectl apply -k into a fresh simulator gives the same objects apart from removed fields',
    async () => {
      const out = join(dir, 'roundtrip');
      expect(
        (
          await runCliInProcess([
            'export',
            'demo',
            '-n',
            'clusters',
            '--kubeconfig',
            kubeconfig,
            '--with-control-plane',
            '--secrets',
            'plain',
            '--out',
            out,
          ])
        ).code,
      ).toBe(0);
      const fresh = await startApiSimulator();
      try {
        const home = join(dir, 'home');
        await mkdir(home, { recursive: true });
        const kc2 = await fresh.writeKubeconfig(join(dir, 'kubeconfig2'), { token: 'admin', namespace: 'clusters' });
        const applied = await kubectl(['apply', '--validate=false', '-k', join(out, 'clusters/demo')], home, kc2);
        expect(applied.stderr).toBe('');
        expect(applied.code).toBe(0);
        const exported = yaml.loadAll((await kubectl(['kustomize', join(out, 'clusters/demo')], home, kc2)).stdout) as SimObject[];
        expect(exported.length).toBe(17);
        const ctx = { exported: new Set<string>(), keepRestoreUrl: false };
        for (const obj of exported) {
          const type = KNOWN_KINDS.find((k) => k.kind === obj.kind && obj.apiVersion.startsWith(k.group ? k.group + '/' : 'v1'))!;
          const source = sim.store.get(gr(type.plural), obj.metadata.namespace, obj.metadata.name)!;
          const restored = fresh.store.get(gr(type.plural), obj.metadata.namespace, obj.metadata.name)!;
          const annotations = { ...(source.metadata.annotations ?? {}), ...(obj.metadata.annotations ?? {}) };
          const expected = cleanObject({ ...source, metadata: { ...source.metadata, annotations } }, ctx).object;
          expect(cleanObject(restored, ctx).object, `${obj.kind} ${obj.metadata.name}`).toEqual(cleanObject(expected, ctx).object);
        }
      } finally {
        await fresh.stop();
      }
    },
  );

  it.skipIf(!existsSync(CRD_DIR))('the exported HostedCluster and NodePools pass the CRD validation', async () => {
    const { compileCrds, validateObject } = await import('../../src/core/validate/index.ts');
    const crds = readdirSync(CRD_DIR).flatMap((f) => yaml.loadAll(readFileSync(join(CRD_DIR, f), 'utf8')) as object[]);
    const registry = compileCrds(crds);
    const out = join(dir, 'gitops/clusters/demo');
    for (const rel of ['hostedcluster.yaml', 'nodepools/demo-workers.yaml']) {
      const obj = yaml.load(await readFile(join(out, rel), 'utf8')) as object;
      const result = validateObject(registry, obj);
      expect(result.crdFound).toBe(true);
      expect(result.errors, rel).toEqual([]);
    }
  });
});
