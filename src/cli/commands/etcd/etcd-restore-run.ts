/** The handler of `etcd restore` (loaded on demand: the in-place restore workflow). */
import { keyringOf } from '../../codec-flags.ts';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { CliDeps } from '../../deps.ts';
import { confirmOrRefuse } from '../../confirm.ts';
import { boundedDuration, kubeTargetOf, MAX_TIMER_DURATION_MS, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData, renderTable } from '../../output.ts';
import { createProgress } from '../../progress.ts';
import { humanBytes } from '../../format.ts';
import { renderPhaseTimings } from '../../phase-timings.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { UsageError } from '../../../core/errors.ts';
import { planEtcdRestore, type EtcdRestorePlan, type EtcdRestoreRequest } from '../../../core/etcd-restore/restore-plan.ts';
import { runEtcdRestore, type EtcdRestoreResult } from '../../../core/etcd-restore/restore.ts';
import type { SourceSpec } from '../../../core/etcd/restore-source.ts';
import { proveSourceMember } from '../../../core/etcd/source-member.ts';
import { VERSION } from '../../../version.ts';

export interface EtcdRestoreArgs extends GlobalArgs, S3Args {
  'hosted-cluster': string;
  'from-backup'?: string;
  'from-member'?: string;
  'from-file'?: string;
  'dry-run'?: boolean;
  yes?: boolean;
  'keep-old-data'?: boolean;
  force?: boolean;
  'wait-timeout': string;
  'decrypt-with'?: string;
}

type SourceArg = { kind: 'backup'; url: string } | { kind: 'file'; path: string } | { kind: 'member'; pod: string };

/** Everything checkable without the cluster, before connecting to it. */
async function sourceOf(args: EtcdRestoreArgs): Promise<SourceArg> {
  const given = (['from-backup', 'from-member', 'from-file'] as const).filter((f) => args[f] !== undefined);
  if (given.length !== 1)
    throw new UsageError(
      given.length === 0 ? 'name the snapshot to restore' : `pass only one of ${given.map((f) => `--${f}`).join(', ')}`,
      { hint: 'pass exactly one of --from-backup <s3-url>, --from-member <etcd-N> or --from-file <snapshot.db>' },
    );
  if (args['from-member'] !== undefined) {
    if (!/^etcd-\d+$/.test(args['from-member']))
      throw new UsageError(`invalid --from-member "${args['from-member']}": name a member pod, e.g. etcd-0`, {
        hint: 'list the members with "{cmd} etcd status <hosted-cluster>"',
      });
    return { kind: 'member', pod: args['from-member'] };
  }
  if (args['from-file'] !== undefined) {
    const path = args['from-file'];
    const info = await stat(path).catch(() => undefined);
    if (!info || !info.isFile())
      throw new UsageError(`--from-file "${path}": ${info ? 'not a regular file' : 'no such file'}`, {
        hint: 'pass a snapshot file written by "etcdctl snapshot save"',
      });
    return { kind: 'file', path };
  }
  const url = (args['from-backup'] ?? '').replace(/\/backup\.json$/, '/');
  s3TargetOf(url, args, '--from-backup');
  return { kind: 'backup', url };
}

