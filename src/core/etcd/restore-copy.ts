/**
 * Copying the snapshot into every member's volume: the bytes are read once (from S3, the local
 * file, or the member's helper) and fanned out to every helper pod's exec stdin at the pace of
 * the slowest (backpressure), so memory stays bounded and nothing lands on the local disk.
 *
 * Contract: resolves only when every helper holds the complete file and its SHA-256, computed
 * in the pod, is the verified one; and etcd's own `snapshot status` in one helper agrees on the
 * revision and key count. Any difference is a RemoteError naming the helper and both values.
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { RemoteError } from '../errors.ts';
import { parseSnapshotStatus } from './etcdctl.ts';
import { DigestStream } from '../snapshot/digest-stream.ts';
import { helperExec, lastLine, type HelperContext } from './restore-helpers.ts';
import { q } from './shell.ts';
import {
  checkScript,
  parseProbe,
  parseSha256,
  probeScript,
  receiveScript,
  restoreScript,
  type RestoreFlags,
  type ToolProbe,
  type VolumePaths,
} from './restore-scripts.ts';
import type { SnapshotInfo } from './restore-source.ts';

/** Which restore tool the etcd image has, and whether it knows --bump-revision/--mark-compacted. */
export async function probeTool(ctx: HelperContext): Promise<ToolProbe> {
  const r = await helperExec(ctx, 0, probeScript());
  const probe = parseProbe(r.stdout);
  if (!probe)
    throw new RemoteError(`failed to find etcdctl or etcdutl in the etcd image (helper pod 0): ${lastLine(r.stderr) || r.stdout}`);
  return probe;
}

/** Streams `source` into every helper (written as the snapshot file) and checks it there. */
export async function copyToHelpers(
  ctx: HelperContext,
  replicas: number,
  source: Readable,
  info: SnapshotInfo,
  paths: VolumePaths,
  onBytes?: (n: number) => void,
): Promise<void> {
  const script = `${receiveScript(paths)}\nsha256sum ${q(paths.snapshot)}`;
  const passes = Array.from({ length: replicas }, () => new PassThrough({ highWaterMark: 4 * 1024 * 1024 }));
  let sent = false;
  const runs = passes.map((pass, i) =>
    helperExec(ctx, i, script, pass).then((r) => {
      if (r.exitCode !== 0) throw new RemoteError(`failed to write the snapshot in helper pod ${i}: ${lastLine(r.stderr)}`);
      if (!sent) throw new RemoteError(`helper pod ${i} stopped reading the snapshot before its end`);
      return r.stdout;
    }),
  );
  const anyFailed = new Promise<never>((_, reject) => {
    for (const r of runs) r.catch(reject);
  });
  anyFailed.catch(() => undefined);
  const digest = new DigestStream(onBytes);
  source.on('error', (err) => digest.destroy(err));
  source.pipe(digest);
  try {
    for await (const chunk of digest as AsyncIterable<Buffer>) {
      ctx.signal?.throwIfAborted();
      const full = passes.filter((p) => !p.write(chunk));
      if (full.length > 0) await Promise.race([Promise.all(full.map((p) => once(p, 'drain'))), anyFailed]);
    }
    sent = true;
    for (const p of passes) p.end();
  } catch (err) {
    for (const p of passes) p.destroy();
    await Promise.allSettled(runs);
    throw err;
  }
  const outputs = await Promise.race([Promise.all(runs), anyFailed]);
  const d = digest.result();
  if (d.sha256 !== info.sha256 || d.size !== info.size) {
    throw new RemoteError(
      `the snapshot read from ${info.description} changed since it was verified: SHA-256 ${d.sha256} (${d.size} bytes), verified ${info.sha256} (${info.size} bytes)`,
      { hint: 'nothing was moved; find out who changed it, then run the restore again' },
    );
  }
  outputs.forEach((out, i) => {
    const got = parseSha256(out);
    if (got !== info.sha256)
      throw new RemoteError(`the snapshot in helper pod ${i} has SHA-256 ${got ?? '(none printed)'}, expected ${info.sha256}`, {
        hint: 'the copy was damaged on its way into the pod; nothing was moved; run the restore again',
      });
  });
  const check = await helperExec(ctx, 0, checkScript(paths));
  const status = parseSnapshotStatus(check.stdout.slice(check.stdout.indexOf('{')));
  if (check.exitCode !== 0 || !status)
    throw new RemoteError(`etcd cannot read the snapshot in helper pod 0: ${lastLine(check.stderr) || 'no status printed'}`);
  // etcdutl 3.6 counts live keys where 3.4/3.5 count every entry: compared where the counts mean the same.
  const keysAgree =
    status.totalKey === info.totalKeys || (status.liveKeyCount === true && (info.liveKeys ?? status.totalKey) === status.totalKey);
  if (status.revision !== info.revision || !keysAgree) {
    throw new RemoteError(
      `etcd reads revision ${status.revision} and ${status.totalKey} keys in the snapshot, expected revision ${info.revision} and ${info.totalKeys} keys`,
      { hint: 'the snapshot is not what was verified; nothing was moved' },
    );
  }
}

/**
 * `snapshot restore` of the copied snapshot into every member volume, one helper pod each, with
 * --name etcd-N and one --initial-cluster. Not abortable once started (closing exec does not stop
 * the script), so every helper is waited for before the first failure is thrown.
 */
export async function restoreInEveryHelper(
  ctx: HelperContext,
  paths: VolumePaths,
  flags: Omit<RestoreFlags, 'member'>,
  tool: string,
): Promise<void> {
  const settled = await Promise.allSettled(
    Array.from({ length: flags.replicas }, (_, i) =>
      helperExec({ ...ctx, signal: undefined }, i, restoreScript(paths, { ...flags, member: i })),
    ),
  );
  settled.forEach((s, i) => {
    if (s.status === 'rejected') throw s.reason;
    if (s.value.exitCode !== 0)
      throw new RemoteError(
        `${tool} snapshot restore failed in helper pod ${i}: ${lastLine(s.value.stderr) || `exit ${s.value.exitCode}`}`,
      );
  });
}
