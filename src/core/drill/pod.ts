/**
 * The drill's scratch world on the management cluster: one namespace it creates (and removes),
 * holding one bare Pod from the backup's etcd image with an emptyDir at /var/lib. The pod waits
 * until the restored data is in place (a marker file), then runs etcd on it, on the pod's own
 * loopback only: no Service, no DNS, no peer outside the pod, nothing of the hosted cluster.
 * Every step inside the pod is a `sh -c` script run through exec (pure text here).
 */
import { Resources, type KubeObject } from '../model.ts';
import { q } from '../etcd/shell.ts';

export const DRILL_POD = 'hcp-dr-drill-etcd';
export const DRILL_CONTAINER = 'etcd';
export const DRILL_LABEL = 'hcp-dr.openshift.io/drill';
const MANAGED_BY = 'app.kubernetes.io/managed-by';
const DIR = '/var/lib/hcp-dr-drill';
export const DrillPaths = {
  dir: DIR,
  snapshot: `${DIR}/snapshot.db`,
  data: `${DIR}/data`,
  start: `${DIR}/start`,
  /** The PID of the pod's waiting shell, signalled (SIGUSR1) once the marker is there. */
  waiter: `${DIR}/waiter.pid`,
} as const;
const CLIENT = 'http://127.0.0.1:2379';
const PEER = 'http://127.0.0.1:2380';
const ETCDCTL = `ETCDCTL_API=3 etcdctl --endpoints=${CLIENT}`;

/** etcdutl where the image has it (3.6 removed `etcdctl snapshot ...`), else etcdctl. */
export const TOOL = 'if command -v etcdutl >/dev/null 2>&1; then T=etcdutl; else T=etcdctl; export ETCDCTL_API=3; fi';

/** The default scratch namespace of a hosted cluster's drills: one per cluster, so a re-run finds a dead run's. */
export function defaultScratchNamespace(name: string): string {
  return `hcp-dr-drill-${name.replaceAll('.', '-')}`.slice(0, 63).replace(/-+$/, '');
}

export function scratchNamespaceObject(name: string, annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { [MANAGED_BY]: 'hcp-dr', [DRILL_LABEL]: 'true' }, annotations },
  };
}

/**
 * The etcd command once the data is restored: single member, loopback only, the hosted cluster's
 * quota. Raft's timing is shortened (10 ms heartbeat, 100 ms election timeout): a single member
 * fast-forwards its election ticks at start, but still waits out a random part of the election
 * timeout (0-1 s with etcd's default 1000 ms) before it elects itself. That wait says nothing
 * about the backup, and this throwaway member has no peer whose heartbeats it could miss; what
 * the drill times (opening and indexing the restored data) is unchanged.
 */
export function etcdCommand(): string[] {
  return [
    'etcd',
    '--name=drill',
    `--data-dir=${DrillPaths.data}`,
    `--listen-client-urls=${CLIENT}`,
    `--advertise-client-urls=${CLIENT}`,
    `--listen-peer-urls=${PEER}`,
    '--quota-backend-bytes=8589934592',
    '--heartbeat-interval=10',
    '--election-timeout=100',
  ];
}

/**
 * The pod's command: waits for the marker, then execs etcd. The restore script wakes it with
 * SIGUSR1 (its PID is in DrillPaths.waiter while it waits) as soon as the marker is there; the
 * 1 s poll is only the fallback. A signal sent as the shell becomes etcd is ignored (Go programs
 * ignore SIGUSR1 unless they ask for it, and etcd does not).
 */
