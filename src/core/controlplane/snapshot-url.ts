/**
 * The rules a restoreSnapshotURL must meet, checked before anything is rendered. The CRD
 * accepts one item of at most 1024 characters matching ^(https|s3)://; etcd-init fetches it
 * with plain `curl` from inside the etcd pod, so only an https URL that needs no credentials
 * (a pre-signed URL) actually restores anything.
 */
import { UsageError } from '../errors.ts';
import { redactUrl } from '../redact.ts';

/** items MaxLength of spec.etcd.managed.storage.restoreSnapshotURL in both CRDs. */
export const MAX_SNAPSHOT_URL_LENGTH = 1024;

/**
 * Default life of a pre-signed snapshot URL: 24 hours. A restore needs the URL until every
 * etcd pod's init container has downloaded the snapshot: minutes when applied at once, but
 * manifests often wait for a GitOps sync or a review, and a PVC may wait for a node. The
 * field is immutable, so an expired URL means deleting and recreating the HostedCluster.
 */
export const DEFAULT_URL_EXPIRY_SECONDS = 24 * 3600;
/** SigV4 pre-signed URLs are valid for at most 7 days. */
export const MAX_URL_EXPIRY_SECONDS = 7 * 24 * 3600;

/** Throws UsageError when the URL cannot restore a cluster; the message shows it redacted. */
export function checkSnapshotUrl(url: string): void {
  const shown = redactUrl(url);
  if (/\s/.test(url))
    throw new UsageError(`invalid snapshot URL "${shown}": it contains white space`, {
      hint: 'quote the URL in the shell: --snapshot-url "https://..."',
    });
  if (/^http:\/\//i.test(url)) {
    throw new UsageError(`invalid snapshot URL "${shown}": http:// is not accepted by the HostedCluster CRD (https or s3 only)`, {
      hint: 'use the https:// pre-signed URL, or --from-backup to have hcp-dr sign one',
    });
  }
  if (/^s3:\/\//i.test(url)) {
    throw new UsageError(`invalid snapshot URL "${shown}": etcd-init downloads it with curl, which cannot fetch s3:// URLs`, {
      hint: 'pass --from-backup s3://... to have hcp-dr pre-sign an https URL for the snapshot',
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`invalid snapshot URL "${shown}": not a URL`, { hint: 'pass an https:// URL' });
  }
  if (parsed.protocol !== 'https:') {
    throw new UsageError(`invalid snapshot URL "${shown}": the scheme must be https`, { hint: 'pass an https:// URL' });
  }
  if (url.length > MAX_SNAPSHOT_URL_LENGTH) {
    throw new UsageError(
      `invalid snapshot URL: it is ${url.length} characters long and the HostedCluster CRD accepts at most ${MAX_SNAPSHOT_URL_LENGTH}`,
      {
        hint: 'sign with long-lived credentials (session tokens make pre-signed URLs much longer) or a shorter expiry, or use a shorter bucket name and prefix',
      },
    );
  }
}

/** Whether the credential environment signs with temporary credentials (URL dies with them). */
export function temporaryCredentialSource(env: Record<string, string | undefined>): string | undefined {
  if (env['AWS_SESSION_TOKEN']) return 'AWS_SESSION_TOKEN is set';
  if (env['AWS_WEB_IDENTITY_TOKEN_FILE'] && env['AWS_ROLE_ARN']) return 'a web identity role (AWS_ROLE_ARN) is configured';
  return undefined;
}
