/**
 * The object-store half of a backup's preflight: what can fail at upload is checked before the
 * first change to the cluster (and by --dry-run), so a bad destination costs no downtime.
 *  - every destination (--to and --keys-to) is reachable with the credentials and exists;
 *  - every key the backup will write fits S3's limit of 1024 bytes (UTF-8);
 *  - with --lock-days, every destination has S3 Object Lock enabled (GetObjectLockConfiguration).
 * Reads only: a listing of the backup's own (still empty) prefix. Nothing is written.
 */
import { PreconditionError, UsageError } from '../errors.ts';
import { BackupFiles, backupKey, backupPrefix, keysPrefix, newBackupId } from '../bundle/layout.ts';
import type { Capture } from './capture.ts';
import type { BackupRequest, Destination } from './request.ts';

/** S3's (and Ceph RGW's) maximum object key length, in bytes of UTF-8. */
export const MAX_S3_KEY_BYTES = 1024;

/** Every id newBackupId makes has this length (`<UTC time>-<6 hex>`); this one is of 1970, used by no backup. */
const ID_PLACEHOLDER = newBackupId(new Date(0), () => 0);

type Target = Pick<BackupRequest, 'namespace' | 'name' | 'destination' | 'keysDestination'>;
type Carried = Pick<Capture, 'nodePools' | 'secrets' | 'configMaps'>;

export interface PlannedKey {
  destination: Destination;
  key: string;
}

/**
 * Every object key the backup will write, with the destination that receives it. Secrets are
 * counted in their longer, namespace-qualified form: the bound holds whichever form is used.
 */
export function plannedKeys(req: Target, capture: Carried, id = ID_PLACEHOLDER): PlannedKey[] {
  const main = backupPrefix(req.destination.prefix, req.namespace, req.name, id);
  const keys = req.keysDestination ?? req.destination;
  const secretsPrefix = req.keysDestination ? keysPrefix(req.keysDestination.prefix, req.namespace, req.name, id) : main;
  const inMain = (rel: string): PlannedKey => ({ destination: req.destination, key: backupKey(main, rel) });
  return [
    ...[BackupFiles.snapshot, BackupFiles.manifest, BackupFiles.hostedCluster].map(inMain),
    ...capture.nodePools.map((np) => inMain(BackupFiles.nodePool(np.metadata.name ?? ''))),
    ...capture.configMaps.map((cm) => inMain(BackupFiles.configMap(cm.metadata.name ?? ''))),
    ...capture.secrets.map((s) => ({
      destination: keys,
      key: backupKey(secretsPrefix, BackupFiles.namespacedSecret(s.object.metadata.namespace ?? '', s.object.metadata.name ?? '')),
    })),
  ];
}

/** Refuses (UsageError, exit 2) a destination whose prefix makes some key longer than S3 allows. */
export function checkKeyLengths(planned: readonly PlannedKey[]): void {
  let longest: PlannedKey | undefined;
  let longestBytes = 0;
  for (const p of planned) {
    const bytes = Buffer.byteLength(p.key, 'utf8');
    if (bytes > longestBytes) [longest, longestBytes] = [p, bytes];
  }
  if (longest && longestBytes > MAX_S3_KEY_BYTES) {
    const flag = longest.destination === planned[0]?.destination ? '--to' : '--keys-to';
    throw new UsageError(
      `failed to plan the backup: the key ${elide(longest.destination.store.url(longest.key))} would be ${longestBytes} bytes, S3 allows at most ${MAX_S3_KEY_BYTES}`,
      { hint: `shorten the prefix of ${flag} by at least ${longestBytes - MAX_S3_KEY_BYTES} bytes` },
    );
  }
}

/** A long URL shortened in the middle, for a one-line message. */
function elide(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max / 2 - 1)}…${text.slice(-(max / 2))}`;
}

/**
 * Lists, in each destination, a backup prefix no backup uses (its id is of 1970), so the answer
 * is empty and quick: a missing bucket, wrong credentials or an unreachable endpoint fail here
 * (with the store's own typed error), before any downtime.
 */
export async function checkDestinations(req: Target & Pick<BackupRequest, 'lock'>): Promise<void> {
  const destinations = [req.destination, ...(req.keysDestination ? [req.keysDestination] : [])];
  for (const dest of destinations) {
    await dest.store.list(`${backupPrefix(dest.prefix, req.namespace, req.name, ID_PLACEHOLDER)}/`);
    if (req.lock) await checkObjectLock(dest, dest === req.destination ? '--to' : '--keys-to');
  }
}

/**
 * With --lock-days every object is written with a retention, which a bucket without Object Lock
 * refuses (InvalidRequest) only once the snapshot is taken: refused here instead, before any change.
 */
async function checkObjectLock(dest: Destination, flag: string): Promise<void> {
  const enabled = dest.store.objectLockEnabled ? await dest.store.objectLockEnabled() : false;
  if (enabled) return;
  throw new PreconditionError(
    `refused to back up with --lock-days: s3://${dest.store.bucket} (${flag}) does not have S3 Object Lock enabled`,
    {
      hint: 'Object Lock can only be enabled when a bucket is created: use a bucket created with it (aws s3api create-bucket --object-lock-enabled-for-bucket), or run without --lock-days',
    },
  );
}
