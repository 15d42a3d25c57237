/** The tree: layout, waves, provenance, secrets modes, determinism, refusal, diff, and kubectl kustomize. */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTree, renderStream } from '../../../src/core/export/layout.ts';
import { checkOutDir, listFiles } from '../../../src/core/export/write.ts';
import { writeTree } from '../../../src/core/objects/tree-write.ts';
import { diffTree, renderDiff } from '../../../src/core/export/diff.ts';
import { UsageError } from '../../../src/core/errors.ts';
import type { ExportTree } from '../../../src/core/export/types.ts';
import { fixtureInput, options } from './helpers.ts';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const certPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const fileOf = (tree: ExportTree, rel: string) => tree.files.find((f) => f.path === `clusters/demo/${rel}`);
const docOf = (tree: ExportTree, rel: string) => yaml.load(fileOf(tree, rel)!.content) as Record<string, any>;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hcpdr-export-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

describe('layout', () => {
  const tree = buildTree(fixtureInput(true), options({ withControlPlane: true, argocdRepoUrl: 'https://git.example.com/gitops.git' }));

  it('places every object and lists them in dependency order', () => {
    const k = docOf(tree, 'kustomization.yaml');
    expect(k['resources']).toEqual([
      'namespace.yaml',
      'control-plane/namespace.yaml',
      'control-plane/hostedcontrolplanes/demo.yaml',
      'control-plane/clusters/demo-x7k2p.yaml',
      'control-plane/awsclusters/demo.yaml',
      'control-plane/awsmachinetemplates/demo-workers-6f7c9d1a.yaml',
      'control-plane/machinedeployments/demo-workers.yaml',
      'control-plane/machinesets/demo-workers-7d9f8c6b5.yaml',
      'control-plane/machines/demo-workers-7d9f8c6b5-abcde.yaml',
      'control-plane/awsmachines/demo-workers-6f7c9d1a-xyz12.yaml',
      'hostedcluster.yaml',
      'nodepools/demo-workers.yaml',
    ]);
    for (const r of k['resources'] as string[]) expect(fileOf(tree, r)).toBeDefined();
  });

  it('sets sync waves and SkipDryRunOnMissingResource on HyperShift and CAPI objects', () => {
    const wave = (rel: string) => docOf(tree, rel)['metadata'].annotations?.['argocd.argoproj.io/sync-wave'];
    const opts = (rel: string) => docOf(tree, rel)['metadata'].annotations?.['argocd.argoproj.io/sync-options'];
    expect([
      wave('namespace.yaml'),
      wave('control-plane/machines/demo-workers-7d9f8c6b5-abcde.yaml'),
      wave('hostedcluster.yaml'),
      wave('nodepools/demo-workers.yaml'),
    ]).toEqual(['-3', '-1', '0', '1']);
    expect(opts('hostedcluster.yaml')).toBe('SkipDryRunOnMissingResource=true');
    expect(opts('control-plane/clusters/demo-x7k2p.yaml')).toBe('SkipDryRunOnMissingResource=true');
    expect(opts('namespace.yaml')).toBeUndefined();
  });

  it('omits Secrets by default and lists what must exist, and why, without values', () => {
    expect(tree.files.some((f) => f.path.includes('/secrets/'))).toBe(false);
    const req = docOf(tree, 'secrets-required.yaml');
    const names = (req['items'] as Array<{ name: string; kind: string; referencedBy: string[]; inSource: boolean }>).map(
      (i) => `${i.kind}/${i.name}:${i.inSource}`,
    );
    // sorted by namespace, kind, name ("clusters-demo" sorts before "clusters/")
    expect(names).toEqual([
      'Secret/root-ca:true',
      'ConfigMap/demo-workers-kubeletconfig:false',
      'Secret/demo-etcd-encryption-key:true',
      'Secret/demo-pull-secret:true',
      'Secret/demo-ssh-key:true',
    ]);
    const all = tree.files.map((f) => f.content).join('\n');
    expect(all).not.toContain('0123456789abcdef0123456789abcdef');
    expect(all).not.toContain(Buffer.from('0123456789abcdef0123456789abcdef').toString('base64'));
  });

  it('writes provenance without secrets and an Argo CD Application outside the kustomization', () => {
    const p = docOf(tree, 'provenance.yaml');
    expect(p['kind']).toBe('ExportProvenance');
    expect(p['hostedCluster']).toEqual({ namespace: 'clusters', name: 'demo' });
    expect(p['toolVersion']).toBe('0.1.0-test');
    expect(Object.keys(p['etcd'])).toEqual(['revision', 'snapshotSha256']);
    expect(docOf(tree, 'argocd-application.yaml')['spec'].source.path).toBe('clusters/demo');
    expect(docOf(tree, 'kustomization.yaml')['resources']).not.toContain('argocd-application.yaml');
  });

  it('is deterministic: the same input gives the same bytes', () => {
    const again = buildTree(fixtureInput(true), options({ withControlPlane: true, argocdRepoUrl: 'https://git.example.com/gitops.git' }));
    expect(again.files).toEqual(tree.files);
    expect(renderStream(again)).toBe(renderStream(tree));
  });

  it('--stdout: every object once, as one multi-document stream', () => {
    const docs = yaml.loadAll(renderStream(tree)) as Array<{ kind: string }>;
    expect(docs.map((d) => d.kind)).toEqual(tree.objects.map((o) => o.kind));
    expect(docs[0]!.kind).toBe('Namespace');
    expect(docs.at(-1)!.kind).toBe('NodePool');
  });
});

