/**
 * `restore <backup-url>`: bring a hosted cluster back from an hcp-dr backup, on this or another
 * management cluster (--kubeconfig/--context). Definition only: the handler (restore-run.ts)
 * is imported when the command runs.
 */
import type { Options } from 'yargs';
import type { CommandRegistrar } from '../../index.ts';
import { s3ReadOptions } from '../../s3-flags.ts';
import { decryptOption } from '../../codec-flags.ts';

/** How the restore runs: replacing what is there, the snapshot URL, checks, waits and confirmation. */
const restoreOptions = {
  replace: {
    type: 'boolean',
    describe:
      'Delete the existing HostedCluster, its NodePools and its control plane (and leftover etcd PVCs) first; downtime, asks for confirmation',
  },
  'cleanup-cloud-resources': {
    type: 'boolean',
    describe:
      'With --replace: allow deleting a HostedCluster annotated hypershift.openshift.io/cleanup-cloud-resources "true" (its volumes, load balancers and registry storage go with it); without it the annotation is set to "false" first',
  },
  expires: {
    type: 'string',
    default: '1h',
    describe: 'Life of the pre-signed snapshot URL the etcd pods download (at most 7d)',
  },
  'dry-run': {
    type: 'boolean',
    describe: 'Verify the backup and run every check; print what would be created; change nothing',
  },
  'wait-timeout': {
    type: 'string',
    default: '15m',
    describe: 'How long to wait for the control plane, the etcd restore and (with --replace) the deletion',
  },
  'verify-snapshot': {
    type: 'boolean',
    describe:
      'Download the snapshot and check every byte before the first change (SHA-256, trailer, bbolt), even when its ETag shows it is the one the backup wrote and checked',
  },
  repair: {
    type: 'boolean',
    default: true,
    describe:
      'When the restored etcd members are in different clusters (released etcd-init, OCPBUGS-99534), restore the same backup into every member volume in place and verify again; --no-repair stops at SplitBrain (exit 4)',
  },
  'dns-server': {
    type: 'string',
    describe:
      "On another management cluster than the backup's: DNS server (IP[:port]) asked whether the source still serves the API hostname (default: the system resolver)",
  },
  force: {
    type: 'boolean',
    describe:
      'Restore although the API hostname still answers on another management cluster (the source may still serve), or a snapshot of a newer etcd minor than the release runs',
  },
  yes: { alias: 'y', type: 'boolean', describe: 'Confirm --replace without a prompt' },
} as const satisfies Record<string, Options>;

const examples: [string, string][] = [
  ['$0 restore s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/', 'Restore clusters/demo where it was'],
  ['$0 restore s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/ --context mgmt2', 'Restore it on another management cluster'],
  ['$0 restore s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/ --dry-run -o yaml', 'Show the checks and the objects only'],
  [
    '$0 restore s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/ --decrypt-with ~/dr/age-key.txt',
    'Restore an encrypted backup (its snapshot is staged decoded for etcd-init, then deleted)',
  ],
  [
    '$0 restore s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/ --replace --yes',
    'Replace the existing cluster (e.g. after an expired URL)',
  ],
];

export const restoreCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'restore <backup-url>',
    'Restore a hosted cluster from a backup (same or another management cluster) and verify it by its data',
    (c) =>
      c
        .positional('backup-url', {
          type: 'string',
          describe: 'One backup: s3://<bucket>/<prefix>/<namespace>/<name>/<id>/, as "backup list" prints it',
          demandOption: true,
        })
        .options(s3ReadOptions)
        .options(decryptOption)
        .options(restoreOptions)
        .example(examples),
    async (args) => {
      const { restore } = await import('./restore-run.ts');
      done(await restore(args, deps));
    },
  );