export function drillPod(namespace: string, image: string, operationId: string): KubeObject {
  const wait = [
    `trap 'rm -f ${DrillPaths.waiter}; exit 0' TERM; trap : USR1`,
    `mkdir -p ${q(DIR)}; echo $$ > ${q(DrillPaths.waiter)}`,
    `while [ ! -e ${q(DrillPaths.start)} ]; do sleep 1 & wait $!; done`,
    `rm -f ${q(DrillPaths.waiter)}`,
    `exec ${etcdCommand().map(q).join(' ')}`,
  ].join('; ');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: DRILL_POD, namespace, labels: { [MANAGED_BY]: 'hcp-dr', [DRILL_LABEL]: operationId } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      containers: [
        {
          name: DRILL_CONTAINER,
          image,
          command: ['/bin/sh', '-c', wait],
          volumeMounts: [{ name: 'data', mountPath: '/var/lib' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  };
}

export const POD = Resources.pod;

/**
 * Receives the snapshot on stdin (under .part, renamed once complete) and prints `RECEIVED
 * <bytes>`: the size the pod holds (the bytes are hashed once, by the caller, as they stream).
 */
export function receiveScript(): string {
  return [
    'set -e',
    `mkdir -p ${q(DIR)}`,
    `cat > ${q(DrillPaths.snapshot + '.part')}`,
    `mv ${q(DrillPaths.snapshot + '.part')} ${q(DrillPaths.snapshot)}`,
    `echo "RECEIVED $(wc -c < ${q(DrillPaths.snapshot)})"`,
  ].join('\n');
}

/**
 * etcd's own reading of the snapshot (`snapshot status -w json`, or `STATUS-FAILED <exit>`) after
 * a line STATUS, its stderr after a line STATUS-STDERR (restore's stays the exec's stderr). With
 * `restore`, at the same time (both only read the snapshot; restore copies it before it writes):
 * `snapshot restore` (hash check on) into a fresh data dir, then the marker that starts etcd and
 * the pod's wake-up; exits with restore's exit code. Without `restore` (a snapshot its hash
 * already disproved) only the reading.
 */
export function statusRestoreScript(restore: boolean): string {
  const out = q(`${DIR}/status.json`);
  const err = q(`${DIR}/status.err`);
  const status = `$T snapshot status ${q(DrillPaths.snapshot)} -w json >${out} 2>${err} || echo "STATUS-FAILED $?" >>${out}`;
  const report = ['echo STATUS', `cat ${out}`, 'echo STATUS-STDERR', `cat ${err}`];
  if (!restore) return [TOOL, status, ...report].join('\n');
  return [
    'set -e',
    TOOL,
    `rm -rf ${q(DrillPaths.data)}`,
    `{ ${status}; } &`,
    `rc=0; $T snapshot restore ${q(DrillPaths.snapshot)} --data-dir=${q(DrillPaths.data)} --name=drill --initial-cluster=drill=${PEER} --initial-advertise-peer-urls=${PEER} || rc=$?`,
    'wait $!',
    ...report,
    '[ "$rc" -eq 0 ] || exit "$rc"',
    `rm -f ${q(DrillPaths.snapshot)}`,
    // The marker the pod waits for (and its wake-up): etcd starts on the restored data.
    `touch ${q(DrillPaths.start)}`,
    `if [ -e ${q(DrillPaths.waiter)} ]; then kill -USR1 "$(cat ${q(DrillPaths.waiter)})" 2>/dev/null || true; fi`,
  ].join('\n');
}

/** etcdctl against the pod's own etcd. */
export function etcdctlScript(...args: string[]): string {
  return `${ETCDCTL} --command-timeout=30s ${args.map(q).join(' ')}`;
}

/**
 * Polls `endpoint health` inside the pod every 100 ms until the member answers healthy (exit 0,
 * its JSON printed) or `timeoutSeconds` pass (exit 1, the last answer printed, its stderr on
 * stderr): no exec round trip per attempt. An attempt has 200 ms (one begun before etcd listens
 * would otherwise sit out gRPC's 1 s reconnect back-off); after five attempts that failed other
 * than by a refused connection, each has twice the last, up to 5 s, so a slow but healthy member
 * still passes.
 *
 * With `curl` (the pod has it: it pulled the snapshot), etcd's own /health is asked first, every
 * 20 ms until it answers healthy (a C process per attempt, refused at once while etcd opens its
 * data, where etcdctl is a Go process that competes with etcd for the CPU); `endpoint health`
 * then gives the answer, normally at its first attempt. /health fails (503) without a leader,
 * as `endpoint health` does.
 */
export function healthScript(timeoutSeconds: number, options: { curl?: boolean } = {}): string {
  const out = q(`${DIR}/health.json`);
  const err = q(`${DIR}/health.err`);
  const curlFirst = [
    'while :; do',
    `  case "$(curl -sS --connect-timeout 2 -m 5 ${CLIENT}/health 2>/dev/null)" in *'"health":"true"'*) break ;; esac`,
    '  if [ "$(date +%s)" -ge "$end" ]; then break; fi',
    '  sleep 0.02',
    'done',
  ];
  return [
    `mkdir -p ${q(DIR)}`,
    `end=$(( $(date +%s) + ${Math.max(1, Math.ceil(timeoutSeconds))} )); t=200; slow=0`,
    ...(options.curl ? curlFirst : []),
    'while :; do',
    `  if ${ETCDCTL} --command-timeout=\${t}ms endpoint health -w json >${out} 2>${err}; then cat ${out}; exit 0; fi`,
    `  if [ "$(date +%s)" -ge "$end" ]; then cat ${out}; cat ${err} >&2; exit 1; fi`,
    `  case "$(cat ${err})" in *'connection refused'*) ;; *) slow=$((slow + 1)) ;; esac`,
    '  if [ "$slow" -ge 5 ] && [ "$t" -lt 5000 ]; then t=$((t * 2)); fi',
    '  sleep 0.1',
    'done',
  ].join('\n');
}

/** What the drill reads of the restored member, in one exec (data.ts splits the answer). */
export const READS = {
  status: ['endpoint', 'status', '-w', 'json'],
  hashkv: ['endpoint', 'hashkv', '-w', 'json'],
  keys: ['get', '/', '--prefix', '--keys-only'],
} as const;

/**
 * Runs the reads concurrently in the pod (each etcdctl to its own files), then prints each as a
 * section: a line `<marker> <name> <exit code>`, its stdout, a line `<marker> <name> stderr`, its
 * stderr. `marker` is a per-run random token, so no key or value can forge a section line.
 */
export function readsScript(marker: string, reads: Record<string, readonly string[]>): string {
  const dir = q(`${DIR}/reads`);
  const names = Object.keys(reads);
  return [
    `D=${dir}; rm -rf "$D"; mkdir -p "$D"`,
    `run() { n=$1; shift; ${ETCDCTL} --command-timeout=30s "$@" >"$D/$n.out" 2>"$D/$n.err"; echo $? >"$D/$n.rc"; }`,
    ...names.map((n) => `run ${n} ${reads[n]!.map(q).join(' ')} &`),
    'wait',
    `for n in ${names.join(' ')}; do echo "${marker} $n $(cat "$D/$n.rc")"; cat "$D/$n.out"; echo; echo "${marker} $n stderr"; cat "$D/$n.err"; done`,
    'rm -rf "$D"',
  ].join('\n');
}
