/**
 * Several etcdctl calls in one exec: a shell script run in the `etcd` container starts them all at
 * once and prints each one's exit code and stdout as one record between delimiters, which
 * parseProbeOutput reads back. One exec per pod instead of one per call is what keeps `etcd status
 * -A` over a fleet affordable: every exec is a WebSocket round trip through the API server and the
 * kubelet.
 *
 * What the script assumes of the etcd image (HyperShift's etcd image, RHEL-based, has all of it):
 *  - /bin/sh is a POSIX shell (functions, `$(...)`, `$((...))`, background jobs and `wait`) with
 *    `[` and `printf`, and etcdctl is on PATH (etcd's own client, shipped beside etcd);
 *  - nothing is written to the pod's file system, which may be read-only;
 *  - each record is written by one `printf`, so records of calls that end at the same moment do not
 *    interleave while each is shorter than PIPE_BUF (4 KiB): etcdctl's JSON answers (one member's
 *    status, health or hash, a member list of up to 7 members, a 7-member `--cluster` status) are
 *    well under that. A record that is missing or interleaved is not trusted; the caller runs that
 *    call again as its own exec (as it does for every call when the pod has no /bin/sh).
 * The delimiter carries a random nonce, so no output can forge a record.
 */
import { randomBytes } from 'node:crypto';
import { Etcd } from '../model.ts';
import { etcdctl, type EtcdctlTls } from './etcdctl.ts';
import { q } from './shell.ts';

/**
 * One call: a record name (letters, digits, `.`, `-`, `_`) and either etcdctl's endpoint and
 * arguments, or a whole `command` in which PROBE_CA stands for the client CA the script found.
 */
export interface ProbeCall {
  name: string;
  endpoint: string;
  args: string[];
  command?: readonly string[];
  /** How messages name a `command` call (default: its program). */
  label?: string;
}

/** Stands for the client CA path in a ProbeCall's `command` (the script substitutes the one it found). */
export const PROBE_CA = '\u0001ca\u0001';

export interface ProbeAnswer {
  exitCode: number;
  stdout: string;
}

/** Where the client CA is looked for, in order: OCP 4.12+, then 4.11 and older. */
export const CA_CANDIDATES = [Etcd.caPath, Etcd.legacyCaPath] as const;

/** The record that says which CA_CANDIDATES entry the pod has (its index), or exit code 1 for none. */
export const TLS_RECORD = 'tls';

const NAME = /^[\w.-]+$/;

/** A fresh delimiter for one script. */
export function probeMarker(): string {
  return `hcp-dr-probe-${randomBytes(6).toString('hex')}`;
}

/**
 * The script. With `tls`, calls use that CA; without, the script first finds the CA (record `tls`)
 * and stops there when the pod has none.
 */
export function probeScript(marker: string, calls: readonly ProbeCall[], tls?: EtcdctlTls): string {
  for (const c of calls) if (!NAME.test(c.name) || c.name === TLS_RECORD) throw new Error(`bad probe call name "${c.name}"`);
  const record = (name: string, code: string, out: string) => `printf '%s %s %s %s %s.end\\n' "$M" ${name} ${code} ${out} "$M"`;
  const lines = [`M=${q(marker)}`, `r() { n=$1; shift; o=$("$@" 2>/dev/null); c=$?; ${record('"$n"', '"$c"', '"$o"')}; }`];
  if (tls) lines.push(`CA=${q(tls.caPath)}`);
  else {
    lines.push(
      'CA=; i=0',
      `for p in ${CA_CANDIDATES.map(q).join(' ')}; do`,
      `  if [ -z "$CA" ] && [ -f "$p" ]; then CA=$p; ${record(TLS_RECORD, '0', '"$i"')}; fi`,
      '  i=$((i + 1))',
      'done',
      `if [ -z "$CA" ]; then ${record(TLS_RECORD, '1', "''")}; exit 0; fi`,
    );
  }
  for (const c of calls) lines.push(`r ${c.name} ${probeArgv(c, PROBE_CA).map(withCa).join(' ')} &`);
  lines.push('wait');
  return `${lines.join('\n')}\n`;
}

/** The call's argv, with `caPath` for the client CA. */
export function probeArgv(call: ProbeCall, caPath: string): string[] {
  const argv = call.command ? [...call.command] : etcdctl({ caPath: PROBE_CA }, call.endpoint, ...call.args);
  return argv.map((a) => a.replaceAll(PROBE_CA, caPath));
}

/** One argument for the script: quoted, with PROBE_CA as the shell's "$CA". */
function withCa(arg: string): string {
  if (!arg.includes(PROBE_CA)) return q(arg);
  return arg
    .split(PROBE_CA)
    .map((part) => (part === '' ? '' : q(part)))
    .join('"$CA"');
}

/**
 * The records in the script's stdout, by name. A record counts only when it starts a line, ends
 * with its end delimiter followed by a newline (or the end), and holds no other delimiter.
 */
export function parseProbeOutput(stdout: string, marker: string): Map<string, ProbeAnswer> {
  const answers = new Map<string, ProbeAnswer>();
  const start = `${marker} `;
  const end = ` ${marker}.end`;
  let at = 0;
  for (let s = stdout.indexOf(start, at); s >= 0; s = stdout.indexOf(start, at)) {
    at = s + start.length;
    if (s > 0 && stdout[s - 1] !== '\n') continue;
    const e = stdout.indexOf(end, at);
    if (e < 0) break;
    const after = e + end.length;
    const record = stdout.slice(at, e);
    if (record.includes(marker) || (after < stdout.length && stdout[after] !== '\n')) continue;
    at = after;
    const m = /^([\w.-]+) (\d+) ([\s\S]*)$/.exec(record);
    if (m) answers.set(m[1] as string, { exitCode: Number(m[2]), stdout: m[3] as string });
  }
  return answers;
}

/** The CA path the `tls` record names; null when the pod has none; undefined without the record. */
export function caPathOf(answers: Map<string, ProbeAnswer>): string | null | undefined {
  const tls = answers.get(TLS_RECORD);
  if (!tls) return undefined;
  return tls.exitCode === 0 ? (CA_CANDIDATES[Number(tls.stdout)] ?? null) : null;
}
