/** The handlers of `backup list` and `backup verify` (loaded on demand), and their tables. */
import type { CliDeps } from '../../deps.ts';
import type { GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData, renderTable } from '../../output.ts';
import { createProgress } from '../../progress.ts';
import { dash, humanAge, humanBytes } from '../../format.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { stat } from 'node:fs/promises';
import { ExitCode, NotFoundError, UsageError } from '../../../core/errors.ts';
import { fileProblem } from '../../paths.ts';
import { listBackups, type BackupList } from '../../../core/bundle/list.ts';
import { drillText, readDrillSummary, type DrillSummary } from '../../../core/bundle/drill-record.ts';
import type { IncompleteUploads } from '../../../core/bundle/uploads.ts';
import { keyringOf } from '../../codec-flags.ts';
import { verifyLocalSnapshot, verifyStoredBackup, type BackupVerification } from '../../../core/bundle/verify.ts';

export interface ListArgs extends GlobalArgs, S3Args {
  'hosted-cluster'?: string;
  from: string;
}

export interface VerifyArgs extends GlobalArgs, S3Args {
  backup: string;
  'decrypt-with'?: string;
}

export async function list(args: ListArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const target = s3TargetOf(args.from, args, '--from');
  const opened = await deps.openObjectStore(target);
  const result = await listBackups(
    opened,
    {
      ...(args.namespace ? { namespace: args.namespace } : {}),
      ...(args['hosted-cluster'] ? { name: args['hosted-cluster'] } : {}),
    },
    { clock: deps.clock, reporter: deps.reporter, signal: deps.signal, withIncompleteUploads: true, withHiddenStaged: true },
  );
  if (format === 'table' && result.items.length === 0) deps.reporter.info(`no backups found under ${result.source}`);
  else await printData(deps.stdout, format, result, () => renderList(result));
  if (format === 'table' && result.incompleteUploads?.count) deps.reporter.warn(uploadsLine(result.incompleteUploads, result.source));
  if (format === 'table') for (const line of stagedLines(result)) deps.reporter.warn(line);
  return ExitCode.ok;
}

/** One line per staged plaintext copy: where, and from when `backup prune` deletes it. */
function stagedLines(result: BackupList): string[] {
  return result.items.flatMap((i) =>
    (i.stagedCopies ?? []).map((c) =>
      c.hidden
        ? `a staged plaintext copy of the snapshot of ${i.url} is hidden behind a delete marker, its data in noncurrent versions of ${c.url} (${humanBytes(c.size)}; "backup prune" deletes every version)`
        : `a staged plaintext copy of the snapshot of ${i.url} is in the bucket: ${c.url} (${humanBytes(c.size)}; ` +
          (c.expiresAt
            ? `its URL expires ${c.expiresAt}, then "backup prune" deletes it)`
            : 'of unknown age: delete it by hand once no restore uses it)'),
    ),
  );
}

/** Incomplete uploads in one line: count, bytes where known, the oldest's age, and what removes them. */
function uploadsLine(u: IncompleteUploads, source: string): string {
  const bytes = u.bytes === null ? 'size not reported by the store' : humanBytes(u.bytes);
  const oldest = u.oldestAgeSeconds === null ? '' : `, the oldest started ${humanAge(u.oldestAgeSeconds)} ago`;
  return `${u.count} incomplete multipart upload${u.count === 1 ? '' : 's'} under ${source} (${bytes}${oldest}): interrupted uploads whose parts still take space; "backup prune" aborts those older than --incomplete-grace (24h)`;
}

