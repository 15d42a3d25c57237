/**
 * Why an etcd-init container failed, read from its log. HyperShift's etcd-init downloads the
 * snapshot with plain `curl` (no -f): an S3 error arrives as an XML body, which the script
 * prints before exiting 1; a download cut short or a damaged file makes `etcdutl`/`etcdctl
 * snapshot restore` fail on the file. The log is untrusted text: only recognised codes and
 * short excerpts (redacted) are returned, never the whole log.
 */
import { redactSecrets } from '../redact.ts';

export type InitFailureKind =
  | 'url-expired'
  | 'access-denied'
  | 'signature'
  | 'no-such-key'
  | 's3-error'
  | 'download-failed'
  | 'truncated'
  | 'hash-mismatch'
  | 'not-a-snapshot'
  | 'unknown';

export interface InitDiagnosis {
  kind: InitFailureKind;
  /** One line: what went wrong, in the user's terms. */
  cause: string;
  /** The S3 error code when the log holds an S3 XML error body. */
  s3Code?: string;
  /** A short redacted excerpt of the log line that gave it away. */
  evidence?: string;
}

const xmlTag = (text: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]{0,300})</${tag}>`).exec(text)?.[1]?.trim();

/** Reads one etcd-init log; `undefined` log (no container, no log) gives 'unknown'. */
export function diagnoseInitLog(log: string | undefined): InitDiagnosis {
  const text = log ?? '';
  const s3Code = xmlTag(text, 'Code');
  if (s3Code) {
    const message = xmlTag(text, 'Message') ?? '';
    const evidence = redactSecrets(`${s3Code}: ${message}`).slice(0, 200);
    if (/expired/i.test(message) || s3Code === 'ExpiredToken') {
      return {
        kind: 'url-expired',
        s3Code,
        evidence,
        cause: `the pre-signed snapshot URL expired before the etcd pod downloaded it (S3 ${s3Code}: ${message})`,
      };
    }
    if (s3Code === 'SignatureDoesNotMatch') {
      return {
        kind: 'signature',
        s3Code,
        evidence,
        cause: "S3 refused the pre-signed URL's signature (SignatureDoesNotMatch): the URL was altered or signed with other credentials",
      };
    }
    if (s3Code === 'AccessDenied' || s3Code === 'InvalidAccessKeyId' || s3Code === 'AllAccessDisabled') {
      return {
        kind: 'access-denied',
        s3Code,
        evidence,
        cause: `S3 refused the download (${s3Code}${message ? `: ${message}` : ''}): the signing credentials cannot read the snapshot`,
      };
    }
    if (s3Code === 'NoSuchKey' || s3Code === 'NoSuchBucket') {
      return { kind: 'no-such-key', s3Code, evidence, cause: `the snapshot object is gone from the bucket (S3 ${s3Code})` };
    }
    return { kind: 's3-error', s3Code, evidence, cause: `S3 answered the download with error ${s3Code}${message ? ` (${message})` : ''}` };
  }
  const line = (re: RegExp) => text.split('\n').find((l) => re.test(l));
  const hash = line(/sha256|hash mismatch|integrity check|checksum/i);
  if (hash)
    return {
      kind: 'hash-mismatch',
      evidence: redactSecrets(hash.trim()).slice(0, 200),
      cause: 'the downloaded snapshot failed its SHA-256 integrity check (the file was changed or damaged)',
    };
  const curl = curlFailure(text);
  if (curl) return curl;
  const cut = line(/transfer closed|partial file|curl: \(18\)|curl: \(56\)|unexpected EOF|file too small|truncated/i);
  if (cut)
    return {
      kind: 'truncated',
      evidence: redactSecrets(cut.trim()).slice(0, 200),
      cause: 'the snapshot download was cut short (the file is incomplete)',
    };
  const foreign = line(/invalid database|not a bbolt|file size too small|invalid snapshot|failed to open/i);
  if (foreign)
    return {
      kind: 'not-a-snapshot',
      evidence: redactSecrets(foreign.trim()).slice(0, 200),
      cause: 'the downloaded file is not an etcd snapshot',
    };
  const last = text.trim().split('\n').filter(Boolean).pop();
  return {
    kind: 'unknown',
    cause: 'etcd-init failed for a reason hcp-dr does not recognise',
    ...(last ? { evidence: redactSecrets(last.trim()).slice(0, 200) } : {}),
  };
}

/** curl's exit codes a snapshot download meets, in the user's terms (curl(1) EXIT CODES). */
const CURL_CODES: Record<number, string> = {
  6: "could not resolve the S3 endpoint's host name from the etcd pod",
  7: 'could not connect to the S3 endpoint from the etcd pod (refused or unreachable)',
  28: 'the download from the S3 endpoint timed out',
  35: 'the TLS handshake with the S3 endpoint failed',
  51: "the S3 endpoint's certificate does not match its host name",
  52: 'the S3 endpoint closed the connection without an answer',
  60: "the etcd image's trust store does not trust the S3 endpoint's certificate (an internal CA?)",
  77: "the etcd image's CA trust store could not be read",
};

/** A `curl: (N) ...` line of a failed download, other than a transfer cut short (see 'truncated'). */
function curlFailure(text: string): InitDiagnosis | undefined {
  const m = /curl: \((\d+)\)[^\n]*/.exec(text);
  const code = m ? Number(m[1]) : undefined;
  if (!m || code === undefined || code === 18 || code === 56) return undefined;
  const what = CURL_CODES[code] ?? 'the snapshot download failed';
  return { kind: 'download-failed', evidence: redactSecrets(m[0].trim()).slice(0, 200), cause: `${what} (curl exit ${code})` };
}

/** The next step for a failed restore: the URL is immutable, so the cluster must be recreated. */
export function nextStepFor(d: InitDiagnosis, rerun: string): string {
  switch (d.kind) {
    case 'url-expired':
      return `restoreSnapshotURL is immutable: recreate the cluster with a fresh URL: ${rerun} --replace (and a longer --expires if the pods start slowly)`;
    case 'access-denied':
    case 'signature':
      return `sign with credentials that can read the backup, then recreate the cluster: ${rerun} --replace`;
    case 'no-such-key':
      return 'the backup was deleted or moved: pick another with "{cmd} backup list", then restore it with --replace';
    case 'hash-mismatch':
    case 'not-a-snapshot':
      return 'the stored snapshot is damaged: check it with "{cmd} backup verify <backup-url>", pick an intact backup and restore it with --replace';
    case 'truncated':
      return `the download was interrupted (network or a full volume): ${rerun} --replace`;
    case 'download-failed':
      return `make the S3 endpoint reachable (and trusted) from the etcd pods, then recreate the cluster: ${rerun} --replace`;
    default:
      return `read the log with "kubectl logs -c etcd-init <etcd pod> -n <control-plane namespace>", fix the cause, then ${rerun} --replace`;
  }
}
