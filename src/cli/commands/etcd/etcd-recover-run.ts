/** The handler of `etcd recover-member` (loaded on demand: the recovery workflow). */
import { randomBytes } from 'node:crypto';
import type { CliDeps } from '../../deps.ts';
import { confirmOrRefuse } from '../../confirm.ts';
import { boundedDuration, kubeTargetOf, MAX_TIMER_DURATION_MS, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData } from '../../output.ts';
import { renderPhaseTimings } from '../../phase-timings.ts';
import {
  planRecoverMember,
  runRecoverMember,
  type RecoverMemberPlan,
  type RecoverMemberResult,
} from '../../../core/recover-member/recover-member.ts';
import { VERSION } from '../../../version.ts';

export interface RecoverMemberArgs extends GlobalArgs {
  'hosted-cluster': string;
  member?: string;
  'dry-run'?: boolean;
  yes?: boolean;
  'wait-timeout': string;
}

export async function etcdRecoverMember(args: RecoverMemberArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const waitTimeoutMs = boundedDuration(
    args['wait-timeout'],
    '--wait-timeout',
    { minMs: 1000, maxMs: MAX_TIMER_DURATION_MS },
    'how long to wait for the member to rejoin; the default is 10m',
  );
  const session = await deps.connectKube(kubeTargetOf(args));
  const request = { namespace: session.namespace, name: args['hosted-cluster'], member: args.member, waitTimeoutMs };
  const core = { api: session.api, exec: session.exec, clock: deps.clock, reporter: deps.reporter, signal: deps.signal };
  const prepared = await planRecoverMember(request, core);
  if (args['dry-run']) {
    await printData(deps.stdout, format, prepared.plan, () => renderPlan(prepared.plan));
    return 0;
  }
  const { plan } = prepared;
  await confirmOrRefuse(
    deps,
    `Replace etcd member ${plan.member} of ${request.namespace}/${request.name} (${plan.reason}): its PVC and data are deleted and it resynchronises from the other members. Continue?`,
    args.yes,
    'or --dry-run to see the plan',
  );
  const result = await runRecoverMember(
    request,
    {
      ...core,
      toolVersion: VERSION,
      newId: () =>
        `recover-${deps.clock
          .now()
          .toISOString()
          .replace(/[-:]|\.\d+/g, '')}-${randomBytes(3).toString('hex')}`,
      step: (name) => deps.reporter.debug(`step: ${name}`),
    },
    prepared,
  );
  deps.reporter.info(`member ${result.member} recovered: member ${result.newMemberId}, etcd Healthy`);
  await printData(deps.stdout, format, result, () => renderResult(result, deps.verbose));
  return 0;
}

function renderPlan(plan: RecoverMemberPlan): string {
  const steps = plan.steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n');
  return `PLAN (dry run, nothing changed)\nMEMBER   ${plan.member} (${plan.reason})\nSTEPS\n${steps}\n`;
}

/** `verbose` (-v) adds the phase timings. */
function renderResult(result: RecoverMemberResult, verbose: boolean): string {
  const actions = result.actions.map((a) => `  - ${a}`).join('\n');
  const checks = result.verification.map((v) => `  ${v.ok ? 'ok  ' : 'FAIL'} ${v.check}`).join('\n');
  const text = `MEMBER   ${result.member}: ${result.oldMemberId ?? '(not listed)'} -> ${result.newMemberId}\nACTIONS\n${actions}\nVERIFIED\n${checks}\n`;
  return verbose ? `${text}${renderPhaseTimings(result.phases)}` : text;
}
