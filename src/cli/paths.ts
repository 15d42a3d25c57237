/** Local-path problems in words, for commands that read files the user names (no bare errno codes). */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { causeText, UsageError } from '../core/errors.ts';

/** What went wrong with a local path: a short phrase for "failed to read <flag> <path>: <phrase>". */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  return causeText(err);
}

/**
 * Kernel file systems (proc, sysfs, debugfs, cgroup, ...) by statfs magic: nothing a command writes
 * belongs there, and writing a tree into one can spin (mkdir under /proc fails in ways a retry
 * loop does not recognise). Checked on the nearest existing ancestor of the path.
 */
const VIRTUAL_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x73636673: 'securityfs',
  0x62656570: 'configfs',
  0xcafe4a11: 'bpf',
  0x6165676c: 'pstore',
  0xde5e81e4: 'efivarfs',
  0x1cd1: 'devpts',
};

/** A UsageError when `target` lies on a kernel file system; `flag` names the option (e.g. --out). */
export async function refuseVirtualFileSystem(target: string, flag: string): Promise<void> {
  const full = path.resolve(target);
  const shown = full === target ? target : `${target} (${full})`;
  let at = full;
  for (;;) {
    const info = await statfs(at).catch(() => undefined);
    if (info) {
      const kind = VIRTUAL_FS[Number(info.type)];
      if (kind)
        throw new UsageError(`${flag} ${shown} is on the kernel's ${kind} file system, where no files can be written`, {
          hint: `pass a directory on a disk, e.g. ${flag} ./out`,
        });
      return;
    }
    const parent = path.dirname(at);
    if (parent === at) return;
    at = parent;
  }
}
