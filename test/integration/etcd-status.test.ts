/**
 * `etcd status` end to end on the sandbox: real etcd members, the API simulator, the real
 * kube adapter (REST + WebSocket exec). One sandbox; tests that break members heal them.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { KUBECTL, runAsync } from '../support/spawn.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { EtcdStatusReport } from '../../src/core/etcd/status.ts';
import type { EtcdSummary, EtcdSummaryItem } from '../../src/core/etcd/status-all.ts';

let sb: Sandbox;
const PODS = { group: '', version: 'v1', plural: 'pods' };
const PVCS = { group: '', version: 'v1', plural: 'persistentvolumeclaims' };

const status = (...extra: string[]) =>
  runCliInProcess(['etcd', 'status', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, ...extra]);
async function report(): Promise<{ code: number; report: EtcdStatusReport; stderr: string }> {
  const run = await status('-o', 'json');
  return { code: run.code, report: JSON.parse(run.stdout) as EtcdStatusReport, stderr: run.stderr };
}
/** clusters/demo's line of `etcd status -A -o json` (the glance: curl through etcd's gateway, no hashkv). */
async function glance(...extra: string[]): Promise<EtcdSummaryItem | undefined> {
  const run = await runCliInProcess(['etcd', 'status', '-A', '-o', 'json', '--kubeconfig', sb.kubeconfig, ...extra]);
  return (JSON.parse(run.stdout) as EtcdSummary).items.find((i) => i.namespace === 'clusters' && i.name === 'demo');
}
/** Exec requests (pod and command) the simulator saw since request number `from`. */
function execsSince(from: number): { pod: string; command: string }[] {
  return sb.sim.requests
    .slice(from)
    .filter((q) => q.url.includes('/exec?'))
    .map((q) => {
      const url = new URL(q.url, 'http://sim');
      return { pod: url.pathname.split('/').at(-2) ?? '', command: url.searchParams.getAll('command').join(' ') };
    });
}

/** Polls until the verdict is `state` (and `also` holds), or returns/throws at the timeout. */
async function waitForState(
  state: string,
  timeoutMs = 30_000,
  also: (r: EtcdStatusReport) => boolean = () => true,
): Promise<EtcdStatusReport> {
  const deadline = Date.now() + timeoutMs;
  let last: EtcdStatusReport | undefined;
  while (Date.now() < deadline) {
    last = (await report()).report;
    if (last.verdict.state === state && also(last)) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`still ${last?.verdict.state} after ${timeoutMs} ms: ${last?.verdict.reason}`);
}

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await sb?.stop();
});

