/**
 * Runs a command "inside an etcd pod": HyperShift's in-pod paths and service URLs in the
 * arguments (including `sh -c` scripts) are rewritten to the member's host files and ports,
 * then the real binary runs on the host. For etcdctl, 127.0.0.1:<port> in the output is mapped
 * back to the in-cluster DNS names, so endpoints look like HyperShift's.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Transform, type Readable, type Writable } from 'node:stream';
import { cleanEnv } from './process.ts';

export interface PodView {
  /** Host directory standing for /etc/etcd/tls. */
  tlsRoot: string;
  /** Host directory standing for /var/lib (the member's PVC). */
  volumeDir: string;
  /** Host directory standing for the pod's /tmp. */
  tmpDir: string;
  /** Pod hostname, e.g. etcd-1. */
  hostname: string;
  /** Index of this member in `clientPorts`/`peerPorts`. */
  index: number;
  clientPorts: readonly number[];
  peerPorts: readonly number[];
  /** A directory put first on the pod's PATH (tools taken out of the image: see EtcdCluster.removeFromImage). */
  binOverrides?: string;
  /** The etcd image's tools (etcd/versions.ts): on PATH before the host's, and what /usr/bin/etcd* name. */
  imageBin?: string;
  /** The etcd image's CA trust store (a PEM bundle): what its curl trusts (CURL_CA_BUNDLE); absent: the machine's. */
  caBundle?: string;
}

export interface ExecIO {
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
  /** Control-plane namespace; when set, etcdctl output shows etcd-N.etcd-discovery.<ns>.svc names. */
  namespace?: string;
  /** Extra environment, passed as is (not rewritten): the container's env, e.g. etcd-init's RESTORE_URL_ETCD. */
  env?: Record<string, string>;
  /**
   * Show the pod's view in stdout and stderr of any command: host dirs back to /var/lib, /tmp,
   * /etc/etcd/tls and member ports to etcd-N.etcd-discovery names (needs `namespace`). Binary-safe
   * (exact byte strings), used for helper pods; etcd pods keep the plain streams (benchmarks read
   * snapshots through them).
   */
  mapOutput?: boolean;
}

const PATH_RE = /(^|[\s='"`:;(|&>,])(\/etc\/etcd\/tls|\/var\/lib|\/tmp)(?=$|[/\s'"`;)|&<>,])/g;
const OWN_CLIENT_RE = /\b(?:localhost|127\.0\.0\.1|etcd-client(?:\.[\w-]+)*):2379\b/g;
const MEMBER_RE = /\betcd-(\d+)\.etcd-discovery(?:\.[\w-]+)*:(2379|2380)\b/g;

const IMAGE_TOOL_RE = /(^|[\s='"`:;(|&>,])\/usr\/bin\/(etcd|etcdctl|etcdutl)(?=$|[\s'"`;)|&<>,])/g;

/** Rewrites one argument (or script) from pod paths/URLs to host ones. */
export function rewriteForHost(arg: string, pod: PodView): string {
  const hostDir: Record<string, string> = {
    '/etc/etcd/tls': pod.tlsRoot,
    '/var/lib': pod.volumeDir,
    '/tmp': pod.tmpDir,
  };
  const imageBin = pod.imageBin;
  const host = arg
    .replace(PATH_RE, (_m, pre: string, p: string) => pre + hostDir[p])
    .replace(MEMBER_RE, (m, n: string, port: string) => {
      const ports = port === '2379' ? pod.clientPorts : pod.peerPorts;
      const hp = ports[Number(n)];
      return hp === undefined ? m : `127.0.0.1:${hp}`;
    })
    .replace(OWN_CLIENT_RE, `127.0.0.1:${pod.clientPorts[pod.index]}`);
  // Last: the image directory is a host path (often under /tmp) that the rules above must not see.
  return imageBin ? host.replace(IMAGE_TOOL_RE, (_m, pre: string, tool: string) => `${pre}${imageBin}/${tool}`) : host;
}

/** Maps 127.0.0.1:<member port> back to etcd-N.etcd-discovery.<ns>.svc:<2379|2380>, line by line. */
function reverseMapper(pod: PodView, namespace: string): Transform {
  const names = new Map<string, string>();
  pod.clientPorts.forEach((p, n) => names.set(`127.0.0.1:${p}`, `etcd-${n}.etcd-discovery.${namespace}.svc:2379`));
  pod.peerPorts.forEach((p, n) => names.set(`127.0.0.1:${p}`, `etcd-${n}.etcd-discovery.${namespace}.svc:2380`));
  const map = (s: string) => s.replace(/127\.0\.0\.1:\d+/g, (m) => names.get(m) ?? m);
  let rest = '';
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const text = rest + chunk.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      cb(null, map(text.slice(0, cut)));
    },
    flush(cb) {
      cb(null, map(rest));
    },
  });
}

/**
 * Replaces the pod's host paths and member ports in a byte stream with what the pod sees. Works on
 * latin1 strings (one char per byte, lossless) and holds back a tail as long as the longest pattern,
 * so a match split across chunks is still found; a match is only replaced once a byte follows it.
 */
function podViewMapper(pod: PodView, namespace: string): Transform {
  const names = new Map<string, string>([
    [pod.volumeDir, '/var/lib'],
    [pod.tmpDir, '/tmp'],
    [pod.tlsRoot, '/etc/etcd/tls'],
  ]);
  pod.clientPorts.forEach((p, n) => names.set(`127.0.0.1:${p}`, `etcd-${n}.etcd-discovery.${namespace}.svc:2379`));
  pod.peerPorts.forEach((p, n) => names.set(`127.0.0.1:${p}`, `etcd-${n}.etcd-discovery.${namespace}.svc:2380`));
  const keys = [...names.keys()].sort((a, b) => b.length - a.length);
  const re = new RegExp(`(?:${keys.map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(?![\\w-])`, 'g');
  const hold = Math.max(...keys.map((k) => k.length)) + 1;
  let tail = '';
  // Binary output (a snapshot read with cat) is passed through as it is from its first NUL byte on:
  // the host names inside a snapshot's data are the data, not the sandbox showing through.
  let binary = false;
  const map = (text: string) => text.replace(re, (m) => names.get(m) ?? m);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (binary || chunk.includes(0)) {
        const held = tail;
        tail = '';
        binary = true;
        cb(null, held ? Buffer.concat([Buffer.from(map(held), 'latin1'), chunk]) : chunk);
        return;
      }
      const text = tail + chunk.toString('latin1');
      let cut = Math.max(0, text.length - hold);
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m.index >= cut) break;
        cut = Math.max(cut, m.index + m[0].length);
      }
      tail = text.slice(cut);
      cb(null, Buffer.from(map(text.slice(0, cut)), 'latin1'));
    },
    flush(cb) {
      cb(null, Buffer.from(map(tail), 'latin1'));
    },
  });
}

