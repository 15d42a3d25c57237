/**
 * Export round trip on the sandbox: export clusters/demo from one sandbox, delete the cluster's
 * objects, apply the tree with the real kubectl to a fresh sandbox, and find the objects equal
 * apart from the fields the export removes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { KUBECTL, runAsync } from '../support/spawn.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { GroupResource, SimObject } from '../sandbox/api/types.ts';

const R = {
  namespace: { group: '', version: 'v1', plural: 'namespaces' },
  secret: { group: '', version: 'v1', plural: 'secrets' },
  hostedCluster: { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' },
  nodePool: { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'nodepools' },
} satisfies Record<string, GroupResource>;
const EXPORTED: [GroupResource, string | undefined, string][] = [
  [R.hostedCluster, 'clusters', 'demo'],
  [R.nodePool, 'clusters', 'demo-us-east-1a'],
  [R.secret, 'clusters', 'demo-pull-secret'],
  [R.secret, 'clusters', 'demo-ssh-key'],
  [R.secret, 'clusters', 'demo-etcd-encryption-key'],
];

/** What the export is documented to remove (README, cleaning rules), and what apply adds. */
function comparable(o: SimObject | undefined): unknown {
  if (!o) return undefined;
  const { status: _s, ...rest } = o;
  const {
    uid: _u,
    resourceVersion: _r,
    generation: _g,
    creationTimestamp: _c,
    managedFields: _m,
    finalizers: _f,
    ownerReferences: _o,
    annotations,
    ...metadata
  } = o.metadata;
  const kept = Object.fromEntries(
    Object.entries(annotations ?? {}).filter(
      ([k]) => !k.startsWith('argocd.argoproj.io/') && k !== 'kubectl.kubernetes.io/last-applied-configuration',
    ),
  );
  const spec = rest['spec'] as Record<string, unknown> | undefined;
  return {
    ...rest,
    ...(spec ? { spec: { ...spec, pausedUntil: undefined } } : {}),
    metadata: { ...metadata, ...(Object.keys(kept).length ? { annotations: kept } : {}) },
  };
}

const kubectl = (args: string[], env: NodeJS.ProcessEnv) => runAsync(KUBECTL as string, args, env);

let source: Sandbox;
let target: Sandbox;
let dir: string;

beforeAll(async () => {
  [source, target] = await Promise.all([startSandbox({ seedKeys: 10 }), startSandbox({ seedKeys: 10 })]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-export-rt-'));
});
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!KUBECTL)('export round trip through kubectl apply', () => {
  it('when the tree is applied to a fresh sandbox, the objects equal the originals apart from the removed fields', async () => {
    const originals = EXPORTED.map(([r, ns, name]) => structuredClone(source.sim.store.get(r, ns, name)));
    expect(originals.every(Boolean)).toBe(true);
    const exported = await runCliInProcess([
      'export',
      'demo',
      '-n',
      'clusters',
      '--kubeconfig',
      source.kubeconfig,
      '--out',
      dir,
      '--secrets',
      'plain',
    ]);
    expect(exported.code, exported.stderr).toBe(0);

    // The cluster is lost: its objects are gone from the target (finalizers released, as a teardown does).
    for (const [r, ns, name] of EXPORTED) {
      if (target.sim.store.get(r, ns, name)) {
        target.sim.store.mutate(r, ns, name, (o) => void (o.metadata.finalizers = []));
        target.sim.store.delete(r, ns, name);
      }
      expect(target.sim.store.get(r, ns, name)).toBeUndefined();
    }
    const env = { ...process.env, KUBECONFIG: target.kubeconfig, HOME: dir };
    const applied = await kubectl(['apply', '--validate=false', '-k', path.join(dir, 'clusters', 'demo')], env);
    expect(applied.code, applied.out).toBe(0);
    expect(applied.out).toMatch(/hostedcluster\.hypershift\.openshift\.io\/demo created/);

    for (const [i, [r, ns, name]] of EXPORTED.entries()) {
      expect(comparable(target.sim.store.get(r, ns, name)), `${r.plural}/${name}`).toEqual(comparable(originals[i]));
    }
    // Re-exporting the restored cluster changes only the provenance (another API server): nothing was lost or invented.
    const diff = await runCliInProcess([
      'export',
      'demo',
      '-n',
      'clusters',
      '--kubeconfig',
      target.kubeconfig,
      '--diff',
      dir,
      '--secrets',
      'plain',
    ]);
    const changedFiles = diff.stdout.split('\n').filter((l) => /^[MAD] /.test(l));
    expect(changedFiles).toEqual(['M clusters/demo/provenance.yaml']);
  });
});
