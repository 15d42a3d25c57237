/**
 * `etcd restore --from-member` proves its source before any change (issue 26.2): with one member
 * stopped and quorum intact, naming that member is refused (exit 3) in --dry-run and in the real
 * run, naming the healthy members, with `recover-member` as the hint; nothing is changed. --force
 * plans it anyway (with a warning); a healthy member is accepted as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { waitForKilledMembers } from '../support/etcd-pods.ts';
import type { EtcdRestorePlan } from '../../src/core/etcd-restore/restore-plan.ts';
import { Resources } from '../../src/core/model.ts';

let sb: Sandbox;
const HC = Resources.hostedCluster;
const STS = Resources.statefulSet;
const cli = (...args: string[]) => runCliInProcess([...args, '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);

/** What a refused run must not touch: the HostedCluster (no record, not paused) and the etcd StatefulSet. */
function snapshotOfCluster(): string {
  return JSON.stringify([sb.sim.store.get(HC, 'clusters', 'demo'), sb.sim.store.get(STS, sb.controlPlaneNamespace, 'etcd')]);
}

beforeAll(async () => {
  sb = await startSandbox();
  await sb.etcd.kill(1);
  await waitForKilledMembers(sb);
}, 180_000);

afterAll(async () => {
  await sb?.stop();
});

describe('etcd restore --from-member with one member stopped and quorum intact', { timeout: 120_000 }, () => {
  it('--dry-run refuses the stopped member (exit 3), naming the healthy ones, hint recover-member; nothing changed', async () => {
    const before = snapshotOfCluster();
    const run = await cli('etcd', 'restore', 'demo', '--from-member', 'etcd-1', '--dry-run');
    expect(run.stderr).toMatch(
      /^error: refusing to restore from etcd-1: member etcd-1 is not healthy .* while quorum is intact \(healthy: etcd-0, etcd-2\)/m,
    );
    expect(run.stderr).toMatch(/^hint: replace the broken member instead: kubectl hcp-dr etcd recover-member demo etcd-1 -n clusters;/m);
    expect(run.stderr.match(/^error:/gm)).toHaveLength(1);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(snapshotOfCluster()).toBe(before);
  });

  it('the real run (--yes) is refused the same way before any change', async () => {
    const before = snapshotOfCluster();
    const run = await cli('etcd', 'restore', 'demo', '--from-member', 'etcd-1', '--yes');
    expect(run.stderr).toMatch(/^error: refusing to restore from etcd-1: member etcd-1 is not healthy/m);
    expect(run.code).toBe(3);
    expect(snapshotOfCluster()).toBe(before);
  });

  it('--force plans it anyway, with the reason as a warning', async () => {
    const run = await cli('etcd', 'restore', 'demo', '--from-member', 'etcd-1', '--dry-run', '--force', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/--force: member etcd-1 is not healthy/);
    const plan = JSON.parse(run.stdout) as EtcdRestorePlan;
    expect(plan.notes.join('\n')).toMatch(/--force: member etcd-1 is not healthy/);
  });

  it('a healthy member is accepted', async () => {
    const run = await cli('etcd', 'restore', 'demo', '--from-member', 'etcd-0', '--dry-run');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/PLAN \(dry run, nothing changed\)/);
  });

  it('--force with --from-file is taken (it allows a snapshot of a newer etcd minor); the file is still checked', async () => {
    const run = await cli('etcd', 'restore', 'demo', '--from-file', '/nonexistent', '--force', '--dry-run');
    expect(run.stderr).toMatch(/^error: --from-file "\/nonexistent": no such file/m);
    expect(run.code).toBe(2);
  });
});
