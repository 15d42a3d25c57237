/**
 * The snapshot pulled by the drill pod itself, the way HyperShift's etcd-init fetches a restore's
 * (curl of a pre-signed GET URL): the bytes go from the store into the pod without passing
 * through hcp-dr and its exec stream, and are hashed once, in the pod, as they are written. So
 * the drill's download is the one a restore of this backup would make.
 *
 * Only for a plain snapshot (an encoded one is decoded by hcp-dr, so it streams), and only when
 * the pod can: no curl in the image, a store the pod cannot reach, or one that refuses the URL
 * answer undefined, and the caller streams the snapshot through exec instead.
 * The URL is a credential: it reaches curl on stdin (`curl -K -`), never a command line, and is
 * never printed; curl's own messages are not relayed.
 */
import type { ExecResult } from '../ports.ts';
import { q } from '../etcd/shell.ts';
import { DrillPaths } from './pod.ts';
import type { DrillState } from './steps.ts';

/** Lifetime of the pull's pre-signed URL: S3 checks it when the GET starts, not while it runs. */
const PULL_URL_SECONDS = 15 * 60;

/** What the pod holds after a copy, whichever way it came. */
export interface Copied {
  /** The exec's stdout: `RECEIVED <bytes>` (pod.ts receiveScript's shape). */
  stdout: string;
  stderr: string;
  exitCode: number;
  /** SHA-256 of the bytes, computed once as they went by (in hcp-dr or in the pod). */
  sha256: string;
  /** How many bytes went by. */
  size: number;
  via: 'pulled by the pod' | 'streamed through hcp-dr';
}

/** `run`: the script in the drill pod with `stdin` (steps.ts inPod). */
export async function pullSnapshot(
  s: Pick<DrillState, 'manifest' | 'store' | 'snapshotKey' | 'reporter'>,
  run: (script: string, stdin: Buffer) => Promise<ExecResult>,
): Promise<Copied | undefined> {
  if (s.manifest.storage !== undefined) return undefined;
  const url = await s.store.presignGet(s.snapshotKey, PULL_URL_SECONDS).catch(() => '');
  // curl's config syntax quotes the URL: one with a quote, backslash or space is not passed on.
  if (!/^https?:\/\/[^"\\\s]+$/.test(url)) return undefined;
  const r = await run(pullScript(), Buffer.from(`url = "${url}"\n`));
  const unavailable = /^PULL-UNAVAILABLE (.*)$/m.exec(r.stdout)?.[1];
  const sha256 = /^SHA256 ([0-9a-f]{64})$/m.exec(r.stdout)?.[1];
  const size = Number(/^RECEIVED\s+(\d+)\s*$/m.exec(r.stdout)?.[1] ?? -1);
  if (r.exitCode !== 0 || unavailable !== undefined || !sha256 || size < 0) {
    s.reporter.debug(
      `the drill pod could not fetch the snapshot itself (${unavailable ?? `exit ${r.exitCode}`}): streaming it through hcp-dr`,
    );
    return undefined;
  }
  return { ...r, sha256, size, via: 'pulled by the pod' };
}

/**
 * The SHA-256 tool, in $H: `openssl dgst` where the image has it (it uses the CPU's SHA
 * instructions: about a seventh of sha256sum's CPU time, which the download competes with),
 * else sha256sum. Both print the hex digest first on a line of its own.
 */
const HASHER = "if command -v openssl >/dev/null 2>&1; then H='openssl dgst -sha256 -r'; else H=sha256sum; fi";

/**
 * Reads curl's config (the URL) on stdin and fetches into the snapshot's .part file through tee
 * into the hasher (HASHER); prints `PULL-UNAVAILABLE <why>` (exit 0) when it cannot, else
 * `RECEIVED <bytes>` (as receiveScript does) and `SHA256 <hex>`. A write failure (a full volume)
 * ends tee, so curl fails on its broken pipe and the caller streams instead.
 */
export function pullScript(): string {
  const dir = DrillPaths.dir;
  const part = q(`${DrillPaths.snapshot}.part`);
  const rc = q(`${dir}/pull.rc`);
  const sum = q(`${dir}/pull.sha256`);
  const snap = q(DrillPaths.snapshot);
  return [
    'set -e',
    `mkdir -p ${q(dir)}`,
    `if ! command -v curl >/dev/null 2>&1; then echo 'PULL-UNAVAILABLE no curl in the image'; exit 0; fi`,
    `rm -f ${part} ${rc} ${sum}`,
    HASHER,
    `{ curl -fsS --connect-timeout 10 --speed-limit 1024 --speed-time 60 -K - -o - || echo $? > ${rc}; } | tee ${part} | $H > ${sum}`,
    `if [ -e ${rc} ]; then echo "PULL-UNAVAILABLE curl exit $(cat ${rc})"; rm -f ${part} ${rc} ${sum}; exit 0; fi`,
    `mv ${part} ${snap}`,
    `echo "RECEIVED $(wc -c < ${snap})"`,
    `echo "SHA256 $(cut -d ' ' -f 1 ${sum})"`,
    `rm -f ${sum}`,
  ].join('\n');
}
