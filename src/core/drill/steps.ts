/**
 * The drill's steps inside its scratch pod. A step that disproves the backup records a failed
 * check and marks the drill `broken` (later data steps are skipped, named why); only a step
 * that could not be carried out at all (exec failed, the pod would not start) throws, which
 * rolls the drill back through the runner.
 */
import { createHash, randomBytes } from 'node:crypto';
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
import { splitReads, type ReadAnswer } from './data.ts';
import { pullSnapshot, type Copied } from './pull.ts';
import { DRILL_CONTAINER, DRILL_POD, drillPod, healthScript, READS, readsScript, receiveScript, statusRestoreScript } from './pod.ts';

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
  /** The pod has a working curl (it pulled the snapshot itself): the health wait asks etcd's /health with it. */
  podCurl?: boolean;
  keysByType: Record<string, number>;
  /** Set once the drill got to the end of its phases (release keeps the namespace with --keep only then). */
  finished: boolean;
}

const seconds = (clock: Clock, since: number) => (clock.now().getTime() - since) / 1000;

export function inPod(s: DrillState, script: string, stdin?: Readable | Buffer, signal?: AbortSignal) {
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

/**
 * Gets the snapshot into the pod (timed as the download), hashed once as it goes: pulled by the
 * pod (pull.ts) where it can, else streamed through hcp-dr. The pod's copy is proven by its hash
 * or size here and by `snapshot restore`, which checks the snapshot's own SHA-256 trailer over
 * the pod's bytes.
 */
export async function copySnapshot(s: DrillState, signal?: AbortSignal): Promise<void> {
  const m = s.manifest.snapshot;
  const t0 = s.clock.now().getTime();
  const got = (await pullSnapshot(s, (script, stdin) => inPod(s, script, stdin, signal))) ?? (await streamSnapshot(s, signal));
  // The download ends when the pod holds the file.
  s.timings.download = seconds(s.clock, t0);
  s.podCurl = got.via === 'pulled by the pod';
  if (got.exitCode !== 0)
    throw new RemoteError(`failed to write the snapshot in the drill pod: ${lastLine(got.stderr) || `exit ${got.exitCode}`}`);
  const held = Number(/^RECEIVED\s+(\d+)\s*$/m.exec(got.stdout)?.[1] ?? -1);
  if (got.sha256 !== m.sha256 || held !== got.size) {
    s.checks.set(
      'snapshot-sha256',
      'fail',
      `read ${got.size} bytes with SHA-256 ${got.sha256} (the pod holds ${held < 0 ? 'no' : held} bytes; ${got.via}), backup.json records ${m.size} bytes with ${m.sha256}`,
    );
    s.broken = 'the snapshot is not the one backup.json describes';
  } else
    s.checks.set('snapshot-sha256', 'pass', `${got.size} bytes, SHA-256 ${m.sha256.slice(0, 12)}... as backup.json records (${got.via})`);
}

/** etcd's reading of the snapshot (pod.ts statusRestoreScript's STATUS section) against backup.json. */
function checkSnapshotStatus(s: DrillState, stdout: string): void {
  const m = s.manifest.snapshot;
  const [, section] = stdout.split(/^STATUS$/m);
  const [statusOut = '', statusErr = ''] = (section ?? '').split(/^STATUS-STDERR$/m);
  const status =
    section === undefined || statusOut.includes('STATUS-FAILED') ? undefined : parseSnapshotStatus(statusOut.slice(statusOut.indexOf('{')));
  if (!status) {
    s.checks.set('snapshot-status', 'fail', `etcd cannot read the snapshot: ${lastLine(statusErr) || 'no status printed'}`);
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

/** Streams the snapshot from the store into the pod through exec, hashing it in hcp-dr as it goes. */
async function streamSnapshot(s: DrillState, signal?: AbortSignal): Promise<Copied> {
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
  return { ...r, sha256: hash.digest('hex'), size, via: 'streamed through hcp-dr' };
}

/**
 * etcd's reading of the snapshot (`snapshot status`) and, unless the hash disproved it, `snapshot
 * restore` with etcd's hash check on (a damaged snapshot fails here) at the same time, then the
 * marker that starts etcd: one exec, timed as the restore.
 */
export async function restoreSnapshot(s: DrillState, signal?: AbortSignal): Promise<void> {
  const restore = s.broken === undefined;
  const t0 = s.clock.now().getTime();
  const r = await inPod(s, statusRestoreScript(restore), undefined, signal);
  checkSnapshotStatus(s, r.stdout);
  if (!restore) return;
  s.timings.restore = seconds(s.clock, t0);
  if (r.exitCode === 0) s.checks.set('restore', 'pass', `restored in ${s.timings.restore.toFixed(1)}s`);
  else {
    s.checks.set('restore', 'fail', `snapshot restore failed: ${lastLine(r.stderr) || `exit ${r.exitCode}`}`);
    s.broken ??= 'the snapshot does not restore';
  }
}

/**
 * Waits until etcd, started by the pod on the restored data, answers healthy (timed as the
 * start): polled inside the pod, bounded by --wait-timeout (pod.ts healthScript).
 */
export async function startEtcd(s: DrillState, signal?: AbortSignal): Promise<void> {
  if (s.broken) return;
  // The restore script left the marker: the pod's etcd is starting; timed until it answers healthy.
  const t0 = s.clock.now().getTime();
  // The exec's own bound, should the pod's loop not end by itself (its clock is not ours).
  const bound = AbortSignal.timeout(s.waitTimeoutMs + 30_000);
  let h;
  try {
    h = await inPod(
      s,
      healthScript(s.waitTimeoutMs / 1000, { curl: s.podCurl === true }),
      undefined,
      signal ? AbortSignal.any([signal, bound]) : bound,
    );
  } catch (err) {
    if (signal?.aborted || !bound.aborted) throw err;
    h = { exitCode: 1, stdout: '', stderr: `no answer within ${Math.round(s.waitTimeoutMs / 1000)}s` };
  }
  const [health] = parseEndpointHealth(h.stdout);
  if (h.exitCode !== 0 || health?.healthy !== true) {
    const last = health?.error ?? lastLine(h.stderr);
    s.checks.set('member-health', 'fail', `etcd on the restored data did not become healthy: ${last || `exit ${h.exitCode}`}`);
    s.broken = 'etcd does not run on the restored data';
    return;
  }
  s.timings.start = seconds(s.clock, t0);
  s.checks.set('member-health', 'pass', `1 member healthy after ${s.timings.start.toFixed(1)}s`);
}

/** What the checks read of the running member (pod.ts READS and the Secret sample), by name. */
export type RestoredReads = Record<string, ReadAnswer>;

/** One exec for every read of the restored member, run concurrently in the pod; undefined when broken. */
export async function readRestored(
  s: DrillState,
  extra: Record<string, readonly string[]>,
  signal?: AbortSignal,
): Promise<RestoredReads | undefined> {
  if (s.broken) return undefined;
  const marker = `@@hcp-dr-${randomBytes(12).toString('hex')}@@`;
  const r = await inPod(s, readsScript(marker, { ...READS, ...extra }), undefined, signal);
  if (r.exitCode !== 0)
    throw new RemoteError(`failed to read the restored etcd in the drill pod: ${lastLine(r.stderr) || `exit ${r.exitCode}`}`);
  return splitReads(r.stdout, marker);
}

/** Revision and hashkv of the running member against backup.json. */
export function checkRevision(s: DrillState, reads: RestoredReads | undefined): void {
  if (s.broken || !reads) return;
  const m = s.manifest.snapshot;
  const st = parseEndpointStatus(reads['status']?.stdout ?? '')[0];
  if (!st)
    s.checks.set(
      'revision',
      'fail',
      `endpoint status printed nothing${reads['status']?.stderr ? `: ${lastLine(reads['status'].stderr)}` : ''}`,
    );
  else
    s.checks.set(
      'revision',
      st.revision === m.revision ? 'pass' : 'fail',
      `the restored member is at revision ${st.revision}; backup.json records ${m.revision}`,
    );
  const hk = reads['hashkv'];
  const [h] = parseHashKV(hk?.stdout ?? '');
  if (hk?.exitCode !== 0 || !h) s.checks.set('hashkv', 'fail', `hashkv failed: ${lastLine(hk?.stderr ?? '') || 'nothing printed'}`);
  else
    s.checks.set(
      'hashkv',
      h.revision === m.revision ? 'pass' : 'fail',
      `hash ${h.hash} of every key and revision up to ${h.revision} (compacted at ${h.compactRevision}): the whole keyspace reads`,
    );
}
