/**
 * The snapshot file inside an etcd pod: taken on the member's data volume (/var/lib, beside
 * /var/lib/data), checked with `snapshot status`, streamed out through exec, then removed,
 * because HyperShift sizes the PV to the etcd quota and a forgotten snapshot can fill it.
 */
import type { Writable } from 'node:stream';
import { RemoteError } from '../errors.ts';
import { Etcd } from '../model.ts';
import type { PodExec } from '../ports.ts';
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
  const result = await run(unabortable, etcdctlNoTimeout(tls, Etcd.localEndpoint, 'snapshot', 'save', path));
  if (result.exitCode !== 0) {
    throw new RemoteError(`failed to save an etcd snapshot in pod "${ref.pod}": ${lastLine(result.stderr)}`, {
      hint: /no space/i.test(result.stderr)
        ? `free space on the PVC of ${ref.pod} or back up from another member`
        : 'check the member with "{cmd} etcd status"',
    });
  }
}

/**
 * Hash, revision and key count as etcd reads them; etcdutl where the image has it (3.5+). One
 * exec: a shell picks the tool. An image without /bin/sh is asked with `test -x` first.
 */
export async function snapshotStatus(ref: PodRef, tls: EtcdctlTls, path: string): Promise<SnapshotStatus> {
  const withEtcdctl = [...etcdctlNoTimeout(tls, Etcd.localEndpoint), 'snapshot', 'status', path, '-w', 'json'];
  const withEtcdutl = ['etcdutl', 'snapshot', 'status', path, '-w', 'json'];
  const script = `if [ -x ${ETCDUTL} ]; then exec ${withEtcdutl.map(q).join(' ')}; else exec ${withEtcdctl.map(q).join(' ')}; fi`;
  let result = await run(ref, ['/bin/sh', '-c', script]);
  if (result.exitCode === 126 || result.exitCode === 127) {
    const hasEtcdutl = (await run(ref, ['test', '-x', ETCDUTL])).exitCode === 0;
    result = await run(ref, hasEtcdutl ? withEtcdutl : withEtcdctl);
  }
  const status = parseSnapshotStatus(result.stdout);
  if (result.exitCode !== 0 || !status) {
    throw new RemoteError(`failed to check the snapshot in pod "${ref.pod}": ${lastLine(result.stderr) || 'no status printed'}`);
  }
  return status;
}

const ETCDUTL = '/usr/bin/etcdutl';

/** Streams the file's bytes into `sink` with backpressure; resolves when the command ended. */
export async function streamSnapshot(ref: PodRef, path: string, sink: Writable): Promise<void> {
  const result = await run(ref, ['cat', path], sink);
  if (result.exitCode !== 0) {
    throw new RemoteError(`failed to read ${path} from pod "${ref.pod}": ${lastLine(result.stderr)}`);
  }
}

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