describe('secrets modes in the tree', () => {
  it('plain: Secret files 0600 and a .gitignore', () => {
    const tree = buildTree(fixtureInput(), options({ secrets: 'plain' }));
    expect(fileOf(tree, 'secrets/demo-pull-secret.yaml')!.mode).toBe(0o600);
    expect(fileOf(tree, '.gitignore')!.content).toContain('secrets/');
    expect(fileOf(tree, 'hostedcluster.yaml')!.mode).toBe(0o644);
  });
  it('sealed and external: stand-ins in secrets/ at the Secrets wave', () => {
    for (const o of [
      options({ secrets: 'sealed', sealed: { certPem } }),
      options({ secrets: 'external', external: { store: 'vault', storeKind: 'SecretStore' } }),
    ]) {
      const tree = buildTree(fixtureInput(), o);
      const doc = docOf(tree, 'secrets/demo-pull-secret.yaml');
      expect(['SealedSecret', 'ExternalSecret']).toContain(doc['kind']);
      expect(doc['metadata'].annotations['argocd.argoproj.io/sync-wave']).toBe('-2');
      expect(fileOf(tree, 'secrets/demo-pull-secret.yaml')!.mode).toBe(0o644);
    }
  });
});

describe('writing, refusing and diffing', () => {
  it('writes a tree, and re-exporting an unchanged cluster gives byte-identical files', async () => {
    const root = join(tmp, 'out1');
    const tree = buildTree(fixtureInput(true), options({ withControlPlane: true, secrets: 'plain' }));
    await checkOutDir(root, tree.clusterDir, false);
    await writeTree(root, tree);
    const first = await Promise.all(
      (await listFiles(join(root, 'clusters/demo'))).map(async (f) => [f, await readFile(join(root, 'clusters/demo', f), 'utf8')]),
    );
    expect((await stat(join(root, 'clusters/demo/secrets/demo-pull-secret.yaml'))).mode & 0o777).toBe(0o600);
    await checkOutDir(root, tree.clusterDir, false); // a previous export is accepted
    await writeTree(root, buildTree(fixtureInput(true), options({ withControlPlane: true, secrets: 'plain' })));
    const second = await Promise.all(
      (await listFiles(join(root, 'clusters/demo'))).map(async (f) => [f, await readFile(join(root, 'clusters/demo', f), 'utf8')]),
    );
    expect(second).toEqual(first);
    expect((await diffTree(root, tree)).changes).toEqual([]);
  });

  it('refuses a non-empty --out that is not a previous export, unless --force', async () => {
    const root = join(tmp, 'notanexport');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'README.md'), 'mine');
    await expect(checkOutDir(root, 'clusters/demo', false)).rejects.toThrow(UsageError);
    await mkdir(join(root, 'clusters/demo'), { recursive: true });
    await expect(checkOutDir(root, 'clusters/demo', false)).rejects.toThrow(/not a previous hcp-dr export/);
    await expect(checkOutDir(root, 'clusters/demo', true)).resolves.toBeUndefined();
    // another cluster beside a previous export: the root is an export root
    const other = join(tmp, 'out1');
    await expect(checkOutDir(other, 'clusters/other', false)).resolves.toBeUndefined();
  });

  it('diff: lists changed, added and removed files; never shows lines under secrets/', async () => {
    const root = join(tmp, 'out2');
    await writeTree(root, buildTree(fixtureInput(), options({ secrets: 'plain' })));
    const input = fixtureInput();
    (input.hostedCluster['spec'] as Record<string, unknown>)['controllerAvailabilityPolicy'] = 'HighlyAvailable';
    (input.references[0]!['data'] as Record<string, string>)['.dockerconfigjson'] = Buffer.from('NEW-SECRET-VALUE').toString('base64');
    input.nodePools = [];
    const diff = await diffTree(root, buildTree(input, options({ secrets: 'plain' })));
    const text = renderDiff(diff);
    expect(diff.changes.map((c) => `${c.change} ${c.path}`)).toEqual([
      'changed clusters/demo/hostedcluster.yaml',
      'changed clusters/demo/kustomization.yaml',
      'removed clusters/demo/nodepools/demo-workers.yaml',
      'changed clusters/demo/secrets/demo-pull-secret.yaml',
    ]);
    expect(text).toContain('-   controllerAvailabilityPolicy: SingleReplica');
    expect(text).toContain('+   controllerAvailabilityPolicy: HighlyAvailable');
    expect(text).toContain('M clusters/demo/secrets/demo-pull-secret.yaml (content not shown: Secret data)');
    expect(text).not.toContain(Buffer.from('NEW-SECRET-VALUE').toString('base64'));
  });
});

