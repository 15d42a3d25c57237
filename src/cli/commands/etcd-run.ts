/** The handler of `etcd status` (loaded on demand). Exit 0 only when etcd is Healthy. */
import type { CliDeps } from '../deps.ts';
import { kubeTargetOf, type GlobalArgs } from '../global-flags.ts';
import { parseOutputFormat, printData } from '../output.ts';
import { ExitCode, UsageError } from '../../core/errors.ts';
import { runEtcdStatus } from '../../core/etcd/status.ts';
import { runEtcdStatusAll } from '../../core/etcd/status-all.ts';
import { renderEtcdStatus, renderEtcdSummary } from './etcd-status-view.ts';

export interface StatusArgs extends GlobalArgs {
  'hosted-cluster'?: string;
  'all-namespaces'?: boolean;
}

export async function etcdStatus(args: StatusArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const name = args['hosted-cluster'];
  if (args['all-namespaces'] && name)
    throw new UsageError('pass either a hosted cluster name or -A, not both', {
      hint: '{cmd} etcd status <hosted-cluster> -n <namespace>, or {cmd} etcd status -A',
    });
  if (!args['all-namespaces'] && !name) {
    throw new UsageError('a hosted cluster name is required', { hint: '{cmd} etcd status <hosted-cluster> -n <namespace>, or -A for all' });
  }
  const session = await deps.connectKube(kubeTargetOf(args));
  const core = { api: session.api, exec: session.exec, clock: deps.clock, signal: deps.signal };
  if (args['all-namespaces']) {
    const summary = await runEtcdStatusAll(core, { concurrency: 4 });
    await printData(deps.stdout, format, summary, () => renderEtcdSummary(summary));
    return summary.items.every((i) => i.state === 'Healthy' || i.state === 'Unmanaged') ? ExitCode.ok : ExitCode.etcdUnhealthy;
  }
  const report = await runEtcdStatus(session.namespace, name as string, core);
  await printData(deps.stdout, format, report, () => renderEtcdStatus(report, deps.host));
  return report.verdict.state === 'Healthy' ? ExitCode.ok : ExitCode.etcdUnhealthy;
}
