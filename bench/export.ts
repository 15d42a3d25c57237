/**
 * Benchmark (not a timed test): `export --with-control-plane` of a hosted cluster whose
 * control-plane namespace holds 2,000 objects, from the API simulator through the real kube
 * adapter, written to a temporary directory. Target: at most 2 s. Run:
 *   node bench/export.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startApiSimulator } from '../test/sandbox/api/server.ts';
import { connectKube } from '../src/kube/session.ts';
import { runExport } from '../src/core/export/run-export.ts';
import { KNOWN_KINDS } from '../src/core/objects/kinds.ts';
import { loadFixture } from '../test/unit/export/helpers.ts';
import type { SimObject } from '../test/sandbox/api/types.ts';

const OBJECTS = 2000;
const quiet = { info: () => {}, warn: () => {}, debug: () => {} };

const sim = await startApiSimulator();
const dir = await mkdtemp(join(tmpdir(), 'hcpdr-bench-export-'));
try {
  const create = (kind: string, o: SimObject) => {
    const k = KNOWN_KINDS.find((x) => x.kind === kind)!;
    sim.store.create({ group: k.group, version: k.version, plural: k.plural }, o);
  };
  const fx = (name: string) => {
    const o = loadFixture(name, 'raw') as SimObject;
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, ...metadata } = o.metadata;
    return { ...o, metadata } as SimObject;
  };
  create('Namespace', fx('namespace'));
  create('Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters-demo' } });
  create('HostedCluster', fx('hostedcluster'));
  create('NodePool', fx('nodepool'));
  // 2,000 objects in the control-plane namespace: the four single objects, then Machines,
  // AWSMachines, MachineSets and AWSMachineTemplates in turn.
  for (const k of ['hostedcontrolplane', 'cluster', 'awscluster', 'machinedeployment']) {
    const o = fx(k);
    create(o.kind, o);
  }
  const cycle = ['machine', 'awsmachine', 'machineset', 'awsmachinetemplate'];
  for (let i = 0; i < OBJECTS - 4; i++) {
    const o = fx(cycle[i % cycle.length]!);
    create(o.kind, { ...o, metadata: { ...o.metadata, name: `${o.metadata.name}-${String(i).padStart(4, '0')}` } });
  }
  const kubeconfig = await sim.writeKubeconfig(join(dir, 'kubeconfig'), { token: 'bench', namespace: 'clusters' });
  const session = await connectKube({ kubeconfig, namespace: 'clusters' }, quiet);
  const options = { secrets: 'omit' as const, keepRestoreUrl: false, withControlPlane: true, toolVersion: 'bench' };
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const result = await runExport(
      { type: 'live', api: session.api, namespace: 'clusters', name: 'demo' },
      { type: 'dir', root: join(dir, 'out'), force: false },
      options,
      quiet,
    );
    runs.push(performance.now() - t0);
    if (i === 0) console.log(`exported ${result.tree.objects.length} objects, ${result.tree.files.length} files`);
  }
  const best = Math.min(...runs);
  console.log(
    `export --with-control-plane, ${OBJECTS} control-plane objects: ${runs.map((r) => (r / 1000).toFixed(2) + ' s').join(', ')} (best ${(best / 1000).toFixed(2)} s; target ≤ 2 s) ${best <= 2000 ? 'OK' : 'SLOW'}`,
  );
} finally {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
}
