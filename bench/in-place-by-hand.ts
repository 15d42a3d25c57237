/**
 * The in-place etcd restore done by hand (hypershift-domain.md §2.4 steps 3-8), timed from the API
 * servers' scale-down until they are Ready again: the baseline of `etcd restore`'s downtime and of
 * restore's split-brain repair. Same helper pods and restore arguments as hcp-dr, steps one by one.
 */
import { createReadStream } from 'node:fs';
import { Etcd, ETCD_WRITER_DEPLOYMENTS, Resources } from '../src/core/model.ts';
import type { Cluster } from '../src/core/ports.ts';
import { helperPod, helperName } from '../src/core/etcd/restore-helpers.ts';
import { restoreArgs, volumePaths } from '../src/core/etcd/restore-scripts.ts';
import { q } from '../src/core/etcd/shell.ts';

const CP = 'clusters-demo';

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  if (process.env['HCP_DR_BENCH_VERBOSE']) console.log(`  waiting for ${what}`);
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const status = (o: unknown): Record<string, number> => (o as { status?: Record<string, number> } | undefined)?.status ?? {};

/** Labels a step of the sequence (a benchmark that reports where the time goes); the default only runs it. */
export type Timed = <T>(phase: string, work: () => Promise<T>) => Promise<T>;
const untimed: Timed = (_phase, work) => work();

/** The image of the etcd StatefulSet's etcd container: what the helper pods run. */
async function etcdImage(c: Cluster): Promise<string> {
  const sts = await c.api.get(Resources.statefulSet, CP, Etcd.statefulSet);
  const containers = (sts?.['spec'] as { template?: { spec?: { containers?: { name: string; image: string }[] } } } | undefined)?.template
    ?.spec?.containers;
  return containers?.find((x) => x.name === Etcd.container)?.image ?? '';
}

/**
 * The steps by hand, timed from the API servers' scale-down until they are Ready again, with the
 * restore tool the image has (§1.7: etcdutl on etcd 3.6, which dropped `etcdctl snapshot restore`).
 * `image` '' means the etcd StatefulSet's own.
 */
export async function bareSequence(c: Cluster, file: string, image: string, timed: Timed = untimed): Promise<number> {
  const { api, exec } = c;
  image ||= await etcdImage(c);
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
  const paths = volumePaths('bare');
  // Paused first, as the procedure says, or the control-plane operator scales everything back.
  await api.mergePatch(Resources.hostedCluster, 'clusters', 'demo', { spec: { pausedUntil: 'true' } });
  await until('the pause on the HostedControlPlane', async () => {
    const hcp = await api.get(Resources.hostedControlPlane, CP, 'demo');
    return (hcp?.['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil === 'true';
  });
  const start = performance.now();
  await timed('repair: API servers and etcd to 0', async () => {
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
    await until('helpers Ready', async () => {
      const pods = await Promise.all([0, 1, 2].map((i) => api.get(Resources.pod, CP, helperName(i))));
      return pods.every((p) => (p?.['status'] as { phase?: string } | undefined)?.phase === 'Running');
    });
  });
  await timed('repair: copy in and restore', () => restoreEach(run, paths, file));
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
  });
  const seconds = (performance.now() - start) / 1000;
  await api.mergePatch(Resources.hostedCluster, 'clusters', 'demo', { spec: { pausedUntil: null } });
  return seconds;
}

/** Each member's volume: the snapshot copied in, restored with the image's tool, put in place. */
async function restoreEach(
  run: (pod: string, script: string, stdin?: ReturnType<typeof createReadStream>) => Promise<void>,
  paths: ReturnType<typeof volumePaths>,
  file: string,
): Promise<void> {
  for (const i of [0, 1, 2]) await run(helperName(i), `cat > ${q(paths.snapshot)}`, createReadStream(file));
  for (const i of [0, 1, 2]) {
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
}