const POD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The pod's PATH: tools taken out, then `extra` (e.g. a fault wrapper), the etcd image, the base system. */
export function podPath(pod: PodView, extra?: string): string {
  return [pod.binOverrides, extra, pod.imageBin, POD_PATH].filter((d): d is string => !!d).join(':');
}

/** Spawns argv for the pod; resolves to the exit code (128+n for signal n), 127 if not found. */
export function runInPod(argv: readonly string[], pod: PodView, io: ExecIO): Promise<number> {
  if (argv.length === 0) return Promise.reject(new Error('exec: empty command'));
  const args = argv.map((a) => rewriteForHost(a, pod));
  // A shell script that runs etcdctl or curl (etcd status's probe scripts) prints their output too.
  const isEtcdctl =
    /(^|\/)(etcdctl|curl)$/.test(argv[0]!) ||
    (argv[0] === 'env' && argv.some((a) => /(^|\/)etcdctl$/.test(a))) ||
    (/(^|\/)sh$/.test(argv[0]!) && argv[1] === '-c' && /\b(etcdctl|curl)\b/.test(argv[2] ?? ''));
  return new Promise((resolve) => {
    const child = spawn(args[0]!, args.slice(1), {
      cwd: pod.tmpDir,
      stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: {
        ...cleanEnv({
          PATH: podPath(pod),
          HOSTNAME: pod.hostname,
          ETCDCTL_API: '3',
          HOME: pod.tmpDir,
        }),
        ...(pod.caBundle ? { CURL_CA_BUNDLE: pod.caBundle } : {}),
        ...io.env,
      },
    });
    const onAbort = () => child.kill('SIGKILL');
    io.signal?.addEventListener('abort', onAbort, { once: true });
    if (io.signal?.aborted) onAbort();
    if (io.stdin && child.stdin) {
      child.stdin.on('error', () => {}); // command exited before reading all stdin
      io.stdin.pipe(child.stdin);
    }
    // pipe() gives backpressure: a slow io.stdout pauses the child's stdout pipe, which blocks the child.
    const stdout = child.stdout!;
    const mapAll = io.mapOutput === true && io.namespace !== undefined;
    const out = mapAll
      ? stdout.pipe(podViewMapper(pod, io.namespace!))
      : isEtcdctl && io.namespace
        ? stdout.pipe(reverseMapper(pod, io.namespace))
        : stdout;
    out.pipe(io.stdout, { end: false });
    const err = mapAll ? child.stderr!.pipe(podViewMapper(pod, io.namespace!)) : child.stderr!;
    err.pipe(io.stderr, { end: false });
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, sig) => {
      io.signal?.removeEventListener('abort', onAbort);
      if (io.stdin && child.stdin) io.stdin.unpipe(child.stdin);
      if (spawnError) {
        io.stderr.write(`exec: "${argv[0]}": executable file not found in $PATH\n`);
        resolve(127);
        return;
      }
      const finish = () => resolve(code ?? 128 + (sig ? signalNumber(sig) : 0));
      // Wait for the transforms (if any) to flush before reporting the exit code.
      const pending = [out !== stdout ? out : undefined, err !== child.stderr ? err : undefined].filter(
        (s): s is Transform => s !== undefined && !s.readableEnded,
      );
      if (pending.length === 0) finish();
      else void Promise.all(pending.map((s) => new Promise((r) => s.once('end', r)))).then(finish);
    });
  });
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 1;
}
