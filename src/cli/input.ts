/**
 * Input that `validate` and `render` share: the files the user names (or stdin for "-") and the
 * CRDs to validate against. Reading them is this edge's job; core/render stays free of fs.
 * Loaded only by those commands' handlers.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CliDeps } from './deps.ts';
import { kubeTargetOf, type GlobalArgs } from './global-flags.ts';
import { causeText, ExitCode, isHcpDrError, UsageError } from '../core/errors.ts';
import { Resources } from '../core/model.ts';
import { crdsFromTexts, type CrdSource } from '../core/render/check.ts';
import { loadAllYaml } from '../core/yaml.ts';
import { fileProblem } from './paths.ts';

/** yargs turns a repeated flag into an array; every flag of render and validate takes one value. */
export function rejectRepeated(args: object): void {
  for (const [flag, value] of Object.entries(args)) {
    if (Array.isArray(value) && flag !== '_' && !/[A-Z]/.test(flag)) {
      throw new UsageError(`${flag.length === 1 ? '-' : '--'}${flag} given ${value.length} times; pass it once`, {
        hint: 'every flag of this command takes one value',
      });
    }
  }
}

/** A file the user named, or stdin for "-". */
export async function readInput(file: string, deps: CliDeps, flag: string): Promise<{ text: string; source: string }> {
  return { text: (await readBytes(file, deps, flag)).toString('utf8'), source: file === '-' ? 'stdin' : file };
}

export async function readBytes(file: string, deps: CliDeps, flag: string): Promise<Buffer> {
  if (file.trim() === '') throw new UsageError(`${flag} needs a value`, { hint: `pass ${flag} <file>, or ${flag} - for stdin` });
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of deps.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`failed to read ${flag} ${file}: ${fileProblem(err)}`, { hint: `check the path given to ${flag}` });
  }
}

/** CRDs from --crd (a file or a directory of .yaml/.yml/.json, recursively) or from the cluster. */
/** `clusterRequired`: the command reads the cluster anyway (validate --against-cluster): failing to reach it is the error. */
export function crdSourceOf(args: GlobalArgs & { crd?: string }, deps: CliDeps, options: { clusterRequired?: boolean } = {}): CrdSource {
  const crdPath = args.crd;
  if (crdPath !== undefined) {
    return async (kinds) => {
      const files = await listCrdFiles(crdPath);
      const texts = await Promise.all(files.map(async (f) => ({ text: await readFile(f, 'utf8'), source: f })));
      if (!texts.some((t) => /\bkind"?\s*:\s*"?CustomResourceDefinition\b/.test(t.text))) {
        // A file that is not YAML says so (with line and column) rather than "no CRD found".
        for (const t of texts) loadAllYaml(t.text, t.source, 'pass CRDs as saved by "oc get crd -o yaml" (YAML or JSON)');
        throw new UsageError(`failed to load CRDs from --crd ${crdPath}: no CustomResourceDefinition found`, {
          hint: 'pass the HyperShift CRDs, e.g. saved with "oc get crd hostedclusters.hypershift.openshift.io nodepools.hypershift.openshift.io -o yaml"',
        });
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
      // An interrupt never means "go on without CRDs"; neither does an unreachable cluster that is required.
      if (deps.signal.aborted) throw err;
      if (options.clusterRequired && isHcpDrError(err) && err.exitCode !== ExitCode.precondition) throw err;
      return { skipped: `could not read CRDs from the cluster: ${causeText(err)}` };
    }
  };
}

/** Checks that --crd names a readable file or directory: local paths are checked before any remote read. */
export async function checkCrdPath(crdPath: string | undefined): Promise<void> {
  if (crdPath === undefined) return;
  if (crdPath.trim() === '') throw new UsageError('--crd needs a value', { hint: 'pass --crd <file|dir> with the HyperShift CRDs' });
  await listCrdFiles(crdPath);
}

async function listCrdFiles(p: string): Promise<string[]> {
  let info;
  try {
    info = await stat(p);
  } catch (err) {
    throw new UsageError(`failed to read --crd ${p}: ${fileProblem(err)}`, {
      hint: 'pass a CRD file or a directory of them (e.g. saved "oc get crd -o yaml" output)',
    });
  }
  if (!info.isDirectory()) return [p];
  const entries = await readdir(p, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
