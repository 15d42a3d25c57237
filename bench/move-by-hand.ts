/**
 * The move baseline: the documented migration done by hand, as the API operations of
 * hypershift-domain.md §2.7-2.9 in a competent SRE's order, on the same released HyperShift the
 * plugin's move meets (etcd-init without --name/--initial-cluster: an HA restore splits its etcd,
 * §3.1), followed by what released HyperShift leaves to the SRE: the membership check of §2.6
 * step 6 and, on a split brain, the in-place etcd restore by hand (§2.4 steps 3-8,
 * move-by-hand-repair.ts) from the snapshot kept locally while it was uploaded.
 *
 *   freeze                 §2.7 steps 3-5: pause HC and NodePools, wait for the HCP's pause, scale to 0
 *   snapshot and upload    §2.7 step 6: etcdctl snapshot save in etcd-0, cat out to S3 (teed to a local file)
 *   dump objects           §2.7 step 7: HC, NodePools, HC-ns Secrets, every CP-ns Secret but the
 *                          docs' exclusions, the CAPI and AWS objects (the nodes migration)
 *   routes deleted, DNS released   §2.7 step 8
 *   restore on the other cluster   §2.8 steps 1-6 (no pre-created HCP: §2.8's inference), wait for
 *                          EtcdSnapshotRestored, etcd Ready and kube-apiserver Ready
 *   membership check       §2.6 step 6: member list and hashkv in every member
 *   in-place repair        §2.4 steps 3-8 when the members are in different clusters
 *   DNS at the other cluster
 * Not timed (after the API is back): the teardown of the source (§2.9).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { presignedHttpsGet } from '../test/support/sandbox-s3.ts';
import type { ManagementCluster, Sandbox } from '../test/sandbox/sandbox.ts';
import { connectKube } from '../src/kube/session.ts';
import { openObjectStore } from '../src/s3/store.ts';
import { conditionsOf, Etcd, Resources, stripServerFields, type KubeObject } from '../src/core/model.ts';
import { CONTROL_PLANE_KINDS } from '../src/core/objects/kinds.ts';
import { tearDownSource } from '../src/core/move/teardown.ts';
import { systemClock, type KubeSession, type ResourceType } from '../src/core/ports.ts';
import { repairByHand, splitBrain } from './move-by-hand-repair.ts';
import { until } from './move-by-hand-wait.ts';

export { until };

const NS = 'clusters';
const CP = 'clusters-demo';
const API = 'api-demo.hcp.example.com';
const FROZEN = ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver', 'control-plane-operator'];
/** §2.7 step 7: the control-plane Secrets the docs leave out (`grep -v`). */
const DOCS_EXCLUDED = /docker|service-account-token|oauth-openshift|token-demo/;
/** §2.8 step 4, the script's order: awscl, awsmt, awsm, machinedeployment, machine, machineset (the Cluster in step 3). */
const DOCS_CAPI_ORDER = ['Cluster', 'AWSCluster', 'AWSMachineTemplate', 'AWSMachine', 'MachineDeployment', 'Machine', 'MachineSet'];
const TLS = ['--cacert', Etcd.caPath, '--cert', Etcd.clientCert, '--key', Etcd.clientKey, '--endpoints', Etcd.localEndpoint];
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export const resolves = async (sb: Sandbox) =>
  sb
    .dns!.resolver()
    .resolve4(API)
    .catch(() => [] as string[]);

/** The docs' script strips these before apply (§2.8 step 4); hcp-dr's own records never reach a by-hand HC. */
function clean(o: KubeObject, dropAnnotations: boolean): KubeObject {
  const out = stripServerFields(o);
  const { ownerReferences: _o, ...metadata } = out.metadata;
  const annotations = Object.fromEntries(Object.entries(metadata.annotations ?? {}).filter(([k]) => !k.startsWith('hcp-dr.')));
  return { ...out, metadata: { ...metadata, annotations: dropAnnotations ? {} : annotations } };
}

