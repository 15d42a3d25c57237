/**
 * The drill's steps inside its scratch pod. A step that disproves the backup records a failed
 * check and marks the drill `broken` (later data steps are skipped, named why); only a step
 * that could not be carried out at all (exec failed, the pod would not start) throws, which
 * rolls the drill back through the runner.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { RemoteError } from '../errors.ts';
import { Resources } from '../model.ts';
import type { Clock, KubeApi, ObjectStore, PodExec, Reporter } from '../ports.ts';
import { parseEndpointHealth, parseEndpointStatus, parseHashKV, parseSnapshotStatus } from '../etcd/etcdctl.ts';
import { lastLine, podProblem } from '../etcd/restore-helpers.ts';
import { waitUntil } from '../controlplane/wait.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import type { DrillBundle } from './bundle.ts';
import type { CheckList } from './result.ts';
import { DRILL_CONTAINER, DRILL_POD, drillPod, etcdctlScript, receiveScript, restoreScript } from './pod.ts';

export interface DrillState {
  api: KubeApi;
  exec: PodExec;
  clock: Clock;
  reporter: Reporter;
  /** "drill of ns/name backup <id>": the subject of messages. */
  label: string;
  /** The scratch namespace. */
  namespace: string;
  image: string;
  /** The backup's store, read as plain bytes (encoded backups decoded). */
  store: ObjectStore;
  prefix: string;
  snapshotKey: string;
  manifest: BackupManifest;
  bundle?: DrillBundle;
  keep: boolean;
  waitTimeoutMs: number;
  checks: CheckList;
  /** A data check failed: the steps after it have nothing to work on. */
  broken?: string;
  timings: { download: number; restore: number; start: number };
  keysByType: Record<string, number>;
  /** Set once the drill got to the end of its phases (release keeps the namespace with --keep only then). */
  finished: boolean;
}

const seconds = (clock: Clock, since: number) => (clock.now().getTime() - since) / 1000;

export function inPod(s: DrillState, script: string, stdin?: Readable, signal?: AbortSignal) {
  return s.exec.exec({
    namespace: s.namespace,
    pod: DRILL_POD,
    container: DRILL_CONTAINER,
    command: ['/bin/sh', '-c', script],
    ...(stdin ? { stdin } : {}),
    ...(signal ? { signal } : {}),
  });
}

/** Creates the pod (once: a resume's is reused) and waits until it runs. */
export async function startPod(s: DrillState, operationId: string, signal?: AbortSignal): Promise<void> {
  if (!(await s.api.get(Resources.pod, s.namespace, DRILL_POD)))
    await s.api.create(Resources.pod, s.namespace, drillPod(s.namespace, s.image, operationId));
  await waitUntil({ ...s, signal, timeoutMs: s.waitTimeoutMs }, `pod ${DRILL_POD} in ${s.namespace} to run`, async () => {
    const problem = podProblem(await s.api.get(Resources.pod, s.namespace, DRILL_POD));
    if (problem?.fatal)
      throw new RemoteError(`the drill pod cannot start (image ${s.image}): ${problem.text}`, {
        hint: `see "kubectl describe pod ${DRILL_POD} -n ${s.namespace}"; pass the etcd image with --etcd-image if it is not pullable here`,
      });
    return problem === undefined;
  });
}

