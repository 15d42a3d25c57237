/**
 * The error vocabulary of hcp-dr. Every failure that reaches the user is an HcpDrError:
 * a stable code for automation, an exit code from the published table, a message of the
 * form "failed to <verb> <object>: <cause>", and an optional hint naming the next command.
 * Only src/main.ts turns these into text and an exit status.
 */

/** The published exit codes (README, `--help`). Each value has one meaning. */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  precondition: 3,
  etcdUnhealthy: 4,
  partialFailure: 5,
  /** `backup --all`: some clusters of the fleet run failed (each named), the others were backed up. */
  someFailed: 6,
  /** `etcd status --max-backup-age`: etcd is Healthy but the newest backup is older than allowed, or missing. */
  backupStale: 7,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  hint?: string;
  cause?: unknown;
}

export class HcpDrError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(code: string, exitCode: ExitCodeValue, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = details.hint;
  }
}

/** Bad flags, arguments, input files or paths, kubeconfig or context: nothing was touched. Exit 2. */
export class UsageError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails, code = 'HCPDR_USAGE') {
    super(code, ExitCode.usage, message, details);
  }
}

/** The world is not in the state the command needs (missing cluster, lock held, ...). Exit 3. */
export class PreconditionError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails, code = 'HCPDR_PRECONDITION') {
    super(code, ExitCode.precondition, message, details);
  }
}

export class NotFoundError extends PreconditionError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, details, 'HCPDR_NOT_FOUND');
  }
}

export class OperationInProgressError extends PreconditionError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, details, 'HCPDR_OPERATION_IN_PROGRESS');
  }
}

/** The API server refused the credentials or the verb. Exit 1. */
export class ForbiddenError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails) {
    super('HCPDR_FORBIDDEN', ExitCode.error, message, details);
  }
}

/** Optimistic concurrency lost (HTTP 409). Callers usually retry. Exit 1. */
export class ConflictError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails) {
    super('HCPDR_CONFLICT', ExitCode.error, message, details);
  }
}

/** A remote call failed for a reason that is not the user's input (network, 5xx, S3). Exit 1. */
export class RemoteError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails, code = 'HCPDR_REMOTE') {
    super(code, ExitCode.error, message, details);
  }
}

/** etcd of the hosted cluster is not Healthy. Exit 4. */
export class EtcdUnhealthyError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails) {
    super('HCPDR_ETCD_UNHEALTHY', ExitCode.etcdUnhealthy, message, details);
  }
}

/** A change was started and could not be fully undone: the cluster needs `resume`. Exit 5. */
export class PartialFailureError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails) {
    super('HCPDR_PARTIAL_FAILURE', ExitCode.partialFailure, message, details);
  }
}

/**
 * Something on this machine or on its way to a server is missing, failing or untrusted: a
 * credential plugin, the file system (space, file limits), DNS, a certificate. Not a bug in
 * hcp-dr: the hint says what to fix. Exit 1.
 */
export class EnvironmentError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails, code = 'HCPDR_ENVIRONMENT') {
    super(code, ExitCode.error, message, details);
  }
}

/** SIGINT/SIGTERM: rollback already ran. Exit 130. */
export class InterruptedError extends HcpDrError {
  constructor(message = 'interrupted', details?: ErrorDetails) {
    super('HCPDR_INTERRUPTED', ExitCode.interrupted, message, details);
  }
}

/** A bug in hcp-dr. Exit 1, with a request to report it. */
export class InternalError extends HcpDrError {
  constructor(message: string, details?: ErrorDetails) {
    super('HCPDR_INTERNAL', ExitCode.error, message, details);
  }
}

export function isHcpDrError(err: unknown): err is HcpDrError {
  return err instanceof HcpDrError;
}

/** The innermost useful message of an unknown thrown value, for "<verb>: <cause>" messages. */
export function causeText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
