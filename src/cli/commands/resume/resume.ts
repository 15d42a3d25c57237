/**
 * `resume <hosted-cluster>`: finishes or undoes whatever interrupted hcp-dr run the operation
 * record on the HostedCluster names. Definitions only: the handler (resume-run.ts) is imported when it runs.
 */
import type { CommandRegistrar } from '../../index.ts';
import { s3ReadOptions } from '../../s3-flags.ts';
import { decryptOption } from '../../codec-flags.ts';

/** What resume does for each workflow that leaves an operation record (handlers.ts), from that record alone. */
const RESUME_EPILOGUE = [
  'What resume does, by the interrupted run its operation record on the HostedCluster names:',
  '  backup: undoes it (API servers and spec.pausedUntil back, the snapshot file removed from the pod)',
  '  restore: finishes it (waits for etcd-init, verifies the data, removes the record)',
  '  etcd restore: rolls it back before etcd started on the new data, finishes and verifies it after',
  "  recover-member: continues or undoes it before the member's storage is replaced, finishes it after",
  '  move (from either management cluster, --context): undoes it before the DNS hand-off, else finishes it',
  'Safe to repeat. A completed backup is never deleted.',
].join('\n');

export const resumeCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'resume <hosted-cluster>',
    'Finish or undo what an interrupted hcp-dr run left on a hosted cluster (backup, restore, etcd restore, recover-member, move); safe to repeat',
    (c) =>
      c
        .positional('hosted-cluster', { type: 'string', demandOption: true })
        .options(s3ReadOptions)
        .options(decryptOption)
        .example('$0 resume demo -n clusters', 'Bring clusters/demo back to its state before an interrupted backup')
        .example(
          '$0 resume demo -n clusters --context mgmt1',
          'Finish (after the DNS hand-off) or undo (before it) an interrupted move, from either management cluster',
        )
        .example(
          '$0 resume demo -n clusters --context mgmt1 --endpoint https://s3.example.com --ca-bundle ca.pem',
          'The same, reaching the store through another endpoint than the record names (S3 flags override the record)',
        )
        .epilogue(RESUME_EPILOGUE),
    async (args) => {
      const { resume } = await import('./resume-run.ts');
      done(await resume(args, deps));
    },
  );
