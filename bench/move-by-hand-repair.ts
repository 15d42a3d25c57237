/**
 * What released HyperShift leaves to the SRE after the documented migration of an HA hosted
 * cluster (hypershift-domain.md §3.1): the membership check of §2.6 step 6, and the in-place etcd
 * restore by hand of §2.4 steps 3-8 that repairs a split brain. Used by move-by-hand.ts.
 */
import { createReadStream } from 'node:fs';
import { Etcd, ETCD_WRITER_DEPLOYMENTS, Resources } from '../src/core/model.ts';
import type { KubeSession } from '../src/core/ports.ts';
import { helperName, helperPod } from '../src/core/etcd/restore-helpers.ts';
import { q, restoreArgs, volumePaths } from '../src/core/etcd/restore-scripts.ts';
import { until } from './move-by-hand-wait.ts';

const NS = 'clusters';
const CP = 'clusters-demo';
const TLS = ['--cacert', Etcd.caPath, '--cert', Etcd.clientCert, '--key', Etcd.clientKey, '--endpoints', Etcd.localEndpoint];
export type Timed = <T>(phase: string, work: () => Promise<T>) => Promise<T>;

/** §2.6 step 6 / §2.1: every member lists all three and their hashkv agree; false when they do. */
export async function splitBrain(dst: KubeSession): Promise<boolean> {
  const ask = async (pod: string, args: string[]) => {
    const r = await dst.exec.exec({ namespace: CP, pod, container: Etcd.container, command: ['etcdctl', ...TLS, ...args, '-w', 'json'] });
    if (r.exitCode !== 0) throw new Error(`${pod}: etcdctl ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as unknown;
  };
  const pods = ['etcd-0', 'etcd-1', 'etcd-2'];
  const members = await Promise.all(pods.map((p) => ask(p, ['member', 'list'])));
  const hashes = await Promise.all(pods.map((p) => ask(p, ['endpoint', 'hashkv'])));
  const sizes = members.map((m) => (m as { members?: unknown[] }).members?.length ?? 0);
  const hashOf = (h: unknown) => JSON.stringify((h as { HashKV?: { hash?: number } }[])[0]?.HashKV?.hash);
  return sizes.some((n) => n !== pods.length) || new Set(hashes.map(hashOf)).size > 1;
}

/**
 * §2.4 steps 3-8 on the destination, as bench/in-place-by-hand.ts does them (the same helper pods and
 * restore arguments as hcp-dr, one member after another as the docs' loop), with the restore tool
 * the image has (§1.7: etcdutl on etcd 3.6, which dropped `etcdctl snapshot restore`).
 */
export async function repairByHand(c: KubeSession, file: string, timed: Timed): Promise<void> {
  const { api, exec } = c;
  const status = (o: unknown): Record<string, number> => (o as { status?: Record<string, number> } | undefined)?.status ?? {};
  const scale = (type: typeof Resources.deployment | typeof Resources.statefulSet, name: string, n: number) =>
    api.mergePatch(type, CP, name, { spec: { replicas: n } }, 'scale');
  const run = async (pod: string, script: string, stdin?: ReturnType<typeof createReadStream>) => {
    const r = await exec.exec({
      namespace: CP,
      pod,
      container: 'restore',
      command: ['/bin/sh', '-c', script],
      ...(stdin ? { stdin } : {}),
    });
    if (r.exitCode !== 0) throw new Error(`${pod}: ${r.stderr}`);
  };
  const sts = await api.get(Resources.statefulSet, CP, Etcd.statefulSet);
  const image =
    (sts?.['spec'] as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers.find(
      (x) => x.name === Etcd.container,
    )?.image ?? '';
  const paths = volumePaths('bare');
  await timed('repair: pause, API servers and etcd to 0', async () => {
    await api.mergePatch(Resources.hostedCluster, NS, 'demo', { spec: { pausedUntil: 'true' } });
    await until(
      'the pause on the HostedControlPlane',
      async () =>
        ((await api.get(Resources.hostedControlPlane, CP, 'demo'))?.['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ===
        'true',
    );
    await Promise.all(ETCD_WRITER_DEPLOYMENTS.map((d) => scale(Resources.deployment, d, 0)));
    await until('API servers gone', async () => {
      for (const d of ETCD_WRITER_DEPLOYMENTS) if ((status(await api.get(Resources.deployment, CP, d)).replicas ?? 0) !== 0) return false;
      return true;
    });
    await scale(Resources.statefulSet, Etcd.statefulSet, 0);
    await until('etcd pods gone', async () => (await api.list(Resources.pod, CP, { labelSelector: Etcd.podSelector })).length === 0);
  });
  await timed('repair: helper pods', async () => {
    for (const i of [0, 1, 2]) await api.create(Resources.pod, CP, helperPod(CP, i, image, 'bare'));
    await until('helpers Running', async () => {
      const pods = await Promise.all([0, 1, 2].map((i) => api.get(Resources.pod, CP, helperName(i))));
      return pods.every((p) => (p?.['status'] as { phase?: string } | undefined)?.phase === 'Running');
    });
  });
  await timed('repair: copy in and restore, member by member', async () => {
    for (const i of [0, 1, 2]) {
      await run(helperName(i), `cat > ${q(paths.snapshot)}`, createReadStream(file));
      const args = restoreArgs(paths, {
        member: i,
        replicas: 3,
        controlPlaneNamespace: CP,
        token: 'bare',
        skipHashCheck: false,
        bumpRevision: false,
      });
      await run(
        helperName(i),
        `if command -v etcdutl >/dev/null 2>&1; then T=etcdutl; else T=etcdctl; fi; rm -rf /var/lib/data && $T snapshot restore ${q(paths.snapshot)} ${args.map(q).join(' ')} && mv ${q(paths.fresh)} /var/lib/data && rm -f ${q(paths.snapshot)}`,
      );
    }
  });
  await timed('repair: helpers gone, etcd and API servers back', async () => {
    await Promise.all([0, 1, 2].map((i) => api.delete(Resources.pod, CP, helperName(i))));
    await until('helpers gone', async () =>
      (await Promise.all([0, 1, 2].map((i) => api.get(Resources.pod, CP, helperName(i))))).every((p) => !p),
    );
    await scale(Resources.statefulSet, Etcd.statefulSet, 3);
    await until('etcd Ready', async () => (status(await api.get(Resources.statefulSet, CP, Etcd.statefulSet)).readyReplicas ?? 0) >= 3);
    await Promise.all(ETCD_WRITER_DEPLOYMENTS.map((d) => scale(Resources.deployment, d, 3)));
    await until('API servers Ready', async () => {
      for (const d of ETCD_WRITER_DEPLOYMENTS)
        if ((status(await api.get(Resources.deployment, CP, d)).readyReplicas ?? 0) < 3) return false;
      return true;
    });
    await api.mergePatch(Resources.hostedCluster, NS, 'demo', { spec: { pausedUntil: null } });
  });
}
