/**
 * Where an export may be written (objects/tree-write.ts puts it on disk, all or nothing): an
 * --out that holds something other than hcp-dr exports is refused unless `force`; a previous
 * export is recognised by its provenance.yaml.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import yaml from 'js-yaml';
import { UsageError } from '../errors.ts';
import { PROVENANCE_FILE, PROVENANCE_KIND } from './layout.ts';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether `dir` holds a provenance.yaml written by hcp-dr export. */
export async function isPreviousExport(dir: string): Promise<boolean> {
  try {
    const doc = yaml.load(await readFile(join(dir, PROVENANCE_FILE), 'utf8')) as { kind?: string } | null;
    return doc?.kind === PROVENANCE_KIND;
  } catch {
    return false;
  }
}

/** Whether `root` holds at least one `<namespace>/<name>/provenance.yaml` of ours (an export root). */
async function isExportRoot(root: string): Promise<boolean> {
  for (const ns of await readdir(root, { withFileTypes: true })) {
    if (!ns.isDirectory() || ns.name.startsWith('.')) continue;
    for (const cl of await readdir(join(root, ns.name), { withFileTypes: true })) {
      if (cl.isDirectory() && (await isPreviousExport(join(root, ns.name, cl.name)))) return true;
    }
  }
  return false;
}

/** Refuses (UsageError) an --out that is not empty and not a previous export, unless forced. */
export async function checkOutDir(root: string, clusterDir: string, force: boolean): Promise<void> {
  if (force || !(await exists(root))) return;
  if (!(await stat(root)).isDirectory())
    throw new UsageError(`--out "${root}" exists and is not a directory`, { hint: 'pass a directory (it is created when missing)' });
  const entries = (await readdir(root)).filter((e) => e !== '.git');
  if (entries.length === 0) return;
  const target = join(root, clusterDir);
  const refuse = (why: string) =>
    new UsageError(`refusing to write into "${root}": ${why}`, {
      hint: 'choose an empty directory, or pass --force to replace the cluster directory',
    });
  if (await exists(target)) {
    if (await isPreviousExport(target)) return;
    throw refuse(`"${target}" exists and is not a previous hcp-dr export (no ${PROVENANCE_FILE})`);
  }
  if (!(await isExportRoot(root)))
    throw refuse(`it is not empty and holds no previous hcp-dr export (no <namespace>/<name>/${PROVENANCE_FILE})`);
}

/**
 * Refuses (UsageError) a --diff root that is not an export root: a directory holding
 * `<namespace>/<name>/provenance.yaml`. Checked before the source is read; without it every
 * file would show as added without a word about why.
 */
export async function checkDiffRoot(root: string): Promise<void> {
  const hint = 'pass the --out directory of a previous "{cmd} export" (the export root, which holds <namespace>/<name>/)';
  if (!(await exists(root))) throw new UsageError(`--diff "${root}" does not exist`, { hint });
  if (!(await stat(root)).isDirectory()) throw new UsageError(`--diff "${root}" is not a directory`, { hint });
  if (await isExportRoot(root)) return;
  const why = (await isPreviousExport(root))
    ? 'it is the directory of one exported cluster, not an export root'
    : `it holds no hcp-dr export (no <namespace>/<name>/${PROVENANCE_FILE})`;
  throw new UsageError(`--diff "${root}" is not an export: ${why}`, { hint });
}

/** Refuses (UsageError) an --out that exists and is not a directory: checkable before the source is read. */
export async function checkOutRoot(root: string): Promise<void> {
  if ((await exists(root)) && !(await stat(root)).isDirectory())
    throw new UsageError(`--out "${root}" exists and is not a directory`, { hint: 'pass a directory (it is created when missing)' });
}

/** Every file under `dir`, relative to it, skipping nothing. */
export async function listFiles(dir: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}
