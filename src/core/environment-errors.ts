/**
 * Failures of the environment, typed with a cause and a hint: Node's system errors (errno codes
 * from the file system, DNS, TLS trust, a missing program) turned into hcp-dr errors. Callers
 * that know which flag named a path pass it; src/cli/exit.ts applies `environmentErrorOf` to
 * anything that reaches it untyped, so a bare `ENOENT` is never called a bug in hcp-dr.
 */
import { isAbsolute, resolve } from 'node:path';
import { EnvironmentError, HcpDrError, RemoteError, UsageError } from './errors.ts';

interface SystemErrorShape {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  dest?: unknown;
  hostname?: unknown;
  spawnargs?: unknown;
  message?: unknown;
}

const shapeOf = (err: unknown): SystemErrorShape => (typeof err === 'object' && err !== null ? err : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Path errors the user fixes by naming another path or fixing its permissions: exit 2. */
const PATH_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory, not a file',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENOTEMPTY: 'the directory is not empty',
};

/** File-system failures that are not about the path itself: exit 1. */
const SYSTEM_ERRORS: Record<string, { text: string; hint: (path: string) => string }> = {
  ENOSPC: { text: 'no space left on the device', hint: (p) => `free space on the file system that holds ${p}` },
  EDQUOT: { text: 'disk quota exceeded', hint: (p) => `free space within your quota on the file system that holds ${p}` },
  EMFILE: { text: 'too many open files', hint: () => 'raise the open-file limit (ulimit -n) and run the command again' },
  ENFILE: {
    text: 'too many open files in the system',
    hint: () => 'close other programs or raise the system open-file limit, then run the command again',
  },
  EIO: { text: 'input/output error', hint: (p) => `check the disk or file system that holds ${p}` },
};

/** TLS verification failures (Node's `code`, or OpenSSL's text in the message). */
export const TLS_TRUST =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_(HAS_EXPIRED|NOT_YET_VALID|SIGNATURE_FAILURE|UNTRUSTED|REJECTED)|ERR_TLS_CERT_ALTNAME_INVALID|UNABLE_TO_DECRYPT_CERT_SIGNATURE|ERR_SSL_.*)$/;
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  stat: 'read',
  lstat: 'read',
  scandir: 'read the directory',
  opendir: 'read the directory',
  mkdir: 'create the directory',
  mkdtemp: 'create a temporary directory',
  rename: 'move',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  copyfile: 'copy',
  access: 'access',
  chmod: 'set the permissions of',
  symlink: 'link',
  fsync: 'write',
  realpath: 'resolve',
};
const WRITES = new Set(['write', 'mkdir', 'mkdtemp', 'rename', 'unlink', 'rmdir', 'rm', 'copyfile', 'chmod', 'symlink', 'fsync']);

export interface PathContext {
  /** The path, for errors that do not carry it (reading a directory fails in read(2), after open). */
  path?: string;
  /** What named the path: a flag ("--ca-bundle", also used in the hint) or words ("the kubeconfig"). */
  flag?: string;
  /** What the path is for, when the syscall does not say it ("read", "write"). */
  access?: 'read' | 'write';
}

/**
 * A file-system error on a path as an hcp-dr error: the path, what went wrong in words, and what
 * to do. Undefined when `err` is not a file-system error.
 */
export function fileSystemError(err: unknown, context: PathContext = {}): HcpDrError | undefined {
  const e = shapeOf(err);
  const code = str(e.code);
  const path = str(e.path) ?? context.path;
  if (!code || str(e.syscall)?.startsWith('spawn')) return undefined;
  if (!path) {
    // readFile of a directory fails in read(2), after open: the error names no path.
    const text = str(e.syscall) ? PATH_ERRORS[code] : undefined;
    return text
      ? new UsageError(
          `failed to ${str(e.syscall) === 'read' ? 'read a file' : 'use a path'}: ${text} (${code})`,
          { cause: err, hint: 'check the file and directory paths given to the command' },
          'HCPDR_FILE',
        )
      : undefined;
  }
  const syscall = str(e.syscall) ?? '';
  const writing = context.access === 'write' || WRITES.has(syscall);
  // A relative path is shown with where it resolved to: the working directory may be the problem.
  const shownPath = isAbsolute(path) ? path : `${path} (${resolve(path)})`;
  const target = str(e.dest) && syscall === 'rename' ? `${shownPath} to ${str(e.dest)}` : shownPath;
  const subject = context.flag ? `${context.flag} ${target}` : target;
  const verb = VERBS[syscall] ?? (writing ? 'write' : 'read');
  const system = SYSTEM_ERRORS[code];
  if (system)
    return new EnvironmentError(
      `failed to ${verb} ${subject}: ${system.text} (${code})`,
      { cause: err, hint: system.hint(path) },
      'HCPDR_FILESYSTEM',
    );
  const text = PATH_ERRORS[code];
  if (!text) return undefined;
  const flag = context.flag?.startsWith('-') ? context.flag : undefined;
  return new UsageError(
    `failed to ${verb} ${subject}: ${text} (${code})`,
    { cause: err, hint: pathHint(code, resolve(path), writing, flag) },
    'HCPDR_FILE',
  );
}

