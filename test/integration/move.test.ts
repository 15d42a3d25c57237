/**
 * `move` end to end on the sandbox's move world: two management clusters with HyperShift operator
 * and external-DNS stand-ins writing one DNS server, the seeded demo (real etcd, CAPI objects with
 * finalizers, a guest API with OVN pods) moved from the first to the second and back, through the
 * S3 server's https front. The CLI runs in process with the real adapters and the real resolver.
 */
import { etcdInitSplitBrainDefault } from '../sandbox/hypershift/operator.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type ManagementCluster, type Sandbox } from '../sandbox/sandbox.ts';
import { demoMoveArgs, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { CAPI_RESOURCES, MACHINES } from '../sandbox/hypershift/capi.ts';
import { waitFor } from '../support/wait.ts';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sandboxS3Client } from '../support/sandbox-s3.ts';
import { nodeReady } from '../sandbox/hypershift/guest-identity.ts';
import { KUBECTL, runAsync } from '../support/spawn.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import type { MoveResult } from '../../src/core/move/types.ts';
import type { GroupResource } from '../sandbox/api/types.ts';

const HS = (plural: string): GroupResource => ({ group: 'hypershift.openshift.io', version: 'v1beta1', plural });
const HC = HS('hostedclusters');
const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };
const NAMESPACES: GroupResource = { group: '', version: 'v1', plural: 'namespaces' };
const SECRETS: GroupResource = { group: '', version: 'v1', plural: 'secrets' };
const OPERATION = 'hcp-dr.openshift.io/operation';
const API = 'api-demo.hcp.example.com';

let sb: Sandbox;
let m1: ManagementCluster;
let m2: ManagementCluster;
let restoreEnv: (() => void) | undefined;

const move = (from: string, to: string, ...extra: string[]) =>
  runCliInProcess(demoMoveArgs(sb, from, to, ['--wait-timeout', '3m', ...extra]));
const resolved = async () =>
  (
    await sb
      .dns!.resolver()
      .resolve4(API)
      .catch(() => [] as string[])
  ).sort();
/** Every Secret of the control-plane namespace on `m`: name -> type and data, as stored. */
const cpSecrets = (m: ManagementCluster) =>
  new Map(
    m.sim.store.list(SECRETS, 'clusters-demo').map((x) => [x.metadata.name, JSON.stringify({ type: x['type'], data: x['data'] })] as const),
  );
/** The backup.json a move wrote at `url` (s3://bucket/prefix/). */
async function manifestAt(url: string): Promise<BackupManifest> {
  const key = `${url.replace(/^s3:\/\/[^/]+\//, '')}backup.json`;
  const client = sandboxS3Client(sb);
  try {
    const body = await (await client.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: key }))).Body!.transformToString();
    return JSON.parse(body) as BackupManifest;
  } finally {
    client.destroy();
  }
}
const kubectlGuest = (kubeconfig: string) =>
  runAsync(KUBECTL!, ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'name', '--request-timeout=20s'], {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: sb.dir,
  });
const replicas = (m: ManagementCluster, name: string) =>
  (m.sim.store.get(DEPLOYMENTS, 'clusters-demo', name)?.['spec'] as { replicas?: number } | undefined)?.replicas;

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, guests: true, capi: true, initBackoffMs: 1000 });
  [m1, m2] = sb.clusters as [ManagementCluster, ManagementCluster];
  restoreEnv = useSandboxCredentials(sb);
  await waitFor('api-demo published by the first cluster', async () => (await resolved())[0] === m1.ingressAddress, 60_000);
  await sb.etcd.put('/move-test/alpha', 'one');
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

