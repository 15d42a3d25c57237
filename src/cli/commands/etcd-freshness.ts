/** The flags of `etcd status` that look for backups in a bucket (definitions only; used by etcd-run.ts). */
import type { Options } from 'yargs';
import { s3ReadOptions, type S3Args } from '../s3-flags.ts';

export const freshnessOptions = {
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
  backups?: string;
  'max-backup-age'?: string;
}