export function renderList(result: BackupList): string {
  // The LOCK column only where some backup is locked: tables of unlocked backups stay as they were.
  const locks = result.items.some((i) => i.lock);
  const encoded = result.items.some((i) => i.encryption || i.compression);
  // The DRILL column only where some backup was drilled (drill.json).
  const drilled = result.items.some((i) => i.drill);
  return renderTable(
    [
      'TIME',
      'CLUSTER',
      'REVISION',
      'KEYS',
      'SIZE',
      'MODE',
      'AGE',
      ...(locks ? ['LOCK'] : []),
      ...(encoded ? ['STORED'] : []),
      ...(drilled ? ['DRILL'] : []),
      'BACKUP',
    ],
    result.items.map((i) => [
      i.createdAt.replace(/\.\d{3}Z$/, 'Z'),
      `${i.namespace}/${i.name}`,
      String(i.revision),
      String(i.totalKeys),
      humanBytes(i.size),
      i.mode,
      i.ageSeconds < 0 ? '-' : humanAge(i.ageSeconds),
      ...(locks ? [i.lock ? `${i.lock.mode} until ${i.lock.retainUntil.replace(/\.\d{3}Z$/, 'Z')}` : '-'] : []),
      ...(encoded
        ? [
            [i.encryption ? 'encrypted' : '', i.compression ?? '', i.stagedCopies ? 'plaintext-staged' : ''].filter(Boolean).join(',') ||
              '-',
          ]
        : []),
      ...(drilled ? [i.drill ? drillText(i.drill) : '-'] : []),
      i.url,
    ]),
  );
}

export async function verify(args: VerifyArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const source = args.backup;
  const progress = createProgress(deps.stderr, deps.stderrIsTTY, 'verifying snapshot');
  const keyring = await keyringOf(args);
  const options = {
    reporter: deps.reporter,
    signal: deps.signal,
    onBytes: (n: number) => progress.update(n),
    decoding: { ...(keyring ? { keyring } : {}), storedOnly: true },
  };
  let result: BackupVerification & { drill?: DrillSummary };
  try {
    if (source.startsWith('s3://')) {
      const opened = await deps.openObjectStore(s3TargetOf(source.replace(/\/backup\.json$/, '/'), args, 'the backup'));
      result = await verifyStoredBackup(opened.store, opened.prefix, options);
      // The last drill of this backup (drill.json), shown beside the verdict; never part of it.
      const drill = await readDrillSummary(opened.store, opened.prefix, deps.signal);
      if (drill) result = { ...result, drill };
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
      throw new UsageError(`cannot verify "${source}": pass an s3:// URL or a local file`, {
        hint: 'e.g. {cmd} backup verify s3://<bucket>/<prefix>/<namespace>/<name>/<id>/',
      });
    } else {
      await requireLocalFile(source);
      result = await verifyLocalSnapshot(source, options);
    }
  } finally {
    progress.done();
  }
  await printData(deps.stdout, format, result, () => renderVerification(result));
  if (result.verdict !== 'Restorable') {
    deps.reporter.warn(`${result.source} is NOT restorable: ${result.reasons.join('; ')}`);
    return ExitCode.error;
  }
  return ExitCode.ok;
}

export function renderVerification(r: BackupVerification & { drill?: DrillSummary }): string {
  const head = [
    `SOURCE     ${r.source}`,
    ...(r.backup ? [`CLUSTER    ${r.backup.hostedCluster} (${r.backup.mode}, ${r.backup.createdAt})`] : []),
    ...(r.backup?.lock ? [`LOCK       ${r.backup.lock.mode} until ${r.backup.lock.retainUntil} (S3 Object Lock)`] : []),
    ...(r.snapshot?.status
      ? [`SNAPSHOT   revision ${r.snapshot.status.revision}, ${r.snapshot.status.totalKey} keys, ${humanBytes(r.snapshot.size)}`]
      : []),
    `VERDICT    ${r.verdict}`,
    ...(r.drill ? [`DRILL      ${drillText(r.drill)}`] : []),
    '',
  ].join('\n');
  return (
    head +
    '\n' +
    renderTable(
      ['CHECK', 'RESULT', 'DETAIL'],
      r.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', dash(c.detail)]),
    )
  );
}

/** A local snapshot path that exists and is a regular file (exit 3 when missing, 2 when unusable). */
async function requireLocalFile(file: string): Promise<void> {
  const hint = 'pass an etcd snapshot file (etcdctl snapshot save) or a backup URL: s3://<bucket>/<prefix>/<namespace>/<name>/<id>/';
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`failed to read ${file}: no such file`, { hint });
    throw new UsageError(`failed to read ${file}: ${fileProblem(err)}`, { hint });
  }
  if (!info.isFile()) throw new UsageError(`failed to read ${file}: not a regular file`, { hint });
}
