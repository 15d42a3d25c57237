/**
 * The move's crash matrix: `move`, run as its own process, is killed with SIGKILL right after each
 * phase in turn; `resume` on the side the records say (the source before the destination's
 * HostedCluster exists, the destination after) must then undo the move (before the DNS hand-off:
 * the source exactly as it was) or finish it. Never a cluster running in two places, never in none.
 */
import { cliKilledAt, type KilledRun } from '../support/kill-at.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type ManagementCluster, type Sandbox } from '../sandbox/sandbox.ts';
import { demoMoveArgs, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { waitFor } from '../support/wait.ts';
import { snapshotFiles, waitForDemoPublished } from '../support/move-checks.ts';
import { etcdInitSplitBrainDefault } from '../sandbox/hypershift/operator.ts';
import type { GroupResource, SimObject } from '../sandbox/api/types.ts';

const HS = (plural: string): GroupResource => ({ group: 'hypershift.openshift.io', version: 'v1beta1', plural });
const HC = HS('hostedclusters');
const NODEPOOLS = HS('nodepools');
const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };
const NAMESPACES: GroupResource = { group: '', version: 'v1', plural: 'namespaces' };
const ROUTES: GroupResource = { group: 'route.openshift.io', version: 'v1', plural: 'routes' };
const FROZEN = ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver', 'control-plane-operator'];
const API = 'api-demo.hcp.example.com';
const BEFORE_HANDOFF = ['started', 'frozen', 'backed-up'];

let sb: Sandbox;
let restoreEnv: (() => void) | undefined;
/** The context the demo runs on now. */
let where = 'sandbox';

const cluster = (context: string): ManagementCluster => sb.clusters[context === 'sandbox' ? 0 : 1] as ManagementCluster;
const other = (context: string) => (context === 'sandbox' ? 'sandbox-2' : 'sandbox');

