/**
 * Puts a schedule tree on disk with export's all-or-nothing writer (a temporary directory renamed
 * into place). `--out` is the tree's own directory, so it must be empty, missing, or a previous
 * schedule tree (its provenance.yaml says so): anything else is refused, never replaced.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { UsageError } from '../errors.ts';
import { writeTree } from '../objects/tree-write.ts';
import { SCHEDULE_PROVENANCE_KIND, type ScheduleTree } from './tree.ts';

const HINT = 'choose an empty (or new) directory, or the --out of a previous "{cmd} schedule"';

/** Refuses (UsageError) an --out that is a file, or a non-empty directory that is not a previous schedule tree. */
export async function checkScheduleOut(out: string): Promise<void> {
  const info = await stat(out).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) throw new UsageError(`--out "${out}" exists and is not a directory`, { hint: HINT });
  const entries = await readdir(out);
  if (entries.length === 0) return;
  let kind: string | undefined;
  try {
    kind = (yaml.load(await readFile(join(out, 'provenance.yaml'), 'utf8')) as { kind?: string } | null)?.kind;
  } catch {
    kind = undefined;
  }
  if (kind !== SCHEDULE_PROVENANCE_KIND)
    throw new UsageError(
      `refusing to write into "${out}": it is not empty and not a previous hcp-dr schedule (no provenance.yaml of ours)`,
      {
        hint: HINT,
      },
    );
}

/** Writes the tree as the whole content of `out` (a previous tree there is swapped out and removed). */
export async function writeScheduleTree(out: string, tree: ScheduleTree): Promise<void> {
  const target = resolve(out);
  await writeTree(target, { clusterDir: '.', files: tree.files });
}