describe('move', () => {
  it('--dry-run runs every check on both sides, prints every phase and changes nothing', async () => {
    const before = JSON.stringify(m1.sim.store.get(HC, 'clusters', 'demo'));
    const run = await move('sandbox', 'sandbox-2', '--dry-run', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as MoveResult;
    expect(r.state).toBe('Planned');
    expect(r.preflight.every((c) => c.ok)).toBe(true);
    expect(r.preflight.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'source etcd',
        'API hostname',
        'destination HyperShift operator',
        'destination external DNS',
        'destination is free',
        'bucket',
      ]),
    );
    expect(r.plan.map((p) => p.phase)).toEqual([
      'frozen',
      'backed-up',
      'dns-handoff',
      'restoring',
      'verified',
      'tearing-down',
      'source-removed',
    ]);
    expect(r.plan.flatMap((p) => p.actions).join('\n')).toContain('Machine.cluster.x-k8s.io');
    expect(JSON.stringify(m1.sim.store.get(HC, 'clusters', 'demo'))).toBe(before);
    expect(m2.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
  });

  it('refuses in preflight, changing nothing, when the destination has the control-plane namespace or no running external DNS', async () => {
    m2.sim.store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters-demo' } });
    const taken = await move('sandbox', 'sandbox-2', '--yes');
    expect(taken.code).toBe(3);
    expect(taken.stderr).toMatch(/^error: failed to move "clusters\/demo": destination is free: namespace clusters-demo exists there/m);
    expect(taken.stderr).toMatch(/^hint: nothing was changed/m);
    m2.sim.store.delete(NAMESPACES, undefined, 'clusters-demo');
    await waitFor('namespace gone', () => !m2.sim.store.get(NAMESPACES, undefined, 'clusters-demo'));

    m2.sim.store.mutate(DEPLOYMENTS, 'hypershift', 'external-dns', (d) => {
      (d['spec'] as { replicas: number }).replicas = 0;
    });
    const noDns = await move('sandbox', 'sandbox-2', '--yes');
    m2.sim.store.mutate(DEPLOYMENTS, 'hypershift', 'external-dns', (d) => {
      (d['spec'] as { replicas: number }).replicas = 1;
    });
    expect(noDns.code).toBe(3);
    expect(noDns.stderr).toContain('destination external DNS: deployment hypershift/external-dns is scaled to 0');
    expect(m1.sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations?.[OPERATION]).toBeUndefined();
    expect(replicas(m1, 'kube-apiserver')).toBeGreaterThan(0);
  });

  it(
    'moves demo to the second cluster keeping its nodes (default: machines adopted): verified by data there, the API name resolves there, the split brain repaired (released etcd-init), every carried control-plane Secret identical, the nodes Ready under the new control plane with their kubelet certificates, a saved admin kubeconfig still working, no instance leaked or duplicated, nothing left on the source, OVN restarted',
    { timeout: 300_000 },
    async () => {
      const guest = sb.guests!.get('demo-x7k2p')!;
      const ovnBefore = guest.ovnRestarts();
      const machines = m1.sim.store.list(MACHINES, 'clusters-demo').map((m) => m.metadata.name);
      expect(machines).toHaveLength(2);
      const instancesBefore = sb.cloud!.instances('demo-x7k2p').filter((i) => i.state === 'running');
      expect(instancesBefore.map((i) => i.owner.cluster)).toEqual(['sandbox', 'sandbox']);
      // Before the move: the nodes joined the source's PKI, an admin kubeconfig saved from the source, its Secrets.
      const allReady = () => guest.nodes().length === 2 && guest.nodes().every((n) => nodeReady(n) === 'True');
      await waitFor('demo nodes joined to its PKI', () => guest.konnectivityAgents().length === 2 && allReady(), 60_000);
      const kubeletsBefore = new Map(guest.nodes().map((n) => [n.metadata.name, guest.kubeletCertificate(n.metadata.name)]));
      for (const [n, cert] of kubeletsBefore) expect(cert, n).toMatch(/BEGIN CERTIFICATE/);
      const adminSecret = await waitFor(
        'the admin kubeconfig of demo',
        () => m1.sim.store.get(SECRETS, 'clusters', 'demo-admin-kubeconfig'),
        60_000,
      );
      const savedKubeconfig = path.join(sb.dir, 'move-saved-admin.kubeconfig');
      const saved = Buffer.from((adminSecret['data'] as { kubeconfig: string }).kubeconfig, 'base64').toString();
      await writeFile(savedKubeconfig, saved, { mode: 0o600 });
      expect(saved).toContain('client-certificate-data');
      const secretsBefore = cpSecrets(m1);
      const run = await move('sandbox', 'sandbox-2', '--yes', '-o', 'json', '-v');
      expect(run.code, run.stderr).toBe(0);
      const r = JSON.parse(run.stdout) as MoveResult;
      expect(r.state).toBe('Moved');
      expect(r.restore?.verdict.state).toBe('Restored');
      // On the released etcd-init (the default) the destination's split etcd is repaired before it is declared verified.
      expect(r.restore?.repair?.repaired ?? false).toBe(etcdInitSplitBrainDefault());
      expect(r.restore?.etcd?.members).toHaveLength(3);
      expect(r.restore?.etcd?.hashRevision).not.toBeNull();
      // The result says whether a repair ran and why; the members agree: one per replica, one hashkv.
      if (etcdInitSplitBrainDefault()) {
        expect(r.restore?.repair?.reason).toMatch(/split brain/);
        expect(r.restore?.repair?.actions.length).toBeGreaterThan(0);
      } else expect(r.restore?.repair).toBeNull();
      expect(r.restore?.etcd?.members).toHaveLength(r.restore!.etcd!.replicas);
      const hashes = new Set(r.restore!.etcd!.members.map((m) => m.hash));
      expect(hashes.size).toBe(1);
      expect([...hashes][0]).not.toBeNull();
      expect(new Set(r.restore!.etcd!.members.map((m) => m.id)).size).toBe(r.restore!.etcd!.replicas);
      // Every carried Secret of the control-plane namespace is on the destination as it was on the source.
      const carried = (await manifestAt(r.backup!)).controlPlaneSecrets?.carried ?? [];
      expect(carried).toEqual(
        expect.arrayContaining(['root-ca', 'csr-signer', 'kube-apiserver-to-kubelet-signer', 'system-admin-signer', 'sa-signing-key']),
      );
      const secretsAfter = cpSecrets(m2);
      for (const n of carried) expect(secretsAfter.get(n), n).toBe(secretsBefore.get(n));
      // The nodes Ready under the new control plane with the kubelet certificates they had; the saved kubeconfig works.
      await waitFor('the hosted cluster API through the destination', () => guest.reachable(), 60_000);
      expect(allReady()).toBe(true);
      expect(new Map(guest.nodes().map((n) => [n.metadata.name, guest.kubeletCertificate(n.metadata.name)]))).toEqual(kubeletsBefore);
      expect(guest.konnectivityAgents().every((a) => a.connected)).toBe(true);
      expect(KUBECTL, 'the real kubectl (test/setup.sh)').toBeDefined();
      const got = await kubectlGuest(savedKubeconfig);
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout.trim().split('\n').sort()).toEqual(instancesBefore.map((i) => `node/${i.nodeName}`).sort());
      expect(r.phases.map((p) => p.phase)).toEqual(['frozen', 'backed-up', 'dns-handoff', 'restoring', 'tearing-down', 'source-removed']);
      expect(r.steps.map((s) => s.step)).toEqual(['dns-release', 'restore', 'dns-destination', 'ovn-restart', 'nodes']);
      // The nodes: adopted by default, Ready under the new control plane, the same instances, none leaked.
      expect(r.nodeMode).toBe('adopt');
      // The next steps say what became of the nodes in this move, not a restore's "NodePools provision new machines".
      expect(r.nextSteps.join('\n')).toMatch(/nodes: the running instances were adopted by the destination/);
      expect(r.nextSteps.join('\n')).not.toMatch(/not re-adopted/);
      expect(r.preflight.find((c) => c.name === 'nodes')?.detail).toMatch(/^adopt: 2 AWSMachine/);
      expect(r.nodes).toMatchObject({ state: 'Ready', expected: 2, ready: 2, total: 2 });
      const instancesAfter = sb.cloud!.instances('demo-x7k2p');
      expect(
        instancesAfter
          .filter((i) => i.state === 'running')
          .map((i) => i.providerID)
          .sort(),
      ).toEqual(instancesBefore.map((i) => i.providerID).sort());
      expect(instancesAfter.filter((i) => i.state !== 'running')).toEqual([]);
      expect(instancesAfter.every((i) => i.owner.cluster === 'sandbox-2' && i.ownerExists && !i.leaked)).toBe(true);
      expect(
        guest
          .nodes()
          .map((n) => n.metadata.name)
          .sort(),
      ).toEqual(instancesBefore.map((i) => i.nodeName).sort());
      expect(run.stderr).toMatch(/^nodes: 2\/2 Ready/m);
      expect(run.stderr).toContain('handed the instances of 2 machine(s) over to the destination');
      expect(r.downtimeSeconds).toBeGreaterThan(0);
      expect(await m2.operator!.etcd('clusters-demo')!.get('/move-test/alpha')).toBe('one');
      expect(await resolved()).toEqual([m2.ingressAddress]);
      // The source holds nothing of the cluster.
      expect(m1.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
      expect(
        m1.sim.store.list(HS('nodepools'), 'clusters').filter((np) => (np['spec'] as { clusterName?: string }).clusterName === 'demo'),
      ).toEqual([]);
      expect(m1.sim.store.get(NAMESPACES, undefined, 'clusters-demo')).toBeUndefined();
      for (const r2 of CAPI_RESOURCES) expect(m1.sim.store.list(r2, 'clusters-demo')).toEqual([]);
      expect(m1.sim.store.list(SECRETS, 'clusters').map((x) => x.metadata.name)).not.toContain('demo-admin-kubeconfig');
      // OVN restarted once per pod; the destination keeps no record.
      expect(r.ovnPodsRestarted).toBe(guest.ovnPods().length);
      expect(guest.ovnRestarts() - ovnBefore).toBe(r.ovnPodsRestarted);
      const dst = m2.sim.store.get(HC, 'clusters', 'demo')!;
      expect(Object.keys(dst.metadata.annotations ?? {}).filter((k) => k === OPERATION || k === 'hcp-dr.openshift.io/move')).toEqual([]);
      expect(run.stderr).toContain('step: dns-released');
      // Adopted: the source's machines, from the backup, before the operator would make new ones.
      const moved = m2.sim.store.list(MACHINES, 'clusters-demo');
      expect(moved.map((m) => m.metadata.name).sort()).toEqual([...machines].sort());
      for (const m of moved) expect(m.metadata.annotations?.['hcp-dr.openshift.io/restored-from']).toBe(r.backup);
    },
  );

  it(
    'DNS that never releases: a timeout naming the record, the source frozen and resumable; resume finishes it',
    { timeout: 300_000 },
    async () => {
      m2.externalDns!.halt();
      const run = await move('sandbox-2', 'sandbox', '--yes', '--dns-timeout', '3s');
      // Past the point of no return: exit 5, the cause, and the resume that continues.
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(
        new RegExp(
          `^error: failed to move "clusters/demo": stopped after the point of no return \\(the source stays paused for good\\): DNS hand-off timed out after 3s: A record ${API.replace(/\./g, '\\.')} still resolves to ${m2.ingressAddress.replace(/\./g, '\\.')}`,
          'm',
        ),
      );
      expect(run.stderr).toContain('api-demo-external-dns.hcp.example.com');
      expect(run.stderr).toMatch(/^hint: .*resume demo -n clusters --context sandbox-2/m);
      const src = m2.sim.store.get(HC, 'clusters', 'demo')!;
      expect((src['spec'] as { pausedUntil?: string }).pausedUntil).toBe('true');
      expect(JSON.parse(src.metadata.annotations?.[OPERATION] ?? '{}')).toMatchObject({ type: 'move', phase: 'dns-handoff' });
      expect(replicas(m2, 'kube-apiserver')).toBe(0);
      expect(m1.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
      // Teardown never started: the source's control plane is whole.
      expect(m2.sim.store.get(NAMESPACES, undefined, 'clusters-demo')).toBeDefined();

      m2.externalDns!.resume();
      const resumed = await runCliInProcess([
        'resume',
        'demo',
        '-n',
        'clusters',
        '--kubeconfig',
        sb.kubeconfig,
        '--context',
        'sandbox-2',
        '-o',
        'json',
      ]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await resolved()).toEqual([m1.ingressAddress]);
      expect(m2.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
      expect(await m1.operator!.etcd('clusters-demo')!.get('/move-test/alpha')).toBe('one');
      // Back on the first cluster with the same instances: adopted again, nothing leaked or added.
      const instances = sb.cloud!.instances('demo-x7k2p');
      expect(instances.filter((i) => i.state === 'running')).toHaveLength(2);
      expect(instances.every((i) => i.state === 'running' && i.owner.cluster === 'sandbox' && !i.leaked)).toBe(true);
      expect(sb.guests!.get('demo-x7k2p')!.nodes()).toHaveLength(2);
    },
  );

  it(
    '--no-repair on the released etcd-init: the dry run says so; the move stops at the split brain (SplitBrain, exit 4, the source paused for good, both records at restoring), not verified; the resume it names repairs in place and finishes',
    { timeout: 420_000 },
    async () => {
      const plan = await move('sandbox', 'sandbox-2', '--dry-run', '--no-repair', '-o', 'json');
      expect(plan.code, plan.stderr).toBe(0);
      const planned = JSON.parse(plan.stdout) as MoveResult;
      expect(planned.repairSplitBrain).toBe(false);
      expect(planned.plan.find((p) => p.phase === 'restoring')?.actions.join('\n')).toMatch(
        /--no-repair: .*stop there \(SplitBrain, exit 4\)/,
      );
      const dryDefault = JSON.parse((await move('sandbox', 'sandbox-2', '--dry-run', '-o', 'json')).stdout) as MoveResult;
      expect(dryDefault.repairSplitBrain).toBe(true);

      const released = etcdInitSplitBrainDefault();
      m2.operator!.setSplitBrainRestore(true);
      let run;
      try {
        run = await move('sandbox', 'sandbox-2', '--yes', '--no-repair', '-o', 'json');
      } finally {
        m2.operator!.setSplitBrainRestore(released);
      }
      expect(run.code, run.stderr).toBe(4);
      const r = JSON.parse(run.stdout) as MoveResult;
      expect(r.state).toBe('SplitBrain');
      expect(r.repairSplitBrain).toBe(false);
      expect(r.restore?.verdict.state).toBe('SplitBrain');
      expect(r.restore?.repair).toMatchObject({ repaired: false });
      expect(r.phases.map((p) => p.phase)).toEqual(['frozen', 'backed-up', 'dns-handoff', 'restoring']);
      expect(r.downtimeSeconds).toBeNull();
      expect(r.nextSteps).toHaveLength(1);
      expect(r.nextSteps[0]).toMatch(
        /its own cluster \(OCPBUGS-99534\): do not use clusters\/demo there; repair it in place from the same backup/,
      );
      expect(run.stderr).toMatch(/^warning: SplitBrain: split brain/m);
      expect(run.stderr).toMatch(/^warning: hint: .*"kubectl hcp-dr resume demo -n clusters --context sandbox /m);
      // Not verified: the source paused for good and not torn down; both records at restoring, the stop recorded.
      const src = m1.sim.store.get(HC, 'clusters', 'demo')!;
      expect((src['spec'] as { pausedUntil?: string }).pausedUntil).toBe('true');
      expect(JSON.parse(src.metadata.annotations?.[OPERATION] ?? '{}')).toMatchObject({
        phase: 'restoring',
        repair: false,
        splitBrain: expect.stringMatching(/^split brain/),
      });
      const dst = m2.sim.store.get(HC, 'clusters', 'demo')!;
      expect(JSON.parse(dst.metadata.annotations?.['hcp-dr.openshift.io/move'] ?? '{}')).toMatchObject({
        phase: 'restoring',
        repair: false,
      });
      expect(m1.sim.store.get(NAMESPACES, undefined, 'clusters-demo')).toBeDefined();
      // The destination's members really are apart: etcd status does not call them Healthy.
      const status = await runCliInProcess([
        'etcd',
        'status',
        'demo',
        '-n',
        'clusters',
        '--kubeconfig',
        sb.kubeconfig,
        '--context',
        'sandbox-2',
        '-o',
        'json',
      ]);
      expect(['SplitBrain', 'Inconsistent']).toContain(JSON.parse(status.stdout).verdict.state);

      const resumeArgs = /"\{cmd\} (resume [^"]+)"/.exec(r.nextSteps[0] ?? '')?.[1]?.split(/\s+/);
      expect(resumeArgs, r.nextSteps[0]).toBeDefined();
      const resumed = await runCliInProcess([...resumeArgs!, '-o', 'json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/repairing in place from the same backup/);
      expect(JSON.parse(resumed.stdout).actions.join('\n')).toMatch(/finished: clusters\/demo runs on the destination/);
      for (let i = 0; i < 3; i++) expect(await m2.operator!.etcd('clusters-demo')!.get('/move-test/alpha', i)).toBe('one');
      const after = await runCliInProcess([
        'etcd',
        'status',
        'demo',
        '-n',
        'clusters',
        '--kubeconfig',
        sb.kubeconfig,
        '--context',
        'sandbox-2',
        '-o',
        'json',
      ]);
      expect(JSON.parse(after.stdout).verdict.state).toBe('Healthy');
      expect(m1.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
      expect(await resolved()).toEqual([m2.ingressAddress]);
      const moved = m2.sim.store.get(HC, 'clusters', 'demo')!;
      expect(Object.keys(moved.metadata.annotations ?? {}).filter((k) => k === OPERATION || k === 'hcp-dr.openshift.io/move')).toEqual([]);
    },
  );

  it(
    '--nodes keep: no NodePool on the destination, no new instance; the same nodes Ready under the new control plane, their instances reported as managed by no cluster',
    { timeout: 300_000 },
    async () => {
      const before = sb.cloud!.instances('demo-x7k2p').filter((i) => i.state === 'running');
      expect(before).toHaveLength(2);
      // demo is on the second cluster since the --no-repair test: kept on its way back to the first.
      const run = await move('sandbox-2', 'sandbox', '--yes', '--nodes', 'keep', '-o', 'json');
      expect(run.code, run.stderr).toBe(0);
      const r = JSON.parse(run.stdout) as MoveResult;
      expect(r.nodeMode).toBe('keep');
      expect(r.nodes).toMatchObject({ state: 'Ready', expected: 2, ready: 2, total: 2 });
      expect(m1.sim.store.list(HS('nodepools'), 'clusters')).toEqual([]);
      expect(m1.sim.store.list(MACHINES, 'clusters-demo')).toEqual([]);
      const after = sb.cloud!.instances('demo-x7k2p');
      expect(after.map((i) => i.providerID).sort()).toEqual(before.map((i) => i.providerID).sort());
      expect(after.every((i) => i.state === 'running' && i.leaked)).toBe(true);
      expect(run.stderr).toContain(
        'left the instances of 2 machine(s) running as nodes in service; no management cluster manages them now',
      );
      expect(m2.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
    },
  );
});
