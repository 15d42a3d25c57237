/**
 * The `export` workflow: read the source (live cluster or backup bundle), build the tree in
 * memory, then either write it (all or nothing), compare it with an existing tree, or hand
 * back the object stream. Every check that can refuse runs before anything is written.
 */
import type { KubeApi, ObjectStore, Reporter } from '../ports.ts';
import { buildTree, renderStream } from './layout.ts';
import { loadFromCluster } from './source-live.ts';
import { loadFromBackup } from './source-backup.ts';
import { checkDiffRoot, checkOutDir, checkOutRoot } from './write.ts';
import { writeTree } from '../objects/tree-write.ts';
import { diffTree, type TreeDiff } from './diff.ts';
import type { ExportInput, ExportOptions, ExportTree } from './types.ts';

export type ExportSource =
  { type: 'live'; api: KubeApi; namespace: string; name: string } | { type: 'backup'; store: ObjectStore; prefix: string };

export type ExportTarget = { type: 'dir'; root: string; force: boolean } | { type: 'diff'; root: string } | { type: 'stdout' };

export interface ExportResult {
  tree: ExportTree;
  /** Set for the diff target. */
  diff?: TreeDiff;
  /** Set for the stdout target. */
  stream?: string;
}

export async function loadExportInput(source: ExportSource, withControlPlane: boolean): Promise<ExportInput> {
  return source.type === 'live'
    ? loadFromCluster(source.api, { namespace: source.namespace, name: source.name, withControlPlane })
    : loadFromBackup(source.store, { prefix: source.prefix, withControlPlane });
}

export async function runExport(
  source: ExportSource,
  target: ExportTarget,
  options: ExportOptions,
  reporter: Reporter,
): Promise<ExportResult> {
  // Local paths first: a wrong directory is refused before the cluster or the bucket is read.
  if (target.type === 'diff') await checkDiffRoot(target.root);
  if (target.type === 'dir') await checkOutRoot(target.root);
  const input = await loadExportInput(source, options.withControlPlane);
  const tree = buildTree(input, options);
  for (const w of tree.warnings) reporter.warn(w);
  if (target.type === 'stdout') return { tree, stream: renderStream(tree) };
  if (target.type === 'diff') return { tree, diff: await diffTree(target.root, tree) };
  await checkOutDir(target.root, tree.clusterDir, target.force);
  await writeTree(target.root, tree);
  return { tree };
}
