/** The handler of `validate` (loaded on demand: it pulls in the CRD schema and CEL machinery). */
import type { CliDeps } from '../../deps.ts';
import { kubeTargetOf, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData, renderTable } from '../../output.ts';
import { ExitCode, UsageError } from '../../../core/errors.ts';
import { validationNotes, type ValidationReport } from '../../../core/render/check.ts';
import { runValidate } from '../../../core/render/validate-run.ts';
import { checkCrdPath, crdSourceOf, readInput, rejectRepeated } from '../../input.ts';

export interface ValidateArgs extends GlobalArgs {
  filename: string;
  old?: string;
  crd?: string;
  'against-cluster'?: boolean;
}

export async function validate(args: ValidateArgs, deps: CliDeps): Promise<number> {
  rejectRepeated(args);
  const format = parseOutputFormat(args.output);
  if (args.old !== undefined && args['against-cluster'])
    throw new UsageError('pass either --old or --against-cluster, not both', {
      hint: '--old <file> checks against saved objects, --against-cluster against the live ones',
    });
  await checkCrdPath(args.crd);
  const input = await readInput(args.filename, deps, '-f');
  const old = args.old !== undefined ? await readInput(args.old, deps, '--old') : undefined;
  let live: Parameters<typeof runValidate>[0]['live'];
  if (args['against-cluster']) {
    const session = await deps.connectKube(kubeTargetOf(args));
    live = (type, namespace, name) => session.api.get(type, namespace ?? session.namespace, name);
  }
  const report = await runValidate({
    input,
    crds: crdSourceOf(args, deps, { clusterRequired: Boolean(args['against-cluster']) }),
    ...(old ? { old } : {}),
    ...(live ? { live } : {}),
  });
  for (const note of validationNotes(report)) deps.reporter.warn(note);
  for (const o of report.objects) if (o.message) deps.stderr.write(`${o.message}\n`);
  await printData(deps.stdout, format, report, () => renderReport(report));
  return report.valid ? ExitCode.ok : ExitCode.precondition;
}

function renderReport(report: ValidationReport): string {
  const rows = report.objects.map((o) => [
    o.object,
    o.checked ? (o.update ? 'update' : 'create') : '-',
    !o.checked
      ? 'not checked (no CRD)'
      : o.errors.length > 0
        ? `invalid (${o.errors.length} error${o.errors.length > 1 ? 's' : ''})`
        : o.notEvaluated.length > 0
          ? `valid, ${o.notEvaluated.length} rule(s) not evaluated`
          : 'valid',
  ]);
  return renderTable(['OBJECT', 'AS', 'RESULT'], rows);
}
