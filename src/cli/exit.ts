/**
 * Turns any thrown value into the two documented lines ("error: ...", "hint: ...") and
 * an exit code from the published table. Stack traces and cause chains only with -v.
 * Errors of the environment that reach here untyped (a bare ENOENT, a DNS failure, a missing
 * program) get their cause and a hint; only what is left is called a bug in hcp-dr.
 */
import { ExitCode, InternalError, InterruptedError, isHcpDrError, type HcpDrError } from '../core/errors.ts';
import { environmentErrorOf } from '../core/environment-errors.ts';
import { commandName, type Host } from './host.ts';
import { redactSecrets } from '../core/redact.ts';
import { inspect } from 'node:util';

export interface FormatOptions {
  verbose: boolean;
  host: Host;
}

/** The error as the user sees it: typed errors as they are, environment failures typed, the rest a bug. */
export function knownError(err: unknown): HcpDrError {
  if (isHcpDrError(err)) return err;
  return environmentErrorOf(err) ?? new InternalError(`unexpected error: ${messageOf(err)}`, { cause: err });
}

/**
 * After SIGINT/SIGTERM the failure is the interruption (exit 130), whatever the aborted call threw
 * on its way out, except a rollback that failed: exit 5 says `resume` is needed.
 */
export function interruptedError(err: unknown, reason: unknown): HcpDrError {
  const known = knownError(err);
  if (known.exitCode === ExitCode.partialFailure || known instanceof InterruptedError) return known;
  const by = reason instanceof Error ? reason.message : 'interrupted';
  return new InterruptedError(by, { cause: err });
}

export function exitCodeOf(err: unknown): number {
  return knownError(err).exitCode;
}

export function formatError(err: unknown, options: FormatOptions): string {
  const known = knownError(err);
  const lines = [`error: ${oneLine(known.message)}`];
  if (known.hint) lines.push(`hint: ${known.hint.replaceAll('{cmd}', commandName(options.host))}`);
  if (known instanceof InternalError) {
    lines.push('hint: this is a bug in hcp-dr; please report it with the output of the same command run with -v');
  }
  if (options.verbose) {
    for (let cause: unknown = known; cause !== undefined; cause = (cause as { cause?: unknown }).cause) {
      if (cause instanceof Error && cause.stack) lines.push(cause === known ? cause.stack : `caused by: ${cause.stack}`);
      else if (cause !== known) lines.push(`caused by: ${inspect(cause, { depth: 2, breakLength: Infinity })}`);
      if (!(cause instanceof Error)) break;
    }
  }
  return redactSecrets(lines.join('\n')) + '\n';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Error messages are one line: a multi-line cause (an HTTP body, a stderr dump) is folded. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}
