/** The handler of `backup prune` (loaded on demand) and its table. */
import type { CliDeps } from '../../deps.ts';
import { boundedDuration, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData, renderTable } from '../../output.ts';
import { humanAge, humanBytes } from '../../format.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { ExitCode } from '../../../core/errors.ts';
import { parseRetentionPolicy } from '../../../core/bundle/retention.ts';
import { pruneBackups, type PruneResult } from '../../../core/backup/prune.ts';
import type { RetentionArgs } from '../../retention-flags.ts';

export interface PruneArgs extends GlobalArgs, S3Args, RetentionArgs {
  'hosted-cluster'?: string;
  from: string;
  'incomplete-grace'?: string;
  'dry-run'?: boolean;
  'bypass-governance'?: boolean;
}

const YEAR_MS = 365 * 86_400_000;

export async function prune(args: PruneArgs, deps: CliDeps): Promise<number> {
  // Everything checkable is checked before the store is opened.
  const format = parseOutputFormat(args.output);
  const target = s3TargetOf(args.from, args, '--from');
  const policy = parseRetentionPolicy(args);
  const graceMs = boundedDuration(
    args['incomplete-grace'] ?? '24h',
    '--incomplete-grace',
    { minMs: 3_600_000, maxMs: YEAR_MS },
    'a prefix without backup.json younger than this may be a backup still running; make it longer than your longest backup run (default 24h)',
  );
  const opened = await deps.openObjectStore(target);
  const result = await pruneBackups(
    {
      source: opened,
      filter: {
        ...(args.namespace ? { namespace: args.namespace } : {}),
        ...(args['hosted-cluster'] ? { name: args['hosted-cluster'] } : {}),
      },
      policy,
      incompleteGraceMs: graceMs,
      dryRun: args['dry-run'] === true,
      ...(args['bypass-governance'] ? { bypassGovernance: true } : {}),
    },
    {
      clock: deps.clock,
      reporter: deps.reporter,
      signal: deps.signal,
      openBucket: async (bucket) => (await deps.openObjectStore({ ...target, url: `s3://${bucket}` })).store,
    },
  );
  if (format === 'table' && result.items.length === 0 && result.staged.length === 0 && !result.incompleteUploads?.aborted.count) {
    deps.reporter.info(`no backups found under ${result.source}`);
    return ExitCode.ok;
  }
  if (result.items.length > 0 || result.staged.length > 0 || format !== 'table')
    await printData(deps.stdout, format, result, () => renderPrune(result));
  deps.reporter.info(summaryLine(result));
  return ExitCode.ok;
}

export function renderPrune(result: PruneResult): string {
  const backups = result.items.length > 0 ? renderBackups(result) : '';
  if (result.staged.length === 0) return backups;
  // Staged copies apart: each is a plaintext snapshot, not a backup (bundle/staged-copies.ts).
  const staged = renderTable(
    ['ACTION', 'STAGED PLAINTEXT COPY', 'SIZE', 'WHY'],
    result.staged.map((c) => [c.action, c.url, humanBytes(c.size), c.reason]),
  );
  return backups ? `${backups}\n${staged}` : staged;
}

function renderBackups(result: PruneResult): string {
  return renderTable(
    ['ACTION', 'CLUSTER', 'BACKUP', 'CREATED', 'AGE', 'SIZE', 'WHY'],
    result.items.map((i) => [
      i.action,
      `${i.namespace}/${i.name}`,
      i.id,
      i.createdAt.replace(/\.\d{3}Z$/, 'Z'),
      humanAge(i.ageSeconds),
      humanBytes(i.bytes),
      i.state === 'complete' && i.action === 'keep' && !i.retainedUntil ? `kept by: ${i.reasons.join(', ')}` : i.reasons.join(', '),
    ]),
  );
}

function summaryLine(r: PruneResult): string {
  const s = r.summary;
  const what = [`${s.deleted} backup${s.deleted === 1 ? '' : 's'}`];
  if (s.incompleteDeleted) what.push(`${s.incompleteDeleted} incomplete prefix${s.incompleteDeleted === 1 ? '' : 'es'}`);
  const which = r.staged.some((c) => c.hidden && c.action === 'delete') ? 'expired or hidden' : 'expired';
  if (s.stagedDeleted) what.push(`${s.stagedDeleted} ${which} staged plaintext cop${s.stagedDeleted === 1 ? 'y' : 'ies'}`);
  const up = r.incompleteUploads;
  if (up?.aborted.count) {
    const bytes = up.aborted.bytes === null ? '' : `, ${humanBytes(up.aborted.bytes)}`;
    what.push(
      `${up.aborted.count} incomplete multipart upload${up.aborted.count === 1 ? '' : 's'}${bytes}${up.kept ? ` (${up.kept} younger kept)` : ''}`,
    );
  }
  const amount = `${what.join(' and ')} (${s.objectsDeleted} objects, ${humanBytes(s.bytesDeleted)})`;
  return r.dryRun
    ? `dry run: would delete ${amount}, keep ${s.kept}; nothing was deleted (policy: ${r.policy})`
    : `deleted ${amount}, kept ${s.kept} (policy: ${r.policy})`;
}
