/**
 * Turns any thrown value into the two documented lines ("error: ...", "hint: ...") and
 * an exit code from the published table. Stack traces and cause chains only with -v.
 */
import { ExitCode, InternalError, isHcpDrError } from '../core/errors.ts';
import { commandName, type Host } from './host.ts';
import { redactSecrets } from '../core/redact.ts';

export interface FormatOptions {
  verbose: boolean;
  host: Host;
}

export function exitCodeOf(err: unknown): number {
  return isHcpDrError(err) ? err.exitCode : ExitCode.error;
}

export function formatError(err: unknown, options: FormatOptions): string {
  const known = isHcpDrError(err) ? err : new InternalError(`unexpected error: ${messageOf(err)}`, { cause: err });
  const lines = [`error: ${oneLine(known.message)}`];
  if (known.hint) lines.push(`hint: ${known.hint.replaceAll('{cmd}', commandName(options.host))}`);
  if (known instanceof InternalError) {
    lines.push('hint: this is a bug in hcp-dr; please report it with the output of the same command run with -v');
  }
  if (options.verbose) {
    for (let cause: unknown = known; cause !== undefined; cause = (cause as { cause?: unknown }).cause) {
      if (cause instanceof Error && cause.stack) lines.push(cause === known ? cause.stack : `caused by: ${cause.stack}`);
      else if (cause !== known) lines.push(`caused by: ${String(cause)}`);
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
