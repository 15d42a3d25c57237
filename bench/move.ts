/**
 * Move benchmark (issue 15) on the sandbox's move world (two management clusters, one DNS server,
 * external-DNS stand-ins, guest APIs): the hosted cluster's API downtime during `hcp-dr move` of a
 * ~100 MiB etcd (the built plugin, plugin/kubectl-hcp_dr), against the sum of the same phases run
 * one by one by hand in the same run, as API operations the documented procedure names
 * (hypershift-domain.md §2.7-2.8): pause and scale to 0; etcdctl snapshot save in the pod, cat to
 * the bucket; delete the Routes and poll DNS; create the Secrets, the HostedCluster with the
 * pre-signed restoreSnapshotURL and the NodePools on the other cluster, wait for the restored etcd
 * and the API servers, poll DNS. The plugin's downtime is measured from outside, by the guest
 * API's own reachability (what clients see), and reported beside its own downtimeSeconds.
 * Rounds alternate: the plugin moves demo one way, the manual procedure moves it back. The plugin's
 * destination runs the released etcd-init (a split brain on HA, which the move repairs: hypershift-domain.md
 * §3.1); the manual procedure's destination runs the fixed one, as the docs' procedure assumes (a split
 * brain left there would also make the next round's move refuse its source).
 * HCP_DR_BENCH_MOVE_MB (default 100), HCP_DR_BENCH_ROUNDS (default 2).
 */
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fillEtcd } from '../test/support/etcd-fill.ts';
import { demoMoveArgs, presignedHttpsGet, useSandboxCredentials } from '../test/support/sandbox-s3.ts';
import { REPO_ROOT, startSandbox, type ManagementCluster, type Sandbox } from '../test/sandbox/sandbox.ts';
import { connectKube } from '../src/kube/session.ts';
import { openObjectStore } from '../src/s3/store.ts';
import { conditionsOf, Etcd, Resources, RESTORE_PKI_SECRETS, stripServerFields, type KubeObject } from '../src/core/model.ts';
import { tearDownSource } from '../src/core/move/teardown.ts';
import { systemClock, type KubeSession } from '../src/core/ports.ts';
import type { MoveResult } from '../src/core/move/types.ts';
import { emit, median, timedRun } from './lib.ts';

const mb = Number(process.env['HCP_DR_BENCH_MOVE_MB'] ?? 100);
const rounds = Math.max(1, Number(process.env['HCP_DR_BENCH_ROUNDS'] ?? 2));
const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
const API = 'api-demo.hcp.example.com';
const NS = 'clusters';
const CP = 'clusters-demo';
const FROZEN = ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver', 'control-plane-operator'];
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const ctxOf = (m: ManagementCluster) => m.context;

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const resolves = async (sb: Sandbox) =>
  sb
    .dns!.resolver()
    .resolve4(API)
    .catch(() => [] as string[]);

/** The guest API's downtime in one window: the outages that began in it, in seconds. */
function outageIn(sb: Sandbox, from: number, to: number): number {
  const guest = sb.guests!.get('demo-x7k2p');
  if (!guest) return NaN;
  return guest
    .outages()
    .filter((o) => o.from >= from && o.from <= to)
    .reduce((sum, o) => sum + ((o.to ?? to) - o.from) / 1000, 0);
}