function pathHint(code: string, path: string, writing: boolean, flag: string | undefined): string {
  const other = flag ? `pass another path to ${flag}` : 'use another path';
  switch (code) {
    case 'ENOENT':
      return writing
        ? `create the directory that should hold ${path}, or ${other}`
        : `check the path${flag ? ` given to ${flag}` : ''}: nothing exists at ${path}`;
    case 'ENOTDIR':
      return `a part of ${path} is a file where a directory is expected: check the path`;
    case 'EISDIR':
      return `${path} is a directory: ${flag ? `pass a file to ${flag}` : 'name a file instead'}`;
    case 'EACCES':
    case 'EPERM':
      return writing
        ? `this user may not write there: check the permissions of ${path} and its directory (ls -ld), or ${other}`
        : `this user may not read ${path}: check its permissions (ls -l), or ${other}`;
    case 'EROFS':
      return `${path} is on a read-only file system: ${other} on a writable one`;
    case 'EEXIST':
    case 'ENOTEMPTY':
      return `something is already at ${path}: move it away, or ${other}`;
    default:
      return `check ${path}, or ${other}`;
  }
}

/** Any untyped error of the environment as an hcp-dr error; undefined when `err` is not one (a bug). */
export function environmentErrorOf(err: unknown): HcpDrError | undefined {
  if (err instanceof HcpDrError) return err;
  const e = shapeOf(err);
  const code = str(e.code) ?? '';
  const syscall = str(e.syscall) ?? '';
  const message = str(e.message) ?? String(err);
  if (syscall.startsWith('spawn')) return programError(err);
  const fs = fileSystemError(err);
  if (fs) return fs;
  if (DNS.has(code)) {
    const host = str(e.hostname) ?? 'the server';
    return new EnvironmentError(
      `failed to resolve the host name ${host}: ${code}`,
      { cause: err, hint: `check the server name (kubeconfig server or --endpoint) and this machine's DNS` },
      'HCPDR_DNS',
    );
  }
  if (TLS_TRUST.test(code)) return tlsTrustError(`failed to open a TLS connection: ${message}`, err, 'the server');
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') {
    return new RemoteError(`failed to connect: ${message}`, {
      cause: err,
      hint: 'check that the server is reachable from this machine and run the command again',
    });
  }
  return undefined;
}

/** A program hcp-dr runs (a credential plugin) that is missing or cannot be started. */
export function programError(err: unknown, what = 'run'): HcpDrError {
  const e = shapeOf(err);
  const code = str(e.code) ?? 'error';
  const program = str(e.path) ?? str(e.syscall)?.replace(/^spawn(Sync)?\s*/, '') ?? 'the program';
  if (code === 'ENOENT') {
    return new EnvironmentError(
      `failed to ${what} "${program}": not found on PATH`,
      { cause: err, hint: `install ${program}, or put its directory on PATH` },
      'HCPDR_PROGRAM_MISSING',
    );
  }
  if (code === 'EACCES') {
    return new EnvironmentError(
      `failed to ${what} "${program}": permission denied`,
      { cause: err, hint: `make ${program} executable (chmod +x) for this user` },
      'HCPDR_PROGRAM_MISSING',
    );
  }
  return new EnvironmentError(`failed to ${what} "${program}": ${str(e.message) ?? code}`, {
    cause: err,
    hint: `run ${program} by hand to see why it fails`,
  });
}

/** A certificate the client does not trust: a trust problem to fix, not a network one to retry. */
export function tlsTrustError(message: string, cause: unknown, server: string, hint?: string): HcpDrError {
  return new EnvironmentError(
    message,
    {
      cause,
      hint:
        hint ??
        `the certificate of ${server} is not signed by a CA this command trusts: fix the CA (kubeconfig certificate-authority, or --ca-bundle for an S3 endpoint)`,
    },
    'HCPDR_TLS_TRUST',
  );
}

/** Whether `err` (or one of its causes) is a TLS trust failure. */
export function isTlsTrustFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = str(shapeOf(e).code) ?? '';
    if (
      TLS_TRUST.test(code) ||
      /self[- ]signed certificate|unable to (verify|get local issuer)|certificate has expired/i.test(str(shapeOf(e).message) ?? '')
    )
      return true;
  }
  return false;
}