export async function etcdRestore(args: EtcdRestoreArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const waitTimeoutMs = boundedDuration(
    args['wait-timeout'],
    '--wait-timeout',
    { minMs: 1000, maxMs: MAX_TIMER_DURATION_MS },
    'how long each step may wait (helper pods, etcd back and verified); the default is 10m',
  );
  const arg = await sourceOf(args);
  const keyring = arg.kind === 'backup' ? await keyringOf(args) : undefined;
  const session = await deps.connectKube(kubeTargetOf(args));
  let source: SourceSpec;
  if (arg.kind === 'backup') {
    const opened = await deps.openObjectStore(s3TargetOf(arg.url, args, '--from-backup'));
    if (!opened.prefix)
      throw new UsageError(`--from-backup "${arg.url}" names a bucket, not one backup`, {
        hint: 'pass a backup URL as "{cmd} backup list --from s3://..." prints it',
      });
    source = { kind: 'backup', store: opened.store, prefix: opened.prefix, ...(keyring ? { keyring } : {}) };
  } else source = arg;
  const request: EtcdRestoreRequest = {
    namespace: session.namespace,
    name: args['hosted-cluster'],
    source,
    keepOldData: args['keep-old-data'] === true,
    waitTimeoutMs,
    force: args.force === true,
  };
  const progress = createProgress(deps.stderr, deps.stderrIsTTY, 'verifying snapshot');
  const core = { api: session.api, exec: session.exec, clock: deps.clock, reporter: deps.reporter, signal: deps.signal };
  const prepared = await planEtcdRestore(request, { ...core, onBytes: (n) => progress.update(n) }).finally(() => progress.done());
  const { plan } = prepared;
  if (arg.kind === 'member') {
    const gather = { api: session.api, exec: session.exec, controlPlaneNamespace: prepared.cpNamespace, signal: deps.signal };
    const forced = await proveSourceMember(
      { ...gather, expectedReplicas: prepared.etcdReplicas },
      arg.pod,
      { namespace: request.namespace, name: request.name },
      args.force === true,
    );
    if (forced) plan.notes.push(forced);
  }
  for (const note of plan.notes) deps.reporter.warn(note);
  if (args['dry-run']) {
    await printData(deps.stdout, format, plan, () => renderPlan(plan));
    return 0;
  }
  await confirmOrRefuse(
    deps,
    `Restore etcd of ${request.namespace}/${request.name} from ${plan.source} into all ${plan.members} members: its API is DOWN until the restore is verified, and every write since the snapshot is lost. Continue?`,
    args.yes,
    'or --dry-run to see the plan',
  );
  const copying = createProgress(deps.stderr, deps.stderrIsTTY, 'copying snapshot');
  const result = await runEtcdRestore(
    request,
    {
      ...core,
      toolVersion: VERSION,
      newId: () =>
        `etcdrestore-${deps.clock
          .now()
          .toISOString()
          .replace(/[-:]|\.\d+/g, '')
          .toLowerCase()}-${randomBytes(3).toString('hex')}`,
      step: (name) => deps.reporter.debug(`step: ${name}`),
      onBytes: (n) => copying.update(n),
    },
    prepared,
  ).finally(() => copying.done());
  deps.reporter.info(`etcd of ${request.namespace}/${request.name} restored and verified; API down ${result.apiDowntimeSeconds}s`);
  await printData(deps.stdout, format, result, () => renderResult(result, deps.verbose));
  return 0;
}

function renderPlan(plan: EtcdRestorePlan): string {
  const s = plan.snapshot;
  const steps = plan.steps.map((step, i) => `  ${i + 1}. ${step}`).join('\n');
  const notes = plan.notes.map((n) => `note: ${n}\n`).join('');
  return `PLAN (dry run, nothing changed)\nSOURCE   ${plan.source}${s ? ` (revision ${s.revision}, ${s.totalKeys} keys, ${humanBytes(s.size)}, verified)` : ' (taken when the restore runs)'}\nMEMBERS  ${plan.members}\nSTEPS\n${steps}\n${notes}`;
}

/** `verbose` (-v) adds the phase timings. */
function renderResult(r: EtcdRestoreResult, verbose: boolean): string {
  const head = [
    ['SOURCE', `${r.source} (revision ${r.snapshot.revision}, ${r.snapshot.totalKeys} keys, ${humanBytes(r.snapshot.size)})`],
    ['TOOL', `${r.tool.name} ${r.tool.version}${r.tool.bumpRevision ? ' with --bump-revision --mark-compacted' : ''}`],
    ['REVISION BUMP', r.revisionBump === null ? 'not possible (see notes)' : `+${r.revisionBump}, marked compacted`],
    ['MEMBERS', String(r.members)],
    ['DOWNTIME', `${r.apiDowntimeSeconds}s (API servers at 0)`],
  ];
  const out = [head.map(([k, v]) => `${(k ?? '').padEnd(9)}${v}`).join('\n'), 'ACTIONS', ...r.actions.map((a) => `  - ${a}`)];
  out.push(
    renderTable(
      ['CHECK', 'RESULT', 'DETAIL'],
      r.verification.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail]),
    ),
  );
  for (const n of r.notes) out.push(`note: ${n}`);
  if (r.removeOldData.length) out.push('the old data was kept; remove it with:', ...r.removeOldData.map((c) => `  ${c}`));
  if (verbose) out.push(renderPhaseTimings(r.phases));
  return out.join('\n').replace(/\n*$/, '\n');
}
