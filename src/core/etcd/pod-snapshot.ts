/**
 * The snapshot file inside an etcd pod: taken on the member's data volume (/var/lib, beside
 * /var/lib/data), checked with `snapshot status`, streamed out through exec, then removed,
 * because HyperShift sizes the PV to the etcd quota and a forgotten snapshot can fill it.
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { RemoteError } from '../errors.ts';
import { Etcd } from '../model.ts';
import type { ExecResult, PodExec } from '../ports.ts';
import { etcdctlNoTimeout, parseSnapshotStatus, type EtcdctlTls, type SnapshotStatus } from './etcdctl.ts';
import { q } from './shell.ts';

export interface PodRef {
  exec: PodExec;
  namespace: string;
  pod: string;
  signal?: AbortSignal;
}

export function snapshotPathFor(operationId: string): string {
  return `${Etcd.snapshotDir}/hcp-dr-${operationId}.db`;
}

async function run(ref: PodRef, command: string[], stdout?: Writable) {
  return ref.exec.exec({
    namespace: ref.namespace,
    pod: ref.pod,
    container: Etcd.container,
    command,
    ...(stdout ? { stdout } : {}),
    ...(ref.signal ? { signal: ref.signal } : {}),
  });
}

/**
 * `etcdctl snapshot save` against the member's own endpoint (a snapshot must come from one
 * member). Not abortable: closing an exec connection does not stop the command in the
 * container, so an interrupted save would write its file after the rollback removed it.
 * The caller checks its signal once this returns.
 */
export async function saveSnapshot(ref: PodRef, tls: EtcdctlTls, path: string): Promise<void> {
  const { signal: _ignored, ...unabortable } = ref;
  const result = await run(unabortable, saveArgv(tls, path));
  if (result.exitCode !== 0) throw saveError(ref, result.stderr);
}

const saveArgv = (tls: EtcdctlTls, path: string) => etcdctlNoTimeout(tls, Etcd.localEndpoint, 'snapshot', 'save', path);

function saveError(ref: PodRef, stderr: string): RemoteError {
  return new RemoteError(`failed to save an etcd snapshot in pod "${ref.pod}": ${lastLine(stderr)}`, {
    hint: /no space/i.test(stderr)
      ? `free space on the PVC of ${ref.pod} or back up from another member`
      : 'check the member with "{cmd} etcd status"',
  });
}

/**
 * Hash, revision and key count as etcd reads them; etcdutl where the image has it (3.5+). One
 * exec: a shell picks the tool. An image without /bin/sh is asked with `test -x` first.
 */
export async function snapshotStatus(ref: PodRef, tls: EtcdctlTls, path: string): Promise<SnapshotStatus> {
  const { withEtcdctl, withEtcdutl } = statusArgv(tls, path);
  let result = await run(ref, ['/bin/sh', '-c', statusScript(tls, path)]);
  if (result.exitCode === 126 || result.exitCode === 127) {
    const hasEtcdutl = (await run(ref, ['test', '-x', ETCDUTL])).exitCode === 0;
    result = await run(ref, hasEtcdutl ? withEtcdutl : withEtcdctl);
  }
  return statusOf(ref, result);
}

const ETCDUTL = '/usr/bin/etcdutl';

function statusArgv(tls: EtcdctlTls, path: string) {
  return {
    withEtcdctl: [...etcdctlNoTimeout(tls, Etcd.localEndpoint), 'snapshot', 'status', path, '-w', 'json'],
    withEtcdutl: ['etcdutl', 'snapshot', 'status', path, '-w', 'json'],
  };
}

/** Shell text that runs `snapshot status` with the image's tool (exec: its output and exit code are the script's). */
function statusScript(tls: EtcdctlTls, path: string): string {
  const { withEtcdctl, withEtcdutl } = statusArgv(tls, path);
  return `if [ -x ${ETCDUTL} ]; then exec ${withEtcdutl.map(q).join(' ')}; else exec ${withEtcdctl.map(q).join(' ')}; fi`;
}

function statusOf(ref: PodRef, result: ExecResult): SnapshotStatus {
  const status = parseSnapshotStatus(result.stdout);
  if (result.exitCode !== 0 || !status) {
    throw new RemoteError(`failed to check the snapshot in pod "${ref.pod}": ${lastLine(result.stderr) || 'no status printed'}`);
  }
  return status;
}

