/**
 * How a `backup --all` run ends: each failed cluster's error as its item records it, and the
 * run's own error (and so its exit code) from the items.
 */
import { environmentErrorOf } from '../environment-errors.ts';
import { ExitCode, HcpDrError, InterruptedError, PartialFailureError, causeText, isHcpDrError, type ErrorDetails } from '../errors.ts';
import { redactSecrets } from '../redact.ts';
import type { FleetBackupItem, FleetBackupResult, FleetItemError } from './fleet.ts';

/** Some clusters of a fleet run failed; the others succeeded. Exit 6. */
export class FleetPartialFailureError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails) {
    super('HCPDR_FLEET_SOME_FAILED', ExitCode.someFailed, message, details);
  }
}

/**
 * The run's error, if it has one: interrupted (130) when a signal stopped it, unless a rollback
 * failed; a failed cluster that needs `resume` (5) before the others; some failed (6). Each
 * failed cluster is named with its cause, and its hint joins the hint.
 */
export function fleetOutcome(result: FleetBackupResult, interrupted: boolean): HcpDrError | undefined {
  const failed = result.items.filter((i) => i.state === 'Failed');
  const needResume = failed.filter((i) => i.error?.exitCode === ExitCode.partialFailure);
  const named = (list: FleetBackupItem[]) => list.map((i) => `${i.namespace}/${i.name} (${i.error?.message ?? 'failed'})`).join('; ');
  const hints = (list: FleetBackupItem[]) =>
    list
      .filter((i) => i.error?.hint)
      .map((i) => `${i.namespace}/${i.name}: ${i.error?.hint}`)
      .join('; ');
  if (needResume.length > 0) {
    return new PartialFailureError(
      `failed to back up ${failed.length} of ${result.summary.total} hosted clusters, and ${needResume.length} need resume: ${named(needResume)}`,
      { hint: hints(needResume) },
    );
  }
  if (interrupted) {
    return new InterruptedError(
      `fleet backup interrupted: ${result.summary.succeeded} backed up, ${result.summary.interrupted} rolled back, ${result.summary.notStarted} not started`,
    );
  }
  if (failed.length > 0) {
    const hint = hints(failed);
    return new FleetPartialFailureError(
      `failed to back up ${failed.length} of ${result.summary.total} hosted clusters (${result.summary.succeeded} backed up): ${named(failed)}`,
      hint ? { hint } : {},
    );
  }
  return undefined;
}

/** A cluster's failure as the result records it: code, exit code, one-line message and hint, secrets redacted. */
export function itemError(err: unknown): FleetItemError {
  const known = isHcpDrError(err) ? err : environmentErrorOf(err);
  if (!known) return { code: 'HCPDR_INTERNAL', exitCode: ExitCode.error, message: redactSecrets(causeText(err)), hint: null };
  return {
    code: known.code,
    exitCode: known.exitCode,
    message: redactSecrets(known.message.replace(/\s*\n\s*/g, '; ')),
    hint: known.hint ? redactSecrets(known.hint) : null,
  };
}