/** What a rolled-back move must leave exactly as it was on the source. */
function sourceState(m: ManagementCluster) {
  const hc = m.sim.store.get(HC, 'clusters', 'demo');
  return {
    pausedUntil: (hc?.['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ?? null,
    annotations: Object.keys(hc?.metadata.annotations ?? {}).filter((k) => k.startsWith('hcp-dr.')),
    nodePools: m.sim.store
      .list(NODEPOOLS, 'clusters')
      .map((np) => [np.metadata.name, (np['spec'] as { pausedUntil?: string }).pausedUntil ?? null]),
    replicas: FROZEN.map(
      (d) => (m.sim.store.get(DEPLOYMENTS, 'clusters-demo', d)?.['spec'] as { replicas?: number } | undefined)?.replicas,
    ),
    routes: m.sim.store
      .list(ROUTES, 'clusters-demo')
      .map((r) => r.metadata.name)
      .sort(),
  };
}

/** Runs the move in a child process and kills it with `signal` once stderr shows `marker`. */
function moveUntil(from: string, marker: string, signal: NodeJS.Signals = 'SIGKILL', extra: string[] = []): Promise<KilledRun> {
  return cliKilledAt(demoMoveArgs(sb, from, other(from), ['--wait-timeout', '3m', '--yes', '-v', ...extra]), marker, { signal });
}

const moveRecord = (hc: SimObject | undefined): { phase?: string; repair?: boolean } | undefined => {
  const raw = hc?.metadata.annotations?.['hcp-dr.openshift.io/operation'] ?? hc?.metadata.annotations?.['hcp-dr.openshift.io/move'];
  return raw ? (JSON.parse(raw) as { phase?: string; repair?: boolean }) : undefined;
};

/** Exactly one management cluster runs demo, serves its API name, and holds its data. */
async function expectOnePlace(context: string): Promise<void> {
  const here = cluster(context);
  const there = cluster(other(context));
  expect(there.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
  expect(there.sim.store.get(NAMESPACES, undefined, 'clusters-demo')).toBeUndefined();
  const hc = here.sim.store.get(HC, 'clusters', 'demo')!;
  expect(
    Object.keys(hc.metadata.annotations ?? {}).filter(
      (k) => k.startsWith('hcp-dr.openshift.io/') && k !== 'hcp-dr.openshift.io/restored-from',
    ),
  ).toEqual([]);
  expect(sourceState(here).replicas.every((n) => (n ?? 0) > 0)).toBe(true);
  await waitFor(
    `${API} on ${context}`,
    async () =>
      (
        await sb
          .dns!.resolver()
          .resolve4(API)
          .catch(() => [])
      )[0] === here.ingressAddress,
    30_000,
  );
  const etcd =
    context === 'sandbox' && here.operator?.etcd('clusters-demo') === undefined ? sb.etcd : here.operator!.etcd('clusters-demo')!;
  expect(await etcd.get('/move-crash/key')).toBe('value');
  // Nothing left on the members: a rollback or resume removes the move's snapshot file.
  expect(await snapshotFiles(sb, context)).toEqual([]);
}

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, guests: true, capi: true, initBackoffMs: 1000 });
  restoreEnv = useSandboxCredentials(sb);
  await waitForDemoPublished(sb);
  await sb.etcd.put('/move-crash/key', 'value');
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

const CASES: { marker: string; label: string; resumeOn: 'source' | 'destination' }[] = [
  { label: 'locked', marker: 'debug: step: locked\n', resumeOn: 'source' },
  { label: 'frozen', marker: 'debug: step: frozen\n', resumeOn: 'source' },
  { label: 'backed-up', marker: 'debug: step: backed-up\n', resumeOn: 'source' },
  { label: 'dns-handoff', marker: 'debug: step: dns-handoff\n', resumeOn: 'source' },
  { label: 'dns-released', marker: 'debug: step: dns-released\n', resumeOn: 'source' },
  { label: 'the destination HostedCluster created', marker: 'created HostedCluster clusters/demo\n', resumeOn: 'destination' },
  { label: 'verified', marker: 'debug: step: verified\n', resumeOn: 'destination' },
  { label: 'tearing-down', marker: 'debug: step: tearing-down\n', resumeOn: 'destination' },
  { label: 'source-removed', marker: 'debug: step: source-removed\n', resumeOn: 'destination' },
];

describe('move crash matrix: SIGKILL after each phase, then resume on the side the records say', () => {
  for (const c of CASES) {
    it(
      `killed after ${c.label}: resume (${c.resumeOn}) ${BEFORE_HANDOFF.includes(c.label) || c.label === 'locked' ? 'undoes it exactly' : 'finishes it'}`,
      { timeout: 240_000 },
      async () => {
        const from = where;
        const to = other(from);
        const before = sourceState(cluster(from));
        const run = await moveUntil(from, c.marker);
        expect(run.reached, run.stderr).toBe(true);
        expect(run.signal).toBe('SIGKILL');
        // The kill lands on the line; at most the next record write may have gone out before it.
        const phase =
          moveRecord(cluster(from).sim.store.get(HC, 'clusters', 'demo'))?.phase ??
          moveRecord(cluster(to).sim.store.get(HC, 'clusters', 'demo'))?.phase;
        expect(phase, run.stderr).toBeDefined();
        const rollsBack = BEFORE_HANDOFF.includes(phase ?? '');
        const side = c.resumeOn === 'source' ? from : to;
        const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--context', side]);
        expect(resumed.code, resumed.stderr).toBe(0);
        if (rollsBack) {
          expect(sourceState(cluster(from))).toEqual(before);
          await expectOnePlace(from);
        } else {
          await expectOnePlace(to);
          where = to;
        }
        // Idempotent: nothing left to resume on either side that still has the cluster.
        const again = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--context', where]);
        expect(again.stdout).toContain('nothing to resume');
      },
    );
  }

  it(
    'SIGINT after the hand-off stops with the source paused for good and names the resume that finishes it',
    { timeout: 240_000 },
    async () => {
      const from = where;
      const run = await moveUntil(from, 'debug: step: dns-released\n', 'SIGINT');
      expect(run.reached).toBe(true);
      expect(run.code).toBe(130);
      expect(run.stderr).toMatch(/^error: move of "clusters\/demo" interrupted after the DNS hand-off: the source stays paused for good/m);
      expect(run.stderr).toMatch(new RegExp(`^hint: finish it with: kubectl hcp-dr resume demo -n clusters --context ${from}`, 'm'));
      expect((cluster(from).sim.store.get(HC, 'clusters', 'demo')?.['spec'] as { pausedUntil?: string }).pausedUntil).toBe('true');
      const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--context', from]);
      expect(resumed.code, resumed.stderr).toBe(0);
      await expectOnePlace(other(from));
      where = other(from);
    },
  );

  it(
    'a --no-repair move killed after the hand-off: resume honours the recorded --no-repair (SplitBrain, exit 4, the hint naming the resume); that resume repairs and finishes',
    { timeout: 300_000 },
    async () => {
      const from = where;
      const to = other(from);
      const run = await moveUntil(from, 'debug: step: dns-released\n', 'SIGKILL', ['--no-repair']);
      expect(run.reached, run.stderr).toBe(true);
      expect(moveRecord(cluster(from).sim.store.get(HC, 'clusters', 'demo'))).toMatchObject({ repair: false });
      const resume = ['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--context', from];
      const operator = cluster(to).operator!;
      operator.setSplitBrainRestore(true);
      let stopped;
      try {
        stopped = await runCliInProcess(resume);
      } finally {
        operator.setSplitBrainRestore(etcdInitSplitBrainDefault());
      }
      expect(stopped.code, stopped.stderr).toBe(4);
      expect(stopped.stderr).toMatch(/^error: move \w+ of "clusters\/demo" stopped at the destination: split brain/m);
      const hint = /^hint: .*finish the move with "kubectl hcp-dr (resume [^"]+)"$/m.exec(stopped.stderr)?.[1];
      expect(hint, stopped.stderr).toBeDefined();
      expect(moveRecord(cluster(from).sim.store.get(HC, 'clusters', 'demo'))).toMatchObject({ phase: 'restoring' });
      expect(cluster(from).sim.store.get(NAMESPACES, undefined, 'clusters-demo')).toBeDefined();
      const finished = await runCliInProcess(hint!.split(/\s+/));
      expect(finished.code, finished.stderr).toBe(0);
      expect(finished.stderr).toMatch(/repairing in place from the same backup/);
      await expectOnePlace(to);
      where = to;
    },
  );

  it('SIGINT before the hand-off rolls back by itself and exits 130', { timeout: 240_000 }, async () => {
    const from = where;
    const before = sourceState(cluster(from));
    const run = await moveUntil(from, 'debug: step: frozen\n', 'SIGINT');
    expect(run.reached).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/^error: move of "clusters\/demo" interrupted before the DNS hand-off; the source was unfrozen/m);
    expect(sourceState(cluster(from))).toEqual(before);
    await expectOnePlace(from);
  });
});