describe('etcd status on the sandbox', () => {
  it('when all members are healthy, it reports Healthy with exact member details and exits 0', async () => {
    const { code, report: r } = await report();
    expect(code).toBe(0);
    expect(r.verdict.state).toBe('Healthy');
    expect(r.members.map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(r.members.filter((m) => m.leader)).toHaveLength(1);
    expect(r.members.every((m) => /^[0-9a-f]{1,16}$/.test(m.id) && m.healthy && m.pod === m.name)).toBe(true);
    expect(new Set(r.members.map((m) => m.hash)).size).toBe(1);
    expect(r.quotaBytes).toBe(8 * 1024 ** 3);
    expect(r.caPath).toBe('/etc/etcd/tls/etcd-ca/ca.crt');
    expect(r.members[0]?.quotaHeadroomBytes).toBe(8 * 1024 ** 3 - (r.members[0]?.dbSizeBytes ?? 0));
    expect(r.conditions.hostedCluster.map((c) => c.type)).toEqual(expect.arrayContaining(['EtcdAvailable', 'ReconciliationActive']));
    // Member IDs match what etcd itself reports (uint64 kept exact).
    const list = await sb.etcd.memberList();
    expect(r.members.map((m) => m.id).sort()).toEqual(list.map((m) => m.id).sort());
    // Each member's server version is the sandbox's etcd release (HCP_DR_ETCD_VERSION, else 3.6); one version, no warning.
    const minor = new RegExp(`^${sb.etcd.version.replace('.', '\\.')}\\.\\d+$`);
    expect(r.members.every((m) => minor.test(m.version ?? ''))).toBe(true);
    expect(r.versions).toHaveLength(1);
    expect(r.warnings).toEqual([]);
  });

  it('asks each etcd pod once: one exec per pod through the API server when all members answer', async () => {
    const from = sb.sim.requests.length;
    const { report: r } = await report();
    expect(r.verdict.state).toBe('Healthy');
    const execs = sb.sim.requests.slice(from).filter((q) => q.url.includes('/exec?'));
    const pods = execs.map((q) => new URL(q.url, 'http://sim').pathname.split('/').at(-2)).sort();
    expect(pods).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(execs.every((q) => q.url.startsWith(`/api/v1/namespaces/${sb.controlPlaneNamespace}/pods/`))).toBe(true);
  });

  it('prints an aligned table by default', async () => {
    const run = await status();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^VERDICT\s+Healthy: 3 of 3 members healthy/m);
    expect(run.stdout).toMatch(/^MEMBER\s+ID\s+POD\s+LEADER/m);
    expect(run.stdout).toMatch(/^etcd-1\s+[0-9a-f]+\s+etcd-1\s+(true|false)/m);
    expect(run.stdout).toMatch(new RegExp(`^ETCD VERSION\\s+${sb.etcd.version.replace('.', '\\.')}\\.\\d+$`, 'm'));
    expect(run.stdout).not.toMatch(/^warning:/m);
  });

  it('when one member process is killed, it is Degraded, names the member and exits 4', async () => {
    await sb.etcd.kill(1);
    try {
      const r = await waitForState('Degraded');
      // Each run waits out the probes' timeouts on the dead member (etcdctl's dial, curl's --max-time):
      // the table and the glance are asked at once.
      const [run, line] = await Promise.all([status(), glance()]);
      expect(r.verdict.reason).toContain('etcd-1');
      expect(r.verdict.hint).toContain('data-etcd-1');
      expect(run.code).toBe(4);
      expect(line?.state).toBe('Degraded');
      expect(line?.members).toBe('2/3');
      expect(line?.reason).toContain('etcd-1');
    } finally {
      await sb.etcd.start(1, { wait: true });
    }
    await waitForState('Healthy');
  });

  it('when two members are killed, it is QuorumLost and exits 4', async () => {
    await sb.etcd.kill(1);
    await sb.etcd.kill(2);
    try {
      const r = await waitForState('QuorumLost');
      // Without quorum each run waits out the probes' timeouts: the table and the glance are asked at once.
      const [run, line] = await Promise.all([status(), glance()]);
      expect(r.verdict.reason).toMatch(/quorum needs 2/);
      expect(run.code).toBe(4);
      expect(line).toMatchObject({ state: 'QuorumLost', reason: expect.stringMatching(/quorum needs 2/) });
    } finally {
      await Promise.all([sb.etcd.start(1), sb.etcd.start(2)]);
      await sb.etcd.waitHealthy();
    }
    await waitForState('Healthy');
  });

  it('when a member PVC and pod are deleted, the member rejoins empty and the cluster is Healthy again', async () => {
    const before = (await report()).report.members.find((m) => m.name === 'etcd-2')?.id;
    sb.sim.store.delete(PVCS, sb.controlPlaneNamespace, 'data-etcd-2');
    sb.sim.store.delete(PODS, sb.controlPlaneNamespace, 'etcd-2');
    // Healthy again only counts once etcd-2 is the re-added member (removed and added, as reset-member does).
    const r = await waitForState('Healthy', 45_000, (rep) => rep.members.find((m) => m.name === 'etcd-2')?.id !== before);
    expect(r.verdict.state).toBe('Healthy');
    expect(r.members.find((m) => m.name === 'etcd-2')?.id).not.toBe(before);
    expect(new Set(r.members.map((m) => m.hash)).size).toBe(1);
    // The rejoined member serves the old keys: its hashkv equals the others' at one revision.
    expect(r.members.every((m) => m.hashRevision === r.members[0]?.hashRevision)).toBe(true);
  });

  it('when a member diverged into its own cluster (split brain), it is Inconsistent', async () => {
    await sb.etcd.makeDivergent(1);
    try {
      const r = await waitForState('Inconsistent');
      expect(r.verdict.reason).toMatch(/split brain|hashkv|members but/);
      expect((await status()).code).toBe(4);
      // Without hashkv, the glance sees the split by the pods' cluster IDs and member lists.
      expect(await glance()).toMatchObject({ state: 'Inconsistent', reason: expect.stringMatching(/split brain|members but/) });
    } finally {
      await sb.etcd.rejoin(1, { wait: true });
    }
    await waitForState('Healthy', 45_000);
  });

  it('when a fourth stray member is in the member list, it is Inconsistent and names the count', async () => {
    // etcd refuses membership changes for a few seconds after a member (re)joined: memberChange retries.
    const added = await sb.etcd.memberChange(['member', 'add', 'stray', '--peer-urls=https://127.0.0.1:1'], 0);
    expect(added.code, added.stderr).toBe(0);
    // etcdctl prints the ID with %16x: an ID of fewer than 16 hex digits comes padded with spaces.
    const id = /Member\s+([0-9a-f]+)\s+added/.exec(added.stdout)?.[1] ?? '';
    expect(id, added.stdout).toMatch(/^[0-9a-f]+$/);
    try {
      const r = await waitForState('Inconsistent');
      expect(r.verdict.reason).toContain('4 members but the StatefulSet wants 3');
      expect((await glance())?.reason).toContain('4 members but the StatefulSet wants 3');
    } finally {
      const removed = await sb.etcd.memberChange(['member', 'remove', id], 0);
      expect(removed.code === 0 || /member not found/i.test(removed.stderr), removed.stderr).toBe(true);
    }
    await waitForState('Healthy');
  });

  it('-A prints one line per HostedCluster, Unmanaged ones included, and exits 0 when all are Healthy', async () => {
    const run = await runCliInProcess(['etcd', 'status', '-A', '--kubeconfig', sb.kubeconfig]);
    expect(run.stdout).toMatch(/^clusters\s+demo\s+Healthy\s+3\/3/m);
    expect(run.code).toBe(0);
  });

  it('-A asks each etcd pod once, through one curl and no etcdctl; --hashkv asks etcdctl for hashkv too', async () => {
    const from = sb.sim.requests.length;
    expect((await glance())?.state).toBe('Healthy');
    const execs = execsSince(from);
    expect(execs.map((e) => e.pod).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    for (const e of execs) {
      expect(e.command).toContain('curl');
      expect(e.command).toContain('/v3/maintenance/status');
      expect(e.command).not.toContain('etcdctl');
    }
    const deep = sb.sim.requests.length;
    expect((await glance('--hashkv'))?.state).toBe('Healthy');
    expect(execsSince(deep).every((e) => e.command.includes('etcdctl') && e.command.includes('hashkv'))).toBe(true);
  });

  it('-A in an etcd image without curl asks etcdctl instead, with the same verdict', async () => {
    await sb.etcd.removeFromImage(['curl']);
    try {
      const from = sb.sim.requests.length;
      expect(await glance()).toMatchObject({ state: 'Healthy', members: '3/3' });
      const execs = execsSince(from);
      // Per pod: the curl script (exit 127), then one script of etcdctl calls.
      expect(
        execs
          .filter((e) => e.command.includes('etcdctl'))
          .map((e) => e.pod)
          .sort(),
      ).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
      await sb.etcd.kill(2);
      try {
        const line = await glance();
        expect(line?.state).toBe('Degraded');
        expect(line?.reason).toContain('etcd-2');
      } finally {
        await sb.etcd.start(2, { wait: true });
      }
    } finally {
      await sb.etcd.removeFromImage([]);
    }
    await waitForState('Healthy');
  });
});

describe.skipIf(!KUBECTL)("through kubectl's plugin mechanism (kubectl on this machine)", () => {
  it('kubectl hcp-dr etcd status demo -n clusters runs the checkout plugin and reports Healthy', async () => {
    const env = {
      ...process.env,
      KUBECONFIG: sb.kubeconfig,
      HOME: sb.dir,
      PATH: `${path.join(REPO_ROOT, 'plugin')}:${process.env['PATH'] ?? ''}`,
    };
    const run = await runAsync(KUBECTL as string, ['hcp-dr', 'etcd', 'status', 'demo', '-n', 'clusters'], env);
    expect(run.out).toMatch(/^VERDICT\s+Healthy/m);
    expect(run.code).toBe(0);
  });
});

describe('etcd status refusals', () => {
  it('when the HostedCluster does not exist, it exits 3 with a hint', async () => {
    const run = await runCliInProcess(['etcd', 'status', 'nope', '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: failed to find HostedCluster "nope" in namespace "clusters"$/m);
    expect(run.stderr).toMatch(/^hint: .*get hostedclusters -A/m);
  });

  it('when etcd is Unmanaged, it says so clearly and exits 3', async () => {
    const hc = structuredClone(
      sb.sim.store.get({ group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' }, 'clusters', 'demo'),
    );
    if (!hc) throw new Error('seed missing');
    hc.metadata = { name: 'external', namespace: 'clusters' };
    (hc['spec'] as Record<string, unknown>)['etcd'] = {
      managementType: 'Unmanaged',
      unmanaged: { endpoint: 'https://etcd.example.com:2379', tls: { clientSecret: { name: 'x' } } },
    };
    sb.sim.store.create({ group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' }, hc);
    const run = await runCliInProcess(['etcd', 'status', 'external', '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('uses unmanaged etcd (spec.etcd.managementType: Unmanaged)');
    const all = await runCliInProcess(['etcd', 'status', '-A', '--kubeconfig', sb.kubeconfig]);
    expect(all.stdout).toMatch(/^clusters\s+external\s+Unmanaged/m);
  });

  it('when the token is denied, it prints the 403 clearly and exits 1', async () => {
    sb.sim.denyToken('denied-token');
    const kubeconfig = await sb.sim.writeKubeconfig(path.join(sb.dir, 'denied.kubeconfig'), {
      token: 'denied-token',
      namespace: 'clusters',
    });
    const run = await runCliInProcess(['etcd', 'status', 'demo', '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error: failed to get hostedclusters\.hypershift\.openshift\.io "demo" in namespace "clusters": .*forbidden/m,
    );
    expect(run.stderr).toMatch(/^hint: /m);
  });

  it('when the kubeconfig does not exist or lacks the context, it exits 2 with a clear message', async () => {
    const missing = await runCliInProcess(['etcd', 'status', 'demo', '--kubeconfig', path.join(sb.dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`kubeconfig file "${path.join(sb.dir, 'nope.yaml')}" does not exist`);
    const ctx = await runCliInProcess(['etcd', 'status', 'demo', '--kubeconfig', sb.kubeconfig, '--context', 'prod']);
    expect(ctx.code).toBe(2);
    expect(ctx.stderr).toContain('context "prod" does not exist in the kubeconfig');
    expect(ctx.stderr).toContain('hint: use one of: sandbox');
  });

  it('when KUBECONFIG lists several files, the first existing context wins and missing paths are skipped', async () => {
    const other = path.join(sb.dir, 'other.kubeconfig');
    await writeFile(other, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    const saved = process.env['KUBECONFIG'];
    process.env['KUBECONFIG'] = [path.join(sb.dir, 'absent'), sb.kubeconfig, other].join(':');
    try {
      const run = await runCliInProcess(['etcd', 'status', 'demo', '-n', 'clusters', '-o', 'json']);
      expect(run.code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    }
  });
});