/**
 * saveSnapshot then snapshotStatus in one exec, for a caller with nothing to do between them (an
 * online backup has no API servers to bring back first): the same file, the same status, one
 * WebSocket session fewer. The script sends save's stdout to stderr and prints one record of
 * save's exit code, `<nonce> <code>`, as stdout's first line; the status JSON follows it alone.
 * Errors are saveSnapshot's and snapshotStatus's. Without /bin/sh (126/127 and no record) it falls
 * back to the two calls. Not abortable, as saveSnapshot is not.
 */
export async function saveAndCheckSnapshot(ref: PodRef, tls: EtcdctlTls, path: string): Promise<SnapshotStatus> {
  const { signal: _ignored, ...unabortable } = ref;
  const nonce = `hcp-dr-save-${randomBytes(6).toString('hex')}`;
  const script = [
    `${saveArgv(tls, path).map(q).join(' ')} >&2`,
    'rc=$?',
    `printf '%s %s\\n' ${q(nonce)} "$rc"`,
    'if [ "$rc" -ne 0 ]; then exit "$rc"; fi',
    statusScript(tls, path),
  ].join('\n');
  const result = await run(unabortable, ['/bin/sh', '-c', script]);
  const record = new RegExp(`^${nonce} (\\d+)\\n`).exec(result.stdout);
  if (!record) {
    if (result.exitCode !== 126 && result.exitCode !== 127) throw saveError(ref, result.stderr);
    await saveSnapshot(ref, tls, path);
    return snapshotStatus(ref, tls, path);
  }
  if (record[1] !== '0') throw saveError(ref, result.stderr);
  // The tool could not be run from the shell: snapshotStatus asks the image itself (test -x).
  if (result.exitCode === 126 || result.exitCode === 127) return snapshotStatus(ref, tls, path);
  return statusOf(ref, { ...result, stdout: result.stdout.slice(record[0].length) });
}

/** Streams the file's bytes into `sink` with backpressure; resolves when the command ended. */
export async function streamSnapshot(ref: PodRef, path: string, sink: Writable): Promise<void> {
  const result = await run(ref, ['cat', path], sink);
  if (result.exitCode !== 0) throw readError(ref, path, result.stderr);
}

/**
 * streamSnapshot, then the file removed in the same exec, for a caller done with it once read: one
 * WebSocket session instead of two. The file goes whether or not the read succeeded (a failed
 * backup removes it anyway). Settles as streamSnapshot does; `removed` false (rm failed, or no
 * /bin/sh: then the file is streamed by a plain `cat`) leaves removeSnapshot to the caller. The
 * script's records go to stderr, between a nonce; stdout carries the file's bytes only.
 */
export async function streamAndRemoveSnapshot(ref: PodRef, path: string, sink: Writable): Promise<{ removed: boolean }> {
  const nonce = `hcp-dr-read-${randomBytes(6).toString('hex')}`;
  const files = [path, `${path}.part`].map(q).join(' ');
  const script = [
    `printf '%s started\\n' ${q(nonce)} >&2`,
    `cat ${q(path)}`,
    'rc=$?',
    `if rm -f ${files}; then printf '%s removed\\n' ${q(nonce)} >&2; fi`,
    'exit "$rc"',
  ].join('\n');
  const result = await run(ref, ['/bin/sh', '-c', script], sink);
  if (!result.stderr.includes(`${nonce} started\n`)) {
    if (result.exitCode !== 126 && result.exitCode !== 127) throw readError(ref, path, result.stderr);
    await streamSnapshot(ref, path, sink);
    return { removed: false };
  }
  const stderr = result.stderr.replaceAll(new RegExp(`${nonce} \\w+\\n`, 'g'), '');
  if (result.exitCode !== 0) throw readError(ref, path, stderr);
  return { removed: result.stderr.includes(`${nonce} removed\n`) };
}

const readError = (ref: PodRef, path: string, stderr: string) =>
  new RemoteError(`failed to read ${path} from pod "${ref.pod}": ${lastLine(stderr)}`);

/** Idempotent: a missing file is fine. Also removes etcdctl's partial `<path>.part`. */
export async function removeSnapshot(ref: PodRef, path: string): Promise<void> {
  const result = await run(ref, ['rm', '-f', path, `${path}.part`]);
  if (result.exitCode !== 0) throw new RemoteError(`failed to remove ${path} from pod "${ref.pod}": ${lastLine(result.stderr)}`);
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const line = lines.at(-1) ?? '';
  // etcdctl logs zap JSON lines; keep their message.
  try {
    const parsed = JSON.parse(line) as { msg?: string; error?: string };
    return [parsed.msg, parsed.error].filter(Boolean).join(': ');
  } catch {
    return line;
  }
}