const replicasReady = (o: KubeObject | undefined) => (o?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;

export interface ByHandRun {
  /** Seconds per phase, in order. */
  phases: Record<string, number>;
  /** From the first change (the pause) until the API name resolves to the destination, seconds. */
  wallSeconds: number;
  /** Epoch ms of the first change and of the end of the last timed phase. */
  from: number;
  to: number;
  repaired: boolean;
  /** The control-plane Secrets carried (names). */
  carriedSecrets: string[];
}

export async function moveByHand(sb: Sandbox, from: ManagementCluster, to: ManagementCluster, round: number): Promise<ByHandRun> {
  const src: KubeSession = await connectKube({ kubeconfig: sb.kubeconfig, context: from.context }, quiet);
  const dst: KubeSession = await connectKube({ kubeconfig: sb.kubeconfig, context: to.context }, quiet);
  const phases: Record<string, number> = {};
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const value = await work();
    phases[phase] = (performance.now() - t0) / 1000;
    return value;
  };
  const pools = (await src.api.list(Resources.nodePool, NS)).filter(
    (np) => (np['spec'] as { clusterName?: string }).clusterName === 'demo',
  );
  const key = `by-hand/${round}/snapshot.db`;
  const local = path.join(sb.dir, `by-hand-${round}.db`); // removed with the sandbox if a round fails
  // Over the https front, as `aws s3 cp` to S3 always is (and as the plugin's upload goes).
  const store = (
    await openObjectStore({ url: `s3://${sb.s3.bucket}`, endpoint: sb.s3.httpsEndpoint, caBundle: sb.s3.caFile, pathStyle: true }, quiet)
  ).store;
  const startedAt = Date.now();
  const t0 = performance.now();

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

  await timed('snapshot and upload', async () => {
    const file = '/var/lib/data/snapshot.db';
    const saved = await src.exec.exec({
      namespace: CP,
      pod: 'etcd-0',
      container: 'etcd',
      command: ['etcdctl', ...TLS, 'snapshot', 'save', file],
    });
    if (saved.exitCode !== 0) throw new Error(`snapshot save: ${saved.stderr}`);
    // One read out of the pod, teed: to the bucket and to a local copy for a repair.
    const out = new PassThrough();
    const toS3 = new PassThrough();
    const toFile = createWriteStream(local);
    out.pipe(toS3);
    out.pipe(toFile);
    const upload = store.put(key, toS3);
    const cat = await src.exec.exec({ namespace: CP, pod: 'etcd-0', container: 'etcd', command: ['cat', file], stdout: out });
    out.end();
    await Promise.all([upload, once(toFile, 'finish')]);
    if (cat.exitCode !== 0) throw new Error(`cat: ${cat.stderr}`);
    await src.exec.exec({ namespace: CP, pod: 'etcd-0', container: 'etcd', command: ['rm', '-f', file] });
  });

  const dump = await timed('dump objects', async () => {
    const hc = (await src.api.get(Resources.hostedCluster, NS, 'demo'))!;
    const nodePools = (await src.api.list(Resources.nodePool, NS)).filter(
      (np) => (np['spec'] as { clusterName?: string }).clusterName === 'demo',
    );
    // The operator publishes the admin kubeconfig and kubeadmin password anew on the destination.
    const hcSecrets = (await src.api.list(Resources.secret, NS)).filter(
      (s) => (s.metadata.name ?? '').startsWith('demo') && !/admin-kubeconfig|kubeadmin/.test(s.metadata.name ?? ''),
    );
    const cpSecrets = (await src.api.list(Resources.secret, CP)).filter((s) => !DOCS_EXCLUDED.test(s.metadata.name ?? ''));
    const capi: KubeObject[] = [];
    for (const kind of DOCS_CAPI_ORDER) {
      const type = CONTROL_PLANE_KINDS.find((k) => k.kind === kind) as ResourceType;
      capi.push(...(await src.api.list(type, CP)));
    }
    return { hc, nodePools, hcSecrets, cpSecrets, capi };
  });

  const sourceAddress = from.ingressAddress;
  await timed('routes deleted, DNS released', async () => {
    for (const r of await src.api.list(Resources.route, CP)) await src.api.delete(Resources.route, CP, r.metadata.name ?? '');
    await until('DNS released', async () => !(await resolves(sb)).includes(sourceAddress));
  });

  await timed('restore on the other cluster', async () => {
    const url = await presignedHttpsGet(sb, key);
    for (const ns of [NS, CP])
      if (!(await dst.api.get(Resources.namespace, '', ns)))
        await dst.api.create(Resources.namespace, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const s of dump.hcSecrets)
      if (!(await dst.api.get(Resources.secret, NS, s.metadata.name ?? ''))) await dst.api.create(Resources.secret, NS, clean(s, false));
    for (const s of dump.cpSecrets) await dst.api.create(Resources.secret, CP, clean(s, false));
    for (const o of dump.capi) {
      const type = CONTROL_PLANE_KINDS.find((k) => k.kind === o.kind) as ResourceType;
      await dst.api.create(type, CP, clean(o, false));
    }
    const restored = clean(dump.hc, false);
    const spec = restored['spec'] as { pausedUntil?: string; etcd: { managed: { storage: Record<string, unknown> } } };
    delete spec.pausedUntil;
    spec.etcd.managed.storage['restoreSnapshotURL'] = [url];
    await dst.api.create(Resources.hostedCluster, NS, restored);
    for (const np of dump.nodePools) {
      const p = clean(np, true);
      delete (p['spec'] as { pausedUntil?: string }).pausedUntil;
      await dst.api.create(Resources.nodePool, NS, p);
    }
    await until('etcd restored and the API servers up', async () => {
      const hcp = await dst.api.get(Resources.hostedControlPlane, CP, 'demo');
      if (conditionsOf(hcp).find((c) => c.type === 'EtcdSnapshotRestored')?.status !== 'True') return false;
      const sts = await dst.api.get(Resources.statefulSet, CP, Etcd.statefulSet);
      return replicasReady(sts) >= 3 && replicasReady(await dst.api.get(Resources.deployment, CP, 'kube-apiserver')) > 0;
    });
  });

  const split = await timed('membership check', () => splitBrain(dst));
  if (split) {
    await repairByHand(dst, local, timed);
    await timed('repair: membership check again', async () => {
      if (await splitBrain(dst)) throw new Error('the by-hand repair left the members split');
    });
  }
  await timed('DNS at the other cluster', () =>
    until('DNS at the destination', async () => (await resolves(sb)).includes(to.ingressAddress)),
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  const endedAt = Date.now();
  await rm(local, { force: true });

  // Not downtime: the source goes once the destination serves (§2.9).
  await tearDownSource({
    api: src.api,
    clock: systemClock,
    reporter: quiet,
    namespace: NS,
    name: 'demo',
    controlPlaneNamespace: CP,
    timeoutMs: 300_000,
    nodeMode: 'adopt',
  });
  await until('the other side settled', async () => !(await src.api.get(Resources.namespace, '', CP)));
  return {
    phases,
    wallSeconds,
    from: startedAt,
    to: endedAt,
    repaired: split,
    carriedSecrets: dump.cpSecrets.map((x) => x.metadata.name ?? ''),
  };
}
