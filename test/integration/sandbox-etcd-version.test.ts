/** `npm run sandbox -- up --etcd-version 3.4|3.5|3.6`: the sandbox's etcd release, shown by `etcd status`. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../sandbox/sandbox.ts';
import { runAsync } from '../support/spawn.ts';
import { etcdAvailable } from '../sandbox/etcd/versions.ts';
import type { EtcdStatusReport } from '../../src/core/etcd/status.ts';

let stateDir = '';
const sandbox = (...args: string[]) =>
  runAsync(process.execPath, [path.join(REPO_ROOT, 'test/sandbox/cli.ts'), ...args], { ...process.env, HCP_DR_SANDBOX_STATE: stateDir });

afterAll(async () => {
  if (!stateDir) return;
  await sandbox('down');
  await rm(path.dirname(stateDir), { recursive: true, force: true });
});

describe('sandbox --etcd-version', () => {
  it('an unknown version is a usage error (exit 2) naming the choices', async () => {
    stateDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-sbver-')), 'state');
    const up = await sandbox('up', '--etcd-version', '3.7');
    expect(up.code).toBe(2);
    expect(up.out).toContain('--etcd-version takes one of 3.4, 3.5, 3.6');
  });

  it.skipIf(!etcdAvailable('3.5'))('up --etcd-version 3.5: etcd status shows every member on 3.5', async () => {
    const up = await sandbox('up', '--etcd-version', '3.5');
    expect(up.code, up.out).toBe(0);
    expect(up.out).toContain('all on 127.0.0.1, etcd 3.5');
    const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as { kubeconfig: string };
    const status = await runAsync(
      process.execPath,
      [path.join(REPO_ROOT, 'src/main.ts'), 'etcd', 'status', 'demo', '-n', 'clusters', '--kubeconfig', state.kubeconfig, '-o', 'json'],
      process.env,
    );
    expect(status.code, status.out).toBe(0);
    const report = JSON.parse(status.stdout) as EtcdStatusReport;
    expect(report.members).toHaveLength(3);
    expect(report.members.every((m) => /^3\.5\.\d+$/.test(m.version ?? ''))).toBe(true);
    // Asking for another version while this one runs says so instead of pretending.
    const again = await sandbox('up', '--etcd-version', '3.6');
    expect(again.code).toBe(1);
    expect(again.out).toContain('this one runs etcd 3.5');
  });
});
