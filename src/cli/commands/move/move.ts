/**
 * `move <hosted-cluster>`: migrate a hosted cluster to another management cluster through a backup,
 * resumable at every phase. Definition only: the handler (move-run.ts) is imported when it runs.
 */
import type { CommandRegistrar } from '../../index.ts';
import { s3ReadOptions } from '../../s3-flags.ts';
import { decryptOption, encodeOptions } from '../../codec-flags.ts';

export const moveCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'move <hosted-cluster>',
    'Move a hosted cluster to another management cluster: freeze, back up, hand DNS over, restore, verify, tear the source down',
    (c) =>
      c
        .positional('hosted-cluster', {
          type: 'string',
          describe: 'Name of the HostedCluster (on --context, the source)',
          demandOption: true,
        })
        .option('to-context', { type: 'string', describe: 'The destination management cluster: a kubeconfig context', demandOption: true })
        .option('to-kubeconfig', { type: 'string', describe: "Kubeconfig file of --to-context (default: the source's)" })
        .option('via', { type: 'string', describe: "Where the move's backup goes: s3://<bucket>[/<prefix>]", demandOption: true })
        .options(s3ReadOptions)
        .options(encodeOptions)
        .options(decryptOption)
        .option('dns-server', {
          type: 'string',
          describe: 'DNS server (IP[:port]) asked whether the API hostname left the source (default: the system resolver)',
        })
        .option('dns-timeout', {
          type: 'string',
          default: '10m',
          describe: "How long the source's external DNS may take to release the API hostname",
        })
        .option('wait-timeout', { type: 'string', default: '15m', describe: 'How long to wait for scaling, the restore and the teardown' })
        .option('pause-ttl', {
          type: 'string',
          default: '30m',
          describe: 'Pause deadline before the DNS hand-off (renewed while running; 1m to 24h)',
        })
        .option('keep-source', {
          type: 'boolean',
          describe: 'Leave the source paused for good (API servers at 0) instead of tearing it down',
        })
        .option('with-nodes', {
          type: 'boolean',
          describe: 'Same as --nodes adopt',
        })
        .option('nodes', {
          type: 'string',
          choices: ['auto', 'adopt', 'keep'],
          default: 'auto',
          describe:
            "The hosted cluster's nodes: adopt (the CAPI and AWS machine objects go to the destination before the NodePools, which adopt the running instances), keep (no NodePool is re-created; the nodes stay in service), auto (adopt where the platform allows it, else keep). Every mode ends waiting until Ready nodes equal the NodePool replicas",
        })
        .option('repair', {
          type: 'boolean',
          default: true,
          describe:
            'When the restored etcd members on the destination are in different clusters (released etcd-init, OCPBUGS-99534), restore the same backup into every member volume in place and verify again before the destination counts as verified; --no-repair stops at SplitBrain (exit 4), the source paused for good, and resume repairs and finishes',
        })
        .option('force', { type: 'boolean', describe: "Move even when the source's etcd is not Healthy (the verdict is shown)" })
        .option('dry-run', { type: 'boolean', describe: 'Run every check on both sides and print every phase; change nothing' })
        .option('yes', { alias: 'y', type: 'boolean', describe: 'Confirm the downtime without a prompt' })
        .example(
          '$0 move demo -n clusters --context mgmt1 --to-context mgmt2 --via s3://hcp-backups/moves --dry-run',
          'Check both sides and show the phases',
        )
        .example(
          '$0 move demo -n clusters --context mgmt1 --to-context mgmt2 --via s3://hcp-backups/moves --yes',
          'Move clusters/demo from mgmt1 to mgmt2',
        )
        .example(
          '$0 resume demo -n clusters --context mgmt2',
          'Finish (or, before the DNS hand-off, undo) an interrupted move from either side',
        ),
    async (args) => {
      const { move } = await import('./move-run.ts');
      done(await move(args, deps));
    },
  );
