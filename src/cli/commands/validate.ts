/**
 * `validate -f <file>`: offline admission checks against the HyperShift CRDs (schema and
 * CEL rules, transition rules with --old or --against-cluster). Also home of the input and
 * CRD loading that `render` shares. Reading the files the user names is this edge's job;
 * core/render stays free of fs.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandRegistrar } from '../index.ts';
import type { CliDeps } from '../deps.ts';
import { kubeTargetOf, type GlobalArgs } from '../global-flags.ts';
import { parseOutputFormat, printData, renderTable } from '../output.ts';
import { causeText, ExitCode, UsageError } from '../../core/errors.ts';
import { Resources } from '../../core/model.ts';
import { crdsFromTexts, validationNotes, type CrdSource, type ValidationReport } from '../../core/render/check.ts';
import { runValidate } from '../../core/render/validate-run.ts';

interface ValidateArgs extends GlobalArgs {
  filename: string;
  old?: string;
  crd?: string;
  'against-cluster'?: boolean;
}

export const validateCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'validate',
    'Check manifests offline against the HyperShift CRDs (OpenAPI schema and CEL rules), as kube-apiserver does at admission',
    (c) =>
      c
        .option('filename', { alias: 'f', type: 'string', demandOption: true, describe: 'Manifests to check (YAML or JSON, several documents); - for stdin' })
        .option('old', { type: 'string', describe: 'The stored objects, to check the input as an update (transition rules, immutability)' })
        .option('crd', { type: 'string', describe: 'CRD file or directory (e.g. saved "oc get crd -o yaml" output); default: the cluster\'s' })
        .option('against-cluster', { type: 'boolean', describe: 'Check as an update of the live objects (read from the cluster)' })
        .example('$0 validate -f restore.yaml --crd crds/', 'Check rendered manifests with saved CRDs')
        .example('$0 validate -f hc.yaml --old hc-live.yaml --crd crds/', 'Check an edit as an update (e.g. immutable fields)')
        .example('$0 validate -f hc.yaml --against-cluster', 'Check against the live objects and the cluster\'s CRDs'),
    async (args) => done(await validate(args as unknown as ValidateArgs, deps)),
  );

async function validate(args: ValidateArgs, deps: CliDeps): Promise<number> {
  rejectRepeated(args);
  const format = parseOutputFormat(args.output);
  if (args.old !== undefined && args['against-cluster']) throw new UsageError('pass either --old or --against-cluster, not both');
  const input = await readInput(args.filename, deps, '-f');
  const old = args.old !== undefined ? await readInput(args.old, deps, '--old') : undefined;
  let live: Parameters<typeof runValidate>[0]['live'];
  if (args['against-cluster']) {
    const session = await deps.connectKube(kubeTargetOf(args));
    live = (type, namespace, name) => session.api.get(type, namespace ?? session.namespace, name);
  }
  const report = await runValidate({ input, crds: crdSourceOf(args, deps), ...(old ? { old } : {}), ...(live ? { live } : {}) });
  for (const note of validationNotes(report)) deps.reporter.warn(note);
  for (const o of report.objects) if (o.message) deps.stderr.write(`${o.message}\n`);
  await printData(deps.stdout, format, report, () => renderReport(report));
  return report.valid ? ExitCode.ok : ExitCode.precondition;
}

function renderReport(report: ValidationReport): string {
  const rows = report.objects.map((o) => [
    o.object,
    o.checked ? (o.update ? 'update' : 'create') : '-',
    !o.checked ? 'not checked (no CRD)' : o.errors.length > 0 ? `invalid (${o.errors.length} error${o.errors.length > 1 ? 's' : ''})` : o.notEvaluated.length > 0 ? `valid, ${o.notEvaluated.length} rule(s) not evaluated` : 'valid',
  ]);
  return renderTable(['OBJECT', 'AS', 'RESULT'], rows);
}

/** yargs turns a repeated flag into an array; every flag of render and validate takes one value. */
export function rejectRepeated(args: object): void {
  for (const [flag, value] of Object.entries(args)) {
    if (Array.isArray(value) && flag !== '_' && !/[A-Z]/.test(flag)) {
      throw new UsageError(`${flag.length === 1 ? '-' : '--'}${flag} given ${value.length} times; pass it once`);
    }
  }
}

/** A file the user named, or stdin for "-". */
export async function readInput(file: string, deps: CliDeps, flag: string): Promise<{ text: string; source: string }> {
  return { text: (await readBytes(file, deps, flag)).toString('utf8'), source: file === '-' ? 'stdin' : file };
}

export async function readBytes(file: string, deps: CliDeps, flag: string): Promise<Buffer> {
  if (file.trim() === '') throw new UsageError(`${flag} needs a value`);
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of deps.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`failed to read ${flag} ${file}: ${causeText(err)}`);
  }
}

/** CRDs from --crd (a file or a directory of .yaml/.yml/.json, recursively) or from the cluster. */
export function crdSourceOf(args: GlobalArgs & { crd?: string }, deps: CliDeps): CrdSource {
  const crdPath = args.crd;
  if (crdPath !== undefined) {
    return async (kinds) => {
      const files = await listCrdFiles(crdPath);
      const texts = await Promise.all(files.map(async (f) => ({ text: await readFile(f, 'utf8'), source: f })));
      if (!texts.some((t) => /\bkind"?\s*:\s*"?CustomResourceDefinition\b/.test(t.text))) {
        throw new UsageError(`failed to load CRDs from --crd ${crdPath}: no CustomResourceDefinition found`);
      }
      const crds = crdsFromTexts(texts, kinds);
      return { crds, source: crdPath };
    };
  }
  return async () => {
    try {
      const session = await deps.connectKube(kubeTargetOf(args));
      const all = await session.api.list(Resources.crd, undefined);
      const crds = all.filter((c) => (c['spec'] as { group?: string } | undefined)?.group === 'hypershift.openshift.io');
      if (crds.length === 0) return { skipped: `the cluster (${session.api.describeTarget()}) serves no hypershift.openshift.io CRDs` };
      return { crds, source: `the cluster (${session.api.describeTarget()})` };
    } catch (err) {
      return { skipped: `could not read CRDs from the cluster: ${causeText(err)}` };
    }
  };
}

async function listCrdFiles(p: string): Promise<string[]> {
  let info;
  try {
    info = await stat(p);
  } catch (err) {
    throw new UsageError(`failed to read --crd ${p}: ${causeText(err)}`);
  }
  if (!info.isDirectory()) return [p];
  const entries = await readdir(p, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
