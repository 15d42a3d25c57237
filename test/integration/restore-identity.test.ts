/**
 * A restore on another management cluster keeps the control plane's identity (hypershift-domain.md
 * §5, §2.7 step 7, §2.8 step 3): the backup carries every Secret of the control-plane namespace but
 * tokens and generated credentials, restore creates them before the HostedCluster, and the hosted
 * cluster's existing nodes and a saved admin kubeconfig keep working under the new control plane. A
 * backup that carries only root-ca, etcd-signer and sa-signing-key (older hcp-dr) restores with a
 * warning naming what HyperShift re-generates, and the nodes then go NotReady. On the sandbox with
 * guests: real etcd, real kubectl, certificates checked by the guest API's TLS front (guest-identity.ts).
 */
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, demoBackupUrl, sandboxS3Client, sandboxS3Flags, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { nodeReady } from '../sandbox/hypershift/guest-identity.ts';
import type { GuestCluster } from '../sandbox/hypershift/guest-cluster.ts';
import { KUBECTL, runAsync } from '../support/spawn.ts';
import type { GroupResource } from '../sandbox/api/types.ts';
import { waitFor } from '../support/wait.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import type { RestoreResult } from '../../src/core/contracts/restore.ts';

const SECRETS: GroupResource = { group: '', version: 'v1', plural: 'secrets' };
const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };
const ROUTES: GroupResource = { group: 'route.openshift.io', version: 'v1', plural: 'routes' };
const CP = 'clusters-demo';

let sb: Sandbox;
let manifest: BackupManifest;
let guest: GuestCluster;
let savedKubeconfig = '';
let restoreEnv: (() => void) | undefined;
const restore = (url: string, waitTimeout: string, ...extra: string[]) =>
  runCliInProcess([
    'restore',
    url,
    '--kubeconfig',
    sb.kubeconfig,
    '--context',
    'sandbox-2',
    ...sandboxS3Flags(sb, { https: true }),
    // A restore elsewhere asks whether the source still serves: through the sandbox's DNS, never the system resolver.
    '--dns-server',
    sb.dns!.address,
    '--wait-timeout',
    waitTimeout,
    ...extra,
  ]);
const kubectlGuest = () =>
  runAsync(KUBECTL!, ['--kubeconfig', savedKubeconfig, 'get', 'nodes', '-o', 'name', '--request-timeout=20s'], {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: sb.dir,
  });
const allNodes = (status: string) => guest.nodes().length === 2 && guest.nodes().every((n) => nodeReady(n) === status);

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, guests: true, initBackoffMs: 1000 });
  restoreEnv = useSandboxCredentials(sb);
  const store = sb.clusters[0]!.sim.store;
  await waitFor('the admin kubeconfig of demo', () => store.get(SECRETS, 'clusters', 'demo-admin-kubeconfig'), 60_000);
  guest = sb.guests!.all()[0]!;
  await waitFor('demo nodes joined to its PKI', () => guest.konnectivityAgents().length === 2 && allNodes('True'), 60_000);
  // What a user saved from the source management cluster.
  savedKubeconfig = path.join(sb.dir, 'saved-admin.kubeconfig');
  const data = (store.get(SECRETS, 'clusters', 'demo-admin-kubeconfig')!['data'] as { kubeconfig: string }).kubeconfig;
  await writeFile(savedKubeconfig, Buffer.from(data, 'base64').toString(), { mode: 0o600 });
  const run = await runCliInProcess(demoBackupArgs(sb, ['--yes', '-o', 'json'], { https: true }));
  expect(run.stderr).not.toMatch(/^error:/m);
  manifest = JSON.parse(run.stdout) as BackupManifest;
}, 240_000);

afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

/** The source stops serving: API server at 0 and its Routes deleted, so DNS moves to the destination (as a move does). */
function stopSource(): void {
  const store = sb.clusters[0]!.sim.store;
  store.mutate(DEPLOYMENTS, CP, 'kube-apiserver', (d) => void ((d['spec'] as { replicas: number }).replicas = 0));
  for (const r of store.list(ROUTES, CP)) store.delete(ROUTES, CP, r.metadata.name);
}