/** The documented procedure, phase by phase, each timed on its own. */
async function byHand(sb: Sandbox, from: ManagementCluster, to: ManagementCluster, round: number): Promise<Record<string, number>> {
  const src: KubeSession = await connectKube({ kubeconfig: sb.kubeconfig, context: ctxOf(from) }, quiet);
  const dst: KubeSession = await connectKube({ kubeconfig: sb.kubeconfig, context: ctxOf(to) }, quiet);
  const times: Record<string, number> = {};
  const timed = async (phase: string, work: () => Promise<void>) => {
    const t0 = performance.now();
    await work();
    times[phase] = (performance.now() - t0) / 1000;
  };
  const hc = (await src.api.get(Resources.hostedCluster, NS, 'demo'))!;
  const pools = (await src.api.list(Resources.nodePool, NS)).filter(
    (np) => (np['spec'] as { clusterName?: string }).clusterName === 'demo',
  );
  await timed('freeze', async () => {
    await src.api.mergePatch(Resources.hostedCluster, NS, 'demo', { spec: { pausedUntil: 'true' } });
    for (const np of pools) await src.api.mergePatch(Resources.nodePool, NS, np.metadata.name ?? '', { spec: { pausedUntil: 'true' } });
    await until(
      'pause on the HCP',
      async () =>
        ((await src.api.get(Resources.hostedControlPlane, CP, 'demo'))?.['spec'] as { pausedUntil?: string }).pausedUntil === 'true',
    );
    await Promise.all(FROZEN.map((d) => src.api.mergePatch(Resources.deployment, CP, d, { spec: { replicas: 0 } }, 'scale')));
    await until('scaled to 0', async () => {
      for (const d of FROZEN)
        if (((await src.api.get(Resources.deployment, CP, d))?.['status'] as { replicas?: number }).replicas) return false;
      return true;
    });
  });
  const key = `by-hand/${round}/snapshot.db`;
  const store = (await openObjectStore({ url: `s3://${sb.s3.bucket}`, endpoint: sb.s3.endpoint, pathStyle: true }, quiet)).store;
  await timed('snapshot and upload', async () => {
    const tls = ['--cacert', Etcd.caPath, '--cert', Etcd.clientCert, '--key', Etcd.clientKey, '--endpoints', Etcd.localEndpoint];
    const file = '/var/lib/data/snapshot.db';
    const saved = await src.exec.exec({
      namespace: CP,
      pod: 'etcd-0',
      container: 'etcd',
      command: ['etcdctl', ...tls, 'snapshot', 'save', file],
    });
    if (saved.exitCode !== 0) throw new Error(`snapshot save: ${saved.stderr}`);
    const body = new PassThrough();
    const upload = store.put(key, body);
    const cat = await src.exec.exec({ namespace: CP, pod: 'etcd-0', container: 'etcd', command: ['cat', file], stdout: body });
    body.end();
    await upload;
    if (cat.exitCode !== 0) throw new Error(`cat: ${cat.stderr}`);
    await src.exec.exec({ namespace: CP, pod: 'etcd-0', container: 'etcd', command: ['rm', '-f', file] });
  });
  const sourceAddress = from.ingressAddress;
  await timed('routes deleted, DNS released', async () => {
    for (const r of await src.api.list(Resources.route, CP)) await src.api.delete(Resources.route, CP, r.metadata.name ?? '');
    await until('DNS released', async () => !(await resolves(sb)).includes(sourceAddress));
  });
  const url = await presignedHttpsGet(sb, key);
  await timed('restore on the other cluster', async () => {
    const clean = (o: KubeObject, namespace?: string): KubeObject => {
      const out = stripServerFields(o);
      const { ownerReferences: _o, ...metadata } = out.metadata;
      return { ...out, metadata: { ...metadata, ...(namespace ? { namespace } : {}), annotations: {} } };
    };
    if (!(await dst.api.get(Resources.namespace, '', CP)))
      await dst.api.create(Resources.namespace, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CP } });
    for (const s of await src.api.list(Resources.secret, NS)) {
      const name = s.metadata.name ?? '';
      if (!name.startsWith('demo-') || /admin-kubeconfig|kubeadmin/.test(name) || (await dst.api.get(Resources.secret, NS, name))) continue;
      await dst.api.create(Resources.secret, NS, clean(s));
    }
    for (const n of RESTORE_PKI_SECRETS) {
      const s = await src.api.get(Resources.secret, CP, n);
      if (s) await dst.api.create(Resources.secret, CP, clean(s));
    }
    const restored = clean(hc);
    const spec = restored['spec'] as { pausedUntil?: string; etcd: { managed: { storage: Record<string, unknown> } } };
    delete spec.pausedUntil;
    spec.etcd.managed.storage['restoreSnapshotURL'] = [url];
    await dst.api.create(Resources.hostedCluster, NS, restored);
    for (const np of pools) {
      const p = clean(np);
      delete (p['spec'] as { pausedUntil?: string }).pausedUntil;
      await dst.api.create(Resources.nodePool, NS, p);
    }
    await until('etcd restored and the API servers up', async () => {
      const hcp = await dst.api.get(Resources.hostedControlPlane, CP, 'demo');
      if (conditionsOf(hcp).find((c) => c.type === 'EtcdSnapshotRestored')?.status !== 'True') return false;
      const sts = await dst.api.get(Resources.statefulSet, CP, 'etcd');
      const kas = await dst.api.get(Resources.deployment, CP, 'kube-apiserver');
      return (
        ((sts?.['status'] as { readyReplicas?: number })?.readyReplicas ?? 0) >= 3 &&
        ((kas?.['status'] as { readyReplicas?: number })?.readyReplicas ?? 0) > 0
      );
    });
  });
  await timed('DNS at the other cluster', () =>
    until('DNS at the destination', async () => (await resolves(sb)).includes(to.ingressAddress)),
  );
  // Not downtime: the source goes once the destination serves.
  await tearDownSource({
    api: src.api,
    clock: systemClock,
    reporter: quiet,
    namespace: NS,
    name: 'demo',
    controlPlaneNamespace: CP,
    timeoutMs: 300_000,
  });
  await until('the other side settled', async () => !(await src.api.get(Resources.namespace, '', CP)));
  return times;
}

const sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, guests: true, capi: true, seedKeys: 100, initBackoffMs: 1000 });
const stop = () => void sb.stop().finally(() => process.exit(130));
process.once('SIGINT', stop).once('SIGTERM', stop);
useSandboxCredentials(sb);
try {
  const [m1, m2] = sb.clusters as [ManagementCluster, ManagementCluster];
  // m1 receives only the manual procedure's restores: the fixed etcd-init (no split brain, no repair).
  m1.operator!.setSplitBrainRestore(false);
  await until('api-demo published', async () => (await resolves(sb))[0] === m1.ingressAddress);
  const t0 = performance.now();
  await fillEtcd(sb.etcd, mb, { inFlight: 8 });
  console.log(`filled ${mb} MiB in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  // useSandboxCredentials put the sandbox's AWS credentials into process.env.
  const env = { ...process.env, ...sb.env };
  const outages: number[] = [];
  const reported: number[] = [];
  const sums: number[] = [];
  const repairs: string[] = [];
  const pluginPhases: Record<string, number[]> = {};
  const handPhases: Record<string, number[]> = {};
  for (let round = 1; round <= rounds; round++) {
    const started = Date.now();
    const run = await timedRun(entry, demoMoveArgs(sb, m1.context, m2.context, ['--wait-timeout', '20m', '--yes', '-o', 'json']), env);
    if (run.code !== 0) throw new Error(`move failed (exit ${run.code}):\n${run.stderr}`);
    const result = JSON.parse(run.stdout) as MoveResult;
    outages.push(outageIn(sb, started, Date.now()));
    reported.push(result.downtimeSeconds ?? NaN);
    const repair = result.restore?.repair;
    repairs.push(repair?.repaired ? `repaired (API servers at 0 for ${repair.apiDowntimeSeconds?.toFixed(1)} s)` : 'no repair');
    for (const p of result.phases) (pluginPhases[p.phase] ??= []).push(p.seconds);
    if (!(await m2.operator!.etcd(CP)?.get('/bench/000000'))) throw new Error('the moved etcd has no /bench/000000');
    const hand = await byHand(sb, m2, m1, round);
    for (const [k, v] of Object.entries(hand)) (handPhases[k] ??= []).push(v);
    sums.push(Object.values(hand).reduce((a, b) => a + b, 0));
    console.log(
      `round ${round}: plugin API outage ${outages.at(-1)!.toFixed(1)} s (its own downtimeSeconds ${reported.at(-1)!.toFixed(1)} s, process ${(run.ms / 1000).toFixed(1)} s); by hand, sum of phases ${sums.at(-1)!.toFixed(1)} s`,
    );
  }
  const fmt = (phases: Record<string, number[]>) =>
    Object.entries(phases)
      .map(([k, v]) => `${k} ${median(v).toFixed(1)} s`)
      .join('; ');
  const baseline = { label: 'the same phases by hand, one by one (sum; fixed etcd-init, no repair)', value: median(sums) };
  const outage = median(outages);
  emit({
    bench: `move ${mb} MiB`,
    metric: "hosted cluster's API downtime during `move` (guest API unreachable)",
    value: outage,
    unit: 's',
    baseline,
    ratio: outage / baseline.value,
    target: '≤ 1.2x',
    met: outage / baseline.value <= 1.2,
    note: `medians of ${rounds} rounds; the plugin's own downtimeSeconds ${median(reported).toFixed(1)} s; round ratios ${outages.map((o, i) => (o / (sums[i] ?? o)).toFixed(2)).join(', ')}; split brain on the destination: ${repairs.join(', ')}`,
  });
  emit({ bench: `move ${mb} MiB`, metric: 'phases of `move` (medians)', value: outage, unit: 's', note: fmt(pluginPhases) });
  emit({ bench: `move ${mb} MiB`, metric: 'phases by hand (medians)', value: baseline.value, unit: 's', note: fmt(handPhases) });
} finally {
  await sb.stop();
}
