/**
 * The sandbox world `etcd restore` and `etcd recover-member` run against (issue 14, "sandbox
 * fidelity"): StatefulSet scale stops and starts members on their volumes; helper pods that mount
 * data-etcd-N (ReadWriteOnce) and take exec from kubectl and from the plugin's adapter; failure
 * injection; reset-member that does not re-add a removed member; a corrupted member crash-looping;
 * and the OCPBUGS-83419 trap. One sandbox, tests in order (each leaves what the next needs).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKube } from '../../src/kube/session.ts';
import { Resources, type KubeObject } from '../../src/core/model.ts';
import type { KubeSession } from '../../src/core/ports.ts';
import { parseEtcdJson } from '../sandbox/etcd/etcdctl.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { SimObject } from '../sandbox/api/types.ts';
import { waitFor as waitForCondition } from '../support/wait.ts';

const KUBECTL = '/usr/bin/kubectl';
const PODS = { group: '', version: 'v1', plural: 'pods' };
const PVCS = { group: '', version: 'v1', plural: 'persistentvolumeclaims' };
const STS = { group: 'apps', version: 'v1', plural: 'statefulsets' };
const EVENTS = { group: '', version: 'v1', plural: 'events' };
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

let sb: Sandbox;
let session: KubeSession;
let ns: string;

interface CS {
  name: string;
  ready: boolean;
  restartCount: number;
  state: { waiting?: { reason: string; message?: string }; running?: unknown };
}
type PodStatus = { phase?: string; containerStatuses?: CS[]; conditions?: { type: string; status: string; message?: string }[] };
const pod = (name: string) => sb.sim.store.get(PODS, ns, name);
const status = (p: SimObject | undefined) => p?.['status'] as PodStatus | undefined;
const waitingReason = (p: SimObject | undefined, container: string) =>
  status(p)?.containerStatuses?.find((c) => c.name === container)?.state.waiting?.reason;
const isReady = (p: SimObject | undefined) => status(p)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const readyReplicas = () => (sb.sim.store.get(STS, ns, 'etcd')?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas;
const peers = () => [0, 1, 2].map((j) => `etcd-${j}=https://etcd-${j}.etcd-discovery.${ns}.svc:2380`).join(',');
const helper = (n: number) => `hcp-dr-etcd-restore-${n}`;

const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000) =>
  waitForCondition(what, fn, timeoutMs, 100);

/** The helper pod `etcd restore` creates (the contract with src/core/etcd/restore*). */
function helperPod(n: number, image?: string): KubeObject {
  const sts = sb.sim.store.get(STS, ns, 'etcd')!;
  const etcdImage = (
    sts['spec'] as { template: { spec: { containers: { name: string; image: string }[] } } }
  ).template.spec.containers.find((c) => c.name === 'etcd')!.image;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: helper(n), labels: { 'app.kubernetes.io/managed-by': 'hcp-dr', 'hcp-dr.openshift.io/member': `etcd-${n}` } },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'restore',
          image: image ?? etcdImage,
          command: ['/bin/sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"],
          volumeMounts: [{ name: 'data', mountPath: '/var/lib' }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-etcd-${n}` } }],
    },
  };
}

async function scale(replicas: number): Promise<void> {
  await session.api.mergePatch(Resources.statefulSet, ns, 'etcd', { spec: { replicas } }, 'scale');
}

async function scaledToZero(): Promise<void> {
  await scale(0);
  await waitFor(
    'etcd pods gone, members stopped',
    () => sb.sim.store.list(PODS, ns, 'app=etcd').length === 0 && [0, 1, 2].every((i) => !sb.etcd.isRunning(i)),
  );
}

/** The plugin's exec (WebSocket through the simulator), as `etcd restore` runs its steps. */
async function pexec(podName: string, script: string, stdin?: Buffer, container = podName.startsWith('etcd-') ? 'etcd' : 'restore') {
  return session.exec.exec({ namespace: ns, pod: podName, container, command: ['/bin/sh', '-c', script], ...(stdin ? { stdin } : {}) });
}

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: sb.dir, KUBECONFIG: sb.kubeconfig }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

const restoreScript = (n: number, token: string) =>
  [
    'set -e',
    'rm -rf /var/lib/data.old && if [ -d /var/lib/data ]; then mv /var/lib/data /var/lib/data.old; fi',
    // The docs' restore with the image's tool: etcdutl where the image has it (3.6), else etcdctl.
    'if [ -f /usr/bin/etcdutl ]; then T=etcdutl; else T=etcdctl; fi',
    `$T snapshot restore /var/lib/restore.snap.db --name etcd-${n} --data-dir /var/lib/data --initial-cluster ${peers()}` +
      ` --initial-advertise-peer-urls https://etcd-${n}.etcd-discovery.${ns}.svc:2380 --initial-cluster-token ${token}`,
  ].join('\n');

async function hashes(): Promise<string[]> {
  const r = await sb.etcd.etcdctl(['endpoint', 'hashkv', '-w', 'json']);
  return parseEtcdJson<{ HashKV: { hash: string } }[]>(r.stdout).map((e) => e.HashKV.hash);
}

beforeAll(async () => {
  sb = await startSandbox({ seedKeys: 20 });
  ns = sb.controlPlaneNamespace;
  session = await connectKube({ kubeconfig: sb.kubeconfig }, quiet);
});
afterAll(async () => {
  await sb?.stop();
});

describe('sandbox etcd fidelity', { timeout: 180_000 }, () => {
  let snapshot: Buffer;

  it('a corrupted data directory makes the member crash-loop; PVC + pod deletion brings it back', async () => {
    await sb.etcd.put('/fidelity/early', 'kept');
    await sb.faults.corruptMemberData(1);
    const uid = pod('etcd-1')!.metadata.uid;
    sb.sim.store.delete(PODS, ns, 'etcd-1');
    await waitFor(
      'etcd-1 CrashLoopBackOff',
      () => pod('etcd-1')?.metadata.uid !== uid && waitingReason(pod('etcd-1'), 'etcd') === 'CrashLoopBackOff',
    );
    expect(status(pod('etcd-1'))?.containerStatuses?.find((c) => c.name === 'etcd')?.restartCount).toBeGreaterThan(0);
    expect(sb.etcd.isRunning(1)).toBe(false);
    sb.sim.store.delete(PVCS, ns, 'data-etcd-1');
    sb.sim.store.delete(PODS, ns, 'etcd-1');
    await waitFor('etcd-1 ready again', () => isReady(pod('etcd-1')));
    await sb.etcd.waitHealthy();
    expect(await sb.etcd.get('/fidelity/early', 1)).toBe('kept');
  });

  it('reset-member does not re-add a removed member: it crash-loops until `member add`', async () => {
    await waitFor('3 ready', () => readyReplicas() === 3);
    const id = (await sb.etcd.memberList(0)).find((m) => m.name === 'etcd-2')!.id;
    expect((await sb.etcd.memberChange(['member', 'remove', id], 0)).code).toBe(0);
    sb.sim.store.delete(PVCS, ns, 'data-etcd-2');
    sb.sim.store.delete(PODS, ns, 'etcd-2');
    // It starts "new" (the full initial cluster, token etcd-cluster): the same cluster and member ID
    // as at bootstrap, which its peers know as removed, so it exits every time: CrashLoopBackOff.
    await waitFor('etcd-2 CrashLoopBackOff', () => waitingReason(pod('etcd-2'), 'etcd') === 'CrashLoopBackOff');
    expect(isReady(pod('etcd-2'))).toBe(false);
    expect(sb.etcd.isRunning(2)).toBe(false);
    expect((await sb.etcd.memberList(0)).map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1']);

    // What the operator's recovery job (and recover-member) does: member add, then PVC + pod.
    const add = await sb.etcd.memberChange(['member', 'add', 'etcd-2', `--peer-urls=${sb.etcd.member(2).peerUrl}`], 0);
    expect(add.code, add.stderr).toBe(0);
    sb.sim.store.delete(PVCS, ns, 'data-etcd-2');
    sb.sim.store.delete(PODS, ns, 'etcd-2');
    await waitFor('etcd-2 ready', () => isReady(pod('etcd-2')), 90_000);
    await sb.etcd.waitHealthy();
    expect((await sb.etcd.memberList(0)).map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(await sb.etcd.get('/fidelity/early', 2)).toBe('kept');
  });

  it('a helper pod waits for its volume while etcd-0 runs; scale 3 -> 0 stops every member and keeps PVCs and data', async () => {
    await sb.etcd.put('/fidelity/in-snapshot', 'yes');
    const save = await pexec(
      'etcd-0',
      'etcdctl --cacert /etc/etcd/tls/etcd-ca/ca.crt --cert /etc/etcd/tls/client/etcd-client.crt --key /etc/etcd/tls/client/etcd-client.key' +
        ' --endpoints=https://localhost:2379 snapshot save /var/lib/snapshot.db',
    );
    expect(save.exitCode, save.stderr).toBe(0);
    snapshot = await readFile(path.join(sb.etcd.member(0).volumeDir, 'snapshot.db'));
    await sb.etcd.put('/fidelity/after-snapshot', 'lost');

    await session.api.create(Resources.pod, ns, helperPod(0));
    const waiting = await waitFor(
      'helper-0 ContainerCreating',
      () => waitingReason(pod(helper(0)), 'restore') === 'ContainerCreating' && pod(helper(0)),
    );
    expect(status(waiting)?.phase).toBe('Pending');
    expect(status(waiting)?.containerStatuses?.[0]?.state.waiting?.message).toMatch(/Multi-Attach .*etcd-0/);
    expect(
      sb.sim.store
        .list(EVENTS, ns)
        .some((e) => e['reason'] === 'FailedAttachVolume' && (e['involvedObject'] as { name: string }).name === helper(0)),
    ).toBe(true);
    const exec = await pexec(helper(0), 'true').catch((e: Error) => e);
    expect(exec).toBeInstanceOf(Error); // no exec into a container that is not running

    await scaledToZero();
    for (let i = 0; i < 3; i++) {
      expect(sb.sim.store.get(PVCS, ns, `data-etcd-${i}`)?.metadata.deletionTimestamp).toBeUndefined();
      expect(sb.etcd.hasData(i)).toBe(true);
    }
    await waitFor('helper-0 running', () => isReady(pod(helper(0))));
    expect(status(pod(helper(0)))?.phase).toBe('Running');
  });

  it('a helper pod that cannot pull its image stays Pending in ImagePullBackOff (switch or image name)', async () => {
    sb.faults.failHelperPods();
    await session.api.create(Resources.pod, ns, helperPod(1));
    await session.api.create(Resources.pod, ns, {
      ...helperPod(2, 'quay.io/nope/does-not-exist:1'),
      metadata: { name: 'pull-fails' },
    });
    await waitFor('helper-1 ImagePullBackOff', () => waitingReason(pod(helper(1)), 'restore') === 'ImagePullBackOff');
    await waitFor('pull-fails ImagePullBackOff', () => waitingReason(pod('pull-fails'), 'restore') === 'ImagePullBackOff');
    expect(status(pod(helper(1)))?.phase).toBe('Pending');
    sb.faults.failHelperPods(false);
    await waitFor('helper-1 running once the pull works', () => isReady(pod(helper(1))));
    await new Promise((r) => setTimeout(r, 700));
    expect(waitingReason(pod('pull-fails'), 'restore')).toBe('ImagePullBackOff'); // that image never pulls
    await session.api.delete(Resources.pod, ns, 'pull-fails');
    await session.api.create(Resources.pod, ns, helperPod(2));
    await waitFor('helper-2 running', () => isReady(pod(helper(2))));
  });

  it('exec in helper pods reaches the member volumes; a restore into all three starts one healthy cluster with the snapshot', async () => {
    // kubectl exec: /var/lib is member 0's volume, HOSTNAME is the pod, /tmp is its own.
    const k = await kubectl([
      'exec',
      '-n',
      ns,
      helper(0),
      '-c',
      'restore',
      '--',
      'sh',
      '-c',
      'echo $HOSTNAME; ls /var/lib; echo x > /tmp/own; ls /tmp',
    ]);
    expect(k.code, k.stderr).toBe(0);
    expect(k.stdout.split('\n')).toEqual([helper(0), 'data', 'snapshot.db', 'own', '']);
    const sha = createHash('sha256').update(snapshot).digest('hex');
    for (const n of [0, 1, 2]) {
      const r = await pexec(helper(n), 'cat > /var/lib/restore.snap.db && sha256sum /var/lib/restore.snap.db', snapshot);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${sha}  /var/lib/restore.snap.db\n`);
    }
    expect((await pexec(helper(1), 'ls /tmp')).stdout).toBe(''); // not helper 0's /tmp
    // The helpers run the etcd image: etcdutl only in the 3.6 one (3.4 and 3.5: etcdctl restores).
    const hasEtcdutl = (await pexec(helper(1), 'command -v etcdutl')).exitCode === 0;
    expect(hasEtcdutl).toBe(sb.etcd.version === '3.6');

    // An injected restore failure: exit 1, the message, a partial data dir; the old data moved aside.
    sb.faults.failSnapshotRestore();
    const failed = await pexec(helper(1), restoreScript(1, ns));
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('no space left on device');
    expect(existsSync(path.join(sb.etcd.member(1).dataDir, 'member', 'snap'))).toBe(true);
    expect(sb.etcd.hasData(1)).toBe(false);
    sb.faults.failSnapshotRestore(false);

    for (const n of [0, 1, 2]) {
      const r = await pexec(helper(n), restoreScript(n, ns));
      expect(r.exitCode, r.stderr).toBe(0);
      expect(sb.etcd.hasData(n)).toBe(true);
    }
    for (const n of [0, 1]) await session.api.delete(Resources.pod, ns, helper(n));
    // Scaled back while helper 2 still holds data-etcd-2: etcd-2 waits for the volume, then starts.
    await scale(3);
    await waitFor('etcd-2 waits (Multi-Attach)', () => waitingReason(pod('etcd-2'), 'etcd') === 'ContainerCreating');
    expect(sb.etcd.isRunning(2)).toBe(false);
    await session.api.delete(Resources.pod, ns, helper(2));
    await waitFor('3 ready', () => readyReplicas() === 3);
    await sb.etcd.waitHealthy();
    expect((await sb.etcd.memberList()).map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(new Set(await hashes()).size).toBe(1);
    for (const n of [0, 1, 2]) {
      expect(await sb.etcd.get('/fidelity/in-snapshot', n)).toBe('yes');
      expect(await sb.etcd.get('/fidelity/after-snapshot', n)).toBeUndefined();
    }
    expect(
      sb.sim.store
        .list(PODS, ns)
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
  });

  it('OCPBUGS-83419: a snapshot restored into data-etcd-0 only loses to the empty members; health passes, the keys are gone', async () => {
    await sb.etcd.put('/fidelity/trap', 'in-snapshot');
    const save = await pexec(
      'etcd-0',
      'etcdctl --cacert /etc/etcd/tls/etcd-ca/ca.crt --cert /etc/etcd/tls/client/etcd-client.crt --key /etc/etcd/tls/client/etcd-client.key' +
        ' --endpoints=https://localhost:2379 snapshot save /var/lib/restore.snap.db',
    );
    expect(save.exitCode, save.stderr).toBe(0);
    await scaledToZero();
    // The old procedure (hypershift-domain.md §2.3): the `etcd-data` Deployment mounts data-etcd-0 and
    // etcd-0 is restored with token etcd-cluster; here the other two volumes are emptied (bare helper pods).
    const template = helperPod(0);
    await session.api.create(Resources.deployment, ns, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'etcd-data' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'etcd-data' } },
        template: { metadata: { labels: { app: 'etcd-data' } }, spec: { ...(template['spec'] as object) } },
      },
    });
    for (const n of [1, 2]) await session.api.create(Resources.pod, ns, helperPod(n));
    const access = await waitFor('etcd-data pod running', () => sb.sim.store.list(PODS, ns, 'app=etcd-data').find((p) => isReady(p)));
    await waitFor('helpers running', () => [1, 2].every((n) => isReady(pod(helper(n)))));
    const r = await pexec(access.metadata.name, restoreScript(0, 'etcd-cluster'), undefined, 'restore');
    expect(r.exitCode, r.stderr).toBe(0);
    for (const n of [1, 2])
      expect((await pexec(helper(n), 'rm -rf /var/lib/data /var/lib/data.old /var/lib/restore.snap.db')).exitCode).toBe(0);
    await session.api.delete(Resources.deployment, ns, 'etcd-data');
    for (const n of [1, 2]) await session.api.delete(Resources.pod, ns, helper(n));
    await waitFor('etcd-data pod gone', () => sb.sim.store.list(PODS, ns, 'app=etcd-data').length === 0);
    await scale(3);
    await sb.etcd.waitHealthy([1, 2]);
    // The empty members bootstrapped "new" with the same initial cluster and token: the quorum (1, 2) lacks the snapshot.
    for (const n of [1, 2]) {
      expect(await sb.etcd.get('/fidelity/trap', n)).toBeUndefined();
      expect(await sb.etcd.get('/fidelity/in-snapshot', n)).toBeUndefined();
    }
    expect((await sb.etcd.memberList(1)).map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    const hs = await sb.etcd.etcdctl(['endpoint', 'hashkv', '-w', 'json'], { endpoints: [1, 2] });
    const [h1, h2] = parseEtcdJson<{ HashKV: { hash: string } }[]>(hs.stdout).map((e) => e.HashKV.hash);
    expect(h1).toBe(h2);
    if (await sb.etcd.healthy(0)) expect((await hashes())[0]).not.toBe(h1); // etcd-0 joined but holds other data
  });
});