/** Streams the snapshot into the pod (timed as the download), then etcd's own reading of it. */
export async function copySnapshot(s: DrillState, signal?: AbortSignal): Promise<void> {
  const m = s.manifest.snapshot;
  const t0 = s.clock.now().getTime();
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const source = await s.store.get(s.snapshotKey, signal ? { signal } : {});
  source.on('error', (err) => meter.destroy(err));
  const r = await inPod(s, receiveScript(), source.pipe(meter), signal);
  // The download ends when the pod holds the file; its `snapshot status` (a bbolt read) is inside.
  s.timings.download = seconds(s.clock, t0);
  const [received = '', statusOut] = r.stdout.split(/^STATUS$/m);
  if (r.exitCode !== 0 || statusOut === undefined)
    throw new RemoteError(`failed to write the snapshot in the drill pod: ${lastLine(r.stderr) || `exit ${r.exitCode}`}`);
  const local = hash.digest('hex');
  const inPodSha = /^([0-9a-f]{64})\s/m.exec(received)?.[1];
  if (local !== m.sha256 || inPodSha !== m.sha256) {
    s.checks.set(
      'snapshot-sha256',
      'fail',
      `read ${size} bytes with SHA-256 ${local} (in the pod ${inPodSha ?? 'none'}), backup.json records ${m.size} bytes with ${m.sha256}`,
    );
    s.broken = 'the snapshot is not the one backup.json describes';
  } else s.checks.set('snapshot-sha256', 'pass', `${size} bytes, SHA-256 ${m.sha256.slice(0, 12)}... as backup.json records`);
  const status = statusOut.includes('STATUS-FAILED') ? undefined : parseSnapshotStatus(statusOut.slice(statusOut.indexOf('{')));
  if (!status) {
    s.checks.set('snapshot-status', 'fail', `etcd cannot read the snapshot: ${lastLine(r.stderr) || 'no status printed'}`);
    s.broken ??= 'etcd cannot read the snapshot';
    return;
  }
  // etcdutl 3.6 counts live keys where 3.4/3.5 count every entry: compared where they mean the same.
  const keysAgree = status.totalKey === m.totalKeys || status.liveKeyCount === true;
  const ok = status.revision === m.revision && keysAgree;
  s.checks.set(
    'snapshot-status',
    ok ? 'pass' : 'fail',
    `etcd reads revision ${status.revision} and ${status.totalKey} keys; backup.json records revision ${m.revision} and ${m.totalKeys} keys`,
  );
  if (!ok) s.broken ??= 'the snapshot does not hold what backup.json records';
}

/** `snapshot restore` with etcd's hash check on (a damaged snapshot fails here), then the marker that starts etcd. */
export async function restoreSnapshot(s: DrillState, signal?: AbortSignal): Promise<void> {
  if (s.broken) return;
  const t0 = s.clock.now().getTime();
  const r = await inPod(s, restoreScript(), undefined, signal);
  s.timings.restore = seconds(s.clock, t0);
  if (r.exitCode === 0) s.checks.set('restore', 'pass', `restored in ${s.timings.restore.toFixed(1)}s`);
  else {
    s.checks.set('restore', 'fail', `snapshot restore failed: ${lastLine(r.stderr) || `exit ${r.exitCode}`}`);
    s.broken = 'the snapshot does not restore';
  }
}

/** Waits until etcd, started by the pod on the restored data, answers healthy (timed as the start). */
export async function startEtcd(s: DrillState, signal?: AbortSignal): Promise<void> {
  if (s.broken) return;
  // The restore script left the marker: the pod's etcd is starting; timed until it answers healthy.
  const t0 = s.clock.now().getTime();
  let last = '';
  try {
    await waitUntil({ ...s, signal, timeoutMs: s.waitTimeoutMs }, 'the restored etcd to be healthy', async () => {
      const h = await inPod(s, etcdctlScript('endpoint', 'health', '-w', 'json'), undefined, signal);
      const [health] = parseEndpointHealth(h.stdout);
      last = health?.error ?? lastLine(h.stderr);
      return health?.healthy === true;
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    s.checks.set('member-health', 'fail', `etcd on the restored data did not become healthy: ${last || (err as Error).message}`);
    s.broken = 'etcd does not run on the restored data';
    return;
  }
  s.timings.start = seconds(s.clock, t0);
  s.checks.set('member-health', 'pass', `1 member healthy after ${s.timings.start.toFixed(1)}s`);
}

/** Revision and hashkv of the running member against backup.json. */
export async function checkRevision(s: DrillState, signal?: AbortSignal): Promise<void> {
  if (s.broken) return;
  const m = s.manifest.snapshot;
  const st = parseEndpointStatus((await inPod(s, etcdctlScript('endpoint', 'status', '-w', 'json'), undefined, signal)).stdout)[0];
  if (!st) s.checks.set('revision', 'fail', 'endpoint status printed nothing');
  else
    s.checks.set(
      'revision',
      st.revision === m.revision ? 'pass' : 'fail',
      `the restored member is at revision ${st.revision}; backup.json records ${m.revision}`,
    );
  const hk = await inPod(s, etcdctlScript('endpoint', 'hashkv', '-w', 'json'), undefined, signal);
  const [h] = parseHashKV(hk.stdout);
  if (hk.exitCode !== 0 || !h) s.checks.set('hashkv', 'fail', `hashkv failed: ${lastLine(hk.stderr) || 'nothing printed'}`);
  else
    s.checks.set(
      'hashkv',
      h.revision === m.revision ? 'pass' : 'fail',
      `hash ${h.hash} of every key and revision up to ${h.revision} (compacted at ${h.compactRevision}): the whole keyspace reads`,
    );
}
