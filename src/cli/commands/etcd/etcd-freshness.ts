/**
 * The flags of `etcd status` beyond its name and -A: --hashkv, --concurrency, and the bucket to judge
 * backup freshness by (definitions only; used by etcd-run.ts).
 */
import type { Options } from 'yargs';
import { s3ReadOptions, type S3Args } from '../../s3-flags.ts';

/** Each check waits mostly on exec round trips, so -A checks more clusters at once than backup --all backs up. */
export const STATUS_CONCURRENCY = 16;

export const freshnessOptions = {
  hashkv: {
    type: 'boolean',
    describe: 'With -A: also compare the hashkv of every member (one etcdctl per member; without it, -A skips only this check)',
  },
  concurrency: { type: 'string', describe: `With -A: hosted clusters checked at the same time, 1 to 32 (default ${STATUS_CONCURRENCY})` },
  backups: {
    type: 'string',
    describe: 'Also show the newest complete backup in this bucket and its age: s3://<bucket>[/<prefix>] (as backup --to)',
  },
  'max-backup-age': {
    type: 'string',
    describe: 'With --backups: a newest backup older than this (e.g. 6h, 1d), or none, is a warning and exit 7 (exit 4 wins)',
  },
  ...s3ReadOptions,
} satisfies Record<string, Options>;

export interface FreshnessArgs extends S3Args {
  concurrency?: string;
  hashkv?: boolean;
  backups?: string;
  'max-backup-age'?: string;
}
