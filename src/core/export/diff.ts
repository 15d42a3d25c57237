/**
 * `export --diff <dir>`: what re-exporting into <dir> would change, file by file, with line
 * diffs. Files under a secrets/ directory are listed but their lines are never shown: they
 * may hold Secret data (plain mode) and ciphertext lines say nothing anyway.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listFiles } from './write.ts';
import type { ExportTree } from './types.ts';

export interface FileChange {
  /** Relative to the export root. */
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** '+ line' / '- line' entries; empty when content is not shown. */
  lines: string[];
}

export interface TreeDiff {
  clusterDir: string;
  changes: FileChange[];
}

const hidden = (path: string) => /(^|\/)secrets\//.test(path);

export async function diffTree(root: string, tree: ExportTree): Promise<TreeDiff> {
  const dir = join(root, tree.clusterDir);
  const existing = new Set((await listFiles(dir)).map((p) => `${tree.clusterDir}/${p}`));
  const changes: FileChange[] = [];
  for (const file of tree.files) {
    if (!existing.has(file.path)) {
      changes.push({
        path: file.path,
        change: 'added',
        lines: hidden(file.path)
          ? []
          : file.content
              .split('\n')
              .filter(Boolean)
              .map((l) => `+ ${l}`),
      });
      continue;
    }
    existing.delete(file.path);
    const old = await readFile(join(root, file.path), 'utf8');
    if (old !== file.content)
      changes.push({ path: file.path, change: 'changed', lines: hidden(file.path) ? [] : lineDiff(old, file.content) });
  }
  for (const path of [...existing].sort()) changes.push({ path, change: 'removed', lines: [] });
  changes.sort((a, b) => a.path.localeCompare(b.path));
  return { clusterDir: tree.clusterDir, changes };
}

/** Changed lines by longest common subsequence; large files fall back to a count. */
export function lineDiff(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length * y.length > 4_000_000) return [`~ ${x.length} → ${y.length} lines (too large to diff)`];
  const n = x.length;
  const m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const next = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--)
      row[j] = x[i] === y[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      i++;
      j++;
    } else if (i < n && (j >= m || ((lcs[i + 1] as Uint32Array)[j] as number) >= ((lcs[i] as Uint32Array)[j + 1] as number))) {
      out.push(`- ${x[i++]}`);
    } else {
      out.push(`+ ${y[j++]}`);
    }
  }
  return out.filter((l) => l !== '+ ' && l !== '- ');
}

export function renderDiff(diff: TreeDiff): string {
  if (diff.changes.length === 0) return `no changes in ${diff.clusterDir}\n`;
  const sign = { added: 'A', removed: 'D', changed: 'M' } as const;
  const parts = diff.changes.map((c) => {
    const note = c.lines.length === 0 && hidden(c.path) && c.change !== 'removed' ? ' (content not shown: Secret data)' : '';
    return [`${sign[c.change]} ${c.path}${note}`, ...c.lines.map((l) => `    ${l}`)].join('\n');
  });
  return parts.join('\n') + `\n${diff.changes.length} file(s) would change\n`;
}
