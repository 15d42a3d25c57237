/**
 * Puts an in-memory tree of files on disk, all or nothing: files go to a temporary directory
 * beside the target, which is renamed into place at the end (the previous tree, if any, is
 * swapped out and removed). Used by `export` and `schedule`; what may be replaced is theirs to check.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/** One file of a tree, relative to the root (`<clusterDir>/...`). */
export interface TreeFile {
  path: string;
  content: string;
  /** 0o600 for files holding Secret data in plain; 0o644 otherwise. */
  mode: number;
}

export interface FileTree {
  /** The directory, relative to the root, that the tree replaces. */
  clusterDir: string;
  files: readonly TreeFile[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Writes the tree under `root`, replacing `root/<clusterDir>` in one rename. */
export async function writeTree(root: string, tree: FileTree): Promise<void> {
  const target = join(root, tree.clusterDir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.hcp-dr-export-${randomBytes(6).toString('hex')}`);
  try {
    for (const file of tree.files) {
      const path = join(tmp, relative(tree.clusterDir, file.path));
      await mkdir(dirname(path), { recursive: true, mode: file.mode === 0o600 ? 0o700 : 0o755 });
      await writeFile(path, file.content, { mode: file.mode });
      await chmod(path, file.mode); // the umask must not loosen (or tighten) what we promise
    }
    if (await exists(target)) {
      const old = `${tmp}.old`;
      await rename(target, old);
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