describe('kubectl kustomize builds every exported tree', () => {
  const modes = {
    omit: options(),
    plain: options({ secrets: 'plain' }),
    sealed: options({ secrets: 'sealed', sealed: { certPem } }),
    external: options({ secrets: 'external', external: { store: 'vault', storeKind: 'SecretStore' } }),
    'with-control-plane': options({ withControlPlane: true, argocdRepoUrl: 'https://git.example.com/x.git' }),
  } as const;
  for (const [mode, o] of Object.entries(modes)) {
    it(mode, async (ctx) => {
      if (!existsSync(KUBECTL)) return ctx.skip(`${KUBECTL} not found: kustomize build not checked`);
      const root = join(tmp, `kz-${mode}`);
      const tree = buildTree(fixtureInput(o.withControlPlane), o);
      await writeTree(root, tree);
      const home = join(tmp, 'home');
      await mkdir(home, { recursive: true });
      const { stdout } = await run(KUBECTL, ['kustomize', join(root, tree.clusterDir)], {
        env: { ...process.env, HOME: home, KUBECONFIG: join(home, 'none') },
      });
      const docs = yaml.loadAll(stdout) as Array<{ kind: string; metadata: { name: string } }>;
      // kustomize applies its own kind order (namespaces first); the set of objects is the tree's
      expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
        tree.objects.map((x) => `${x.kind}/${x.metadata.name}`).sort(),
      );
      expect(docs[0]!.kind).toBe('Namespace');
    });
  }
});
