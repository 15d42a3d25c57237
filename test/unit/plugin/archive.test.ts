import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeArchive, type ArchiveEntry } from '../../../plugin/archive.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const entries: ArchiveEntry[] = [
  { name: 'kubectl-hcp_dr', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { name: 'oc-hcp_dr', data: Buffer.alloc(70_000, 7), mode: 0o755 },
  { name: 'LICENSE', data: Buffer.from('Apache-2.0\n'), mode: 0o644 },
];
const have = (cmd: string) => spawnSync(cmd, ['--help'], { stdio: 'ignore' }).error === undefined;

describe('release archives', () => {
  it.skipIf(!have('tar'))('tar.gz: regular files with their modes, readable by tar', () => {
    const file = path.join(dir, 'a.tar.gz');
    writeArchive(file, entries);
    const list = spawnSync('tar', ['-tvzf', file], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(list.map((l) => l.slice(0, 10))).toEqual(['-rwxr-xr-x', '-rwxr-xr-x', '-rw-r--r--']);
    const out = path.join(dir, 'tar');
    spawnSync('mkdir', [out]);
    expect(spawnSync('tar', ['-xzf', file, '-C', out]).status).toBe(0);
    for (const e of entries) expect(readFileSync(path.join(out, e.name))).toEqual(e.data);
    expect(statSync(path.join(out, 'kubectl-hcp_dr')).mode & 0o777).toBe(0o755);
  });

  it.skipIf(!have('unzip'))('zip: deflated entries that unzip verifies and extracts', () => {
    const file = path.join(dir, 'a.zip');
    writeArchive(file, entries);
    expect(spawnSync('unzip', ['-t', file], { encoding: 'utf8' }).stdout).toContain('No errors detected');
    const out = path.join(dir, 'zip');
    expect(spawnSync('unzip', ['-q', file, '-d', out]).status).toBe(0);
    for (const e of entries) expect(readFileSync(path.join(out, e.name))).toEqual(e.data);
    expect(statSync(path.join(out, 'oc-hcp_dr')).mode & 0o777).toBe(0o755);
  });

  it('is reproducible: the same entries give the same bytes', () => {
    writeArchive(path.join(dir, 'x.tar.gz'), entries);
    writeArchive(path.join(dir, 'y.tar.gz'), entries);
    expect(readFileSync(path.join(dir, 'x.tar.gz'))).toEqual(readFileSync(path.join(dir, 'y.tar.gz')));
  });
});