/** A copy of the backup as hcp-dr wrote it before it carried the whole control-plane namespace. */
async function olderCopy(): Promise<string> {
  const client = sandboxS3Client(sb);
  try {
    const legacy = new Set(['root-ca', 'etcd-signer', 'sa-signing-key']);
    const old = {
      ...manifest,
      secrets: manifest.secrets.filter((s) => s.role !== 'pki' || legacy.has(s.name)),
    } as Record<string, unknown>;
    delete old['controlPlaneSecrets'];
    const key = `hcp/clusters/demo/${manifest.id}/backup.json`;
    const original = await (await client.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: key }))).Body!.transformToString();
    expect(JSON.parse(original)).toHaveProperty('controlPlaneSecrets');
    // Beside the original: the same stored objects, an older backup.json.
    const to = `older/clusters/demo/${manifest.id}/`;
    for (const rel of ['snapshot.db', 'manifests/hostedcluster.yaml', ...manifest.manifests.nodePools]) {
      const body = await (
        await client.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: `hcp/clusters/demo/${manifest.id}/${rel}` }))
      ).Body!.transformToByteArray();
      await client.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: to + rel, Body: body }));
    }
    await client.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: `${to}backup.json`, Body: JSON.stringify(old) }));
    return `s3://${sb.s3.bucket}/${to}`;
  } finally {
    client.destroy();
  }
}

describe('restore keeps the control plane identity', () => {
  it('the backup carries every CA and the service-account key, names what it left out, and never stores Secret contents in backup.json', async () => {
    const carried = manifest.controlPlaneSecrets?.carried ?? [];
    for (const n of [
      'root-ca',
      'etcd-signer',
      'csr-signer',
      'kube-apiserver-to-kubelet-signer',
      'system-admin-signer',
      'konnectivity-signer',
      'sa-signing-key',
    ])
      expect(carried).toContain(n);
    expect(
      manifest.secrets
        .filter((s) => s.namespace === CP)
        .map((s) => s.name)
        .sort(),
    ).toEqual([...carried].sort());
    expect(JSON.stringify(manifest)).not.toMatch(/ca\.key|BEGIN/);
  });

  it.skipIf(!KUBECTL)(
    'on another management cluster: every carried Secret identical, the nodes stay Ready, a saved admin kubeconfig keeps working',
    async () => {
      const plan = await restore(demoBackupUrl(sb, manifest.id), '3m', '--dry-run', '-o', 'json');
      expect(plan.code, plan.stderr).toBe(0);
      const planned = (JSON.parse(plan.stdout) as RestoreResult).objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`);
      expect(planned).toEqual(expect.arrayContaining(['Secret clusters-demo/csr-signer', 'Secret clusters-demo/system-admin-signer']));
      expect(plan.stderr).not.toMatch(/does not carry/);

      const run = await restore(demoBackupUrl(sb, manifest.id), '3m', '-o', 'json');
      expect(run.stderr).not.toMatch(/^error:/m);
      expect(run.code).toBe(0);
      expect(run.stderr).not.toMatch(/does not carry/);
      const src = sb.clusters[0]!.sim.store;
      const dst = sb.clusters[1]!.sim.store;
      for (const n of manifest.controlPlaneSecrets!.carried)
        expect(dst.get(SECRETS, CP, n)?.['data'], n).toEqual(src.get(SECRETS, CP, n)?.['data']);

      stopSource();
      await waitFor('the hosted cluster API through the destination', () => guest.reachable(), 60_000);
      expect(allNodes('True')).toBe(true);
      const got = await kubectlGuest();
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout.trim().split('\n')).toHaveLength(2);
    },
    400_000,
  );

  it.skipIf(!KUBECTL)(
    'from an older backup (root-ca, etcd-signer, sa-signing-key only): warns naming what is re-generated and what breaks; the nodes go NotReady and the saved kubeconfig is refused',
    async () => {
      const url = await olderCopy();
      // The nodes do not come back: the wait for them (--wait-timeout) ends in a warning. 30 s: the
      // restore itself takes a few seconds here, and the node wait is given the whole timeout again.
      const run = await restore(url, '30s', '--replace', '--yes', '-o', 'json');
      expect(run.stderr).not.toMatch(/^error:/m);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/warning: the backup does not carry .*system-admin-signer.*csr-signer/);
      expect(run.stderr).toMatch(/kubelets.*konnectivity agents.*saved admin kubeconfigs/);
      await waitFor('the hosted cluster API through the destination', () => guest.reachable(), 120_000);
      await waitFor('nodes NotReady under the re-generated CAs', () => allNodes('Unknown'), 60_000);
      const refused = await kubectlGuest();
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/Unauthorized|must be logged in/);
    },
    400_000,
  );
});
