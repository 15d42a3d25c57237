/** Local-path problems in words, for commands that read files the user names (no bare errno codes). */
import { causeText } from '../../core/errors.ts';

/** What went wrong with a local path: a short phrase for "failed to read <flag> <path>: <phrase>". */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  return causeText(err);
}
