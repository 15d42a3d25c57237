/**
 * `restore` end to end on the sandbox's HyperShift world: two management clusters sharing one
 * S3 server, the operator stand-in creating control planes with real etcd members, and the
 * etcd-init stand-in downloading the pre-signed URL with the real curl and restoring with the
 * real etcdctl, over the sandbox S3 server's https front (its own CA: --ca-bundle; the sandbox puts
 * that CA into the etcd image, etcdImageTrustsS3Ca), as HyperShift's CRD accepts only https snapshot URLs.
 */
import { CopyObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { etcdInitSplitBrainDefault } from '../sandbox/hypershift/operator.ts';
import { demoBackupArgs, demoBackupUrl, sandboxS3Client, sandboxS3Flags, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { connectKube } from '../../src/kube/session.ts';
import { Resources } from '../../src/core/model.ts';
import type { KubeApi, Reporter } from '../../src/core/ports.ts';
import type { RestoreResult } from '../../src/core/contracts/restore.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';

let sb: Sandbox;
let backupUrl: string;
let manifest: BackupManifest;
let restoreEnv: (() => void) | undefined;
const quiet: Reporter = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const s3Flags = () => sandboxS3Flags(sb, { https: true });
/** The sandbox's DNS server: a restore elsewhere asks it whether the source still serves (never the system resolver). */
const dnsFlags = () => ['--dns-server', sb.dns?.address ?? ''];
const restore = (...extra: string[]) =>
  runCliInProcess(['restore', backupUrl, '--kubeconfig', sb.kubeconfig, ...s3Flags(), ...dnsFlags(), '--wait-timeout', '2m', ...extra]);
const api = async (context: string): Promise<KubeApi> => (await connectKube({ kubeconfig: sb.kubeconfig, context }, quiet)).api;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes clusters/demo as a user would and waits until its control plane is gone. */
async function deleteDemo(context: string): Promise<void> {
  const a = await api(context);
  for (const np of await a.list(Resources.nodePool, 'clusters')) await a.delete(Resources.nodePool, 'clusters', np.metadata.name ?? '');
  await a.delete(Resources.hostedCluster, 'clusters', 'demo');
  await until('the control plane to go', async () =>
    (await a.get(Resources.namespace, '', 'clusters-demo')) || (await a.get(Resources.hostedCluster, 'clusters', 'demo'))
      ? undefined
      : true,
  );
}

/** The suite's etcd-init flavour: released unless HCP_DR_SANDBOX_ETCD_INIT=fixed; the tests of one flavour set it and put it back. */
const releasedByDefault = etcdInitSplitBrainDefault();
async function onFlavour<T>(released: boolean, work: () => Promise<T>): Promise<T> {
  sb.clusters[1]?.operator?.setSplitBrainRestore(released);
  try {
    return await work();
  } finally {
    sb.clusters[1]?.operator?.setSplitBrainRestore(releasedByDefault);
  }
}

const clusterIndex = (context: string) => (context === 'sandbox' ? 0 : 1);
const restoredEtcd = (context: string) => sb.clusters[clusterIndex(context)]?.operator?.etcd('clusters-demo');

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, initBackoffMs: 1000 });
  restoreEnv = useSandboxCredentials(sb);
  await sb.etcd.put('/hcp-dr-test/alpha', 'one');
  await sb.etcd.put('/hcp-dr-test/beta', 'two');
  const run = await runCliInProcess(demoBackupArgs(sb, ['--yes', '-o', 'json'], { https: true }));
  expect(run.stderr).not.toMatch(/^error:/m);
  manifest = JSON.parse(run.stdout) as BackupManifest;
  backupUrl = demoBackupUrl(sb, manifest.id);
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

/** A copy of the backup as an hcp-dr of backup.json format 1 would have written it: key only, no PKI or references. */
async function formatOneCopy(): Promise<string> {
  const client = sandboxS3Client(sb);
  try {
    const from = `hcp/clusters/demo/${manifest.id}/`;
    const to = `format1/clusters/demo/${manifest.id}/`;
    const listed = await client.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: from }));
    for (const o of listed.Contents ?? []) {
      const key = o.Key ?? '';
      await client.send(
        new CopyObjectCommand({ Bucket: sb.s3.bucket, Key: to + key.slice(from.length), CopySource: `${sb.s3.bucket}/${key}` }),
      );
    }
    const old = { ...manifest, secrets: manifest.secrets.filter((x) => x.role === 'encryption-key') } as Record<string, unknown>;
    for (const field of ['format', 'configMaps', 'references']) delete old[field];
    await client.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: `${to}backup.json`, Body: JSON.stringify(old) }));
    return `s3://${sb.s3.bucket}/${to}`;
  } finally {
    client.destroy();
  }
}

/** A copy of the backup (objects copied as they are: same ETags) whose backup.json is changed by `edit`. */
async function copyWithManifest(to: string, edit: (m: Record<string, unknown>) => Record<string, unknown>): Promise<string> {
  const client = sandboxS3Client(sb);
  try {
    const from = `hcp/clusters/demo/${manifest.id}/`;
    const dest = `${to}/clusters/demo/${manifest.id}/`;
    const listed = await client.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: from }));
    for (const o of listed.Contents ?? []) {
      const key = o.Key ?? '';
      if (key.endsWith('backup.json')) continue;
      await client.send(
        new CopyObjectCommand({ Bucket: sb.s3.bucket, Key: dest + key.slice(from.length), CopySource: `${sb.s3.bucket}/${key}` }),
      );
    }
    const changed = edit(structuredClone(manifest) as unknown as Record<string, unknown>);
    await client.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: `${dest}backup.json`, Body: JSON.stringify(changed) }));
    return `s3://${sb.s3.bucket}/${dest}`;
  } finally {
    client.destroy();
  }
}

/** A copy of the backup whose snapshot has one byte changed: what S3 bit rot or tampering leaves. */
async function tamperedCopy(): Promise<string> {
  const client = sandboxS3Client(sb);
  try {
    const from = `hcp/clusters/demo/${manifest.id}/`;
    const to = `tampered/clusters/demo/${manifest.id}/`;
    const listed = await client.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: from }));
    for (const o of listed.Contents ?? []) {
      const key = o.Key ?? '';
      if (key.endsWith('snapshot.db')) {
        const body = Buffer.from(
          await (await client.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: key }))).Body!.transformToByteArray(),
        );
        body[4096] = (body[4096] ?? 0) ^ 0xff;
        await client.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: to + key.slice(from.length), Body: body }));
      } else {
        await client.send(
          new CopyObjectCommand({ Bucket: sb.s3.bucket, Key: to + key.slice(from.length), CopySource: `${sb.s3.bucket}/${key}` }),
        );
      }
    }
    return `s3://${sb.s3.bucket}/${to}`;
  } finally {
    client.destroy();
  }
}

describe('restore', () => {
  it('refuses while the HostedCluster exists, and --dry-run lists what would be created without changing anything', async () => {
    const exists = await restore();
    expect(exists.code).toBe(3);
    expect(exists.stderr).toMatch(/error: failed to restore clusters\/demo: HostedCluster clusters\/demo already exists/);
    expect(exists.stderr).toMatch(/hint: .*--replace/);

    const plan = await restore('--context', 'sandbox-2', '--dry-run', '-o', 'json');
    expect(plan.stderr).not.toMatch(/^error:/m);
    expect(plan.code).toBe(0);
    const result = JSON.parse(plan.stdout) as RestoreResult;
    expect(result.verdict.state).toBe('Planned');
    expect(result.objects.map((o) => `${o.kind} ${o.namespace ?? ''}/${o.name}`)).toEqual(
      expect.arrayContaining([
        'Namespace /clusters-demo',
        'Secret clusters-demo/root-ca',
        'Secret clusters/demo-etcd-encryption-key',
        'HostedCluster clusters/demo',
      ]),
    );
    expect(await (await api('sandbox-2')).get(Resources.hostedCluster, 'clusters', 'demo')).toBeUndefined();
  }, 120_000);

  it("records the management cluster's identity in backup.json and tells the same cluster from another", async () => {
    const kubeSystem = await (await api('sandbox')).get(Resources.namespace, '', 'kube-system');
    expect(manifest.managementCluster?.kubeSystemUid).toBe(kubeSystem?.metadata.uid);
    const here = JSON.parse((await restore('-n', 'same', '--dry-run', '-o', 'json')).stdout) as RestoreResult;
    expect(here.preflight.find((c) => c.name === 'platform')?.detail).toMatch(/the management cluster of the backup/);
    expect(here.preflight.find((c) => c.name === 'source-gone')).toBeUndefined();
    const there = JSON.parse((await restore('--context', 'sandbox-2', '-n', 'other', '--dry-run', '-o', 'json')).stdout) as RestoreResult;
    expect(there.preflight.find((c) => c.name === 'platform')?.detail).toMatch(/another management cluster than the backup's/);
    expect(there.preflight.find((c) => c.name === 'source-gone')?.detail).toMatch(/nothing answers|does not resolve/);
  }, 120_000);

  it('on another management cluster, refuses while the source still answers on the API hostname, unless --force', async () => {
    const host = 'api-demo.hcp.example.com';
    const { createResolver } = await import('../../src/net/resolver.ts');
    const addresses = await createResolver(sb.dns?.address).resolve4(host);
    expect(addresses.length).toBeGreaterThan(0);
    // The source's API still answering where the name points.
    const { createServer } = await import('node:net');
    const listener = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(443, addresses[0], resolve));
    try {
      const refused = await restore('--context', 'sandbox-2', '-n', 'twin');
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(
        new RegExp(
          `error: failed to restore clusters/demo on another management cluster: ${host} still resolves to .* answers on port 443`,
        ),
      );
      expect(refused.stderr).toMatch(/hint: .*--force/);
      expect(await (await api('sandbox-2')).get(Resources.namespace, '', 'twin')).toBeUndefined();
      const forced = await restore('--context', 'sandbox-2', '-n', 'twin', '--force', '--dry-run', '-o', 'json');
      expect(forced.code, forced.stderr).toBe(0);
      const result = JSON.parse(forced.stdout) as RestoreResult;
      expect(result.preflight.find((c) => c.name === 'source-gone')?.detail).toMatch(/not proven \(--force\)/);
      expect(result.warnings.join('\n')).toMatch(/the source may still serve/);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  }, 120_000);

  it('round trip: back up demo, delete it, restore it: the seeded keys read back from every restored member, etcd status Healthy', async () => {
    await deleteDemo('sandbox');
    const run = await restore('-o', 'json');
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as RestoreResult;
    expect(result).toMatchObject({
      kind: 'RestoreResult',
      apiVersion: 'hcp-dr.openshift.io/v1alpha1',
      verdict: { state: 'Restored' },
      backup: { id: manifest.id, revision: manifest.snapshot.revision },
    });
    expect(result.etcd?.members).toHaveLength(3);
    expect(result.etcd?.revision).toBeGreaterThanOrEqual(manifest.snapshot.revision);
    expect(result.timing.restoreSeconds).toBeGreaterThan(0);
    expect(result.nextSteps.join('\n')).toMatch(/hypershift fix dr-oidc-iam/);
    const etcd = restoredEtcd('sandbox');
    for (let i = 0; i < 3; i++) expect(await etcd?.get('/hcp-dr-test/alpha', i)).toBe('one');

    const hc = await (await api('sandbox')).get(Resources.hostedCluster, 'clusters', 'demo');
    expect(hc?.metadata.annotations?.['hcp-dr.openshift.io/operation']).toBeUndefined();
    expect((hc?.['spec'] as { pausedUntil?: string }).pausedUntil).toBeUndefined();
    const status = await runCliInProcess(['etcd', 'status', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '-o', 'json']);
    expect(JSON.parse(status.stdout).verdict.state).toBe('Healthy');

    const again = await restore('-o', 'json');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as RestoreResult).objects.every((o) => o.action === 'exists')).toBe(true);
  }, 180_000);

  it('restores into the second management cluster from the same bucket, with nothing carried by hand', async () => {
    const run = await restore('--context', 'sandbox-2', '-o', 'json');
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as RestoreResult).verdict.state).toBe('Restored');
    // Repaired on the released etcd-init (the default), not needed on the fixed one (HCP_DR_SANDBOX_ETCD_INIT=fixed).
    expect((JSON.parse(run.stdout) as RestoreResult).repair?.repaired ?? false).toBe(releasedByDefault);
    expect(await restoredEtcd('sandbox-2')?.get('/hcp-dr-test/beta', 2)).toBe('two');
  }, 180_000);

  it('on the released etcd-init (the default: a split brain on HA, OCPBUGS-99534) repairs in place from the same backup and ends Restored, reported', async () => {
    const run = await onFlavour(true, () => restore('--context', 'sandbox-2', '--replace', '--yes', '-o', 'json'));
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as RestoreResult;
    expect(result.verdict.state).toBe('Restored');
    expect(result.verdict.reason).toMatch(/after repairing a split brain/);
    expect(result.repair).toMatchObject({ repaired: true, reason: expect.stringMatching(/split brain|members|cluster/) });
    expect(result.repair?.actions.join('\n')).toMatch(/restored the snapshot into 3 member volumes/);
    expect(run.stderr).toMatch(/warning: repaired a split brain/);
    expect(result.etcd?.members).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(await restoredEtcd('sandbox-2')?.get('/hcp-dr-test/beta', i)).toBe('two');
    const hc = await (await api('sandbox-2')).get(Resources.hostedCluster, 'clusters', 'demo');
    expect(hc?.metadata.annotations?.['hcp-dr.openshift.io/operation']).toBeUndefined();
    expect((hc?.['spec'] as { pausedUntil?: string }).pausedUntil).toBeUndefined();
  }, 300_000);

  it('with --no-repair stops at the split brain: SplitBrain, exit 4, a hint naming etcd restore, though EtcdAvailable is True', async () => {
    const run = await onFlavour(true, () => restore('--context', 'sandbox-2', '--replace', '--yes', '--no-repair', '-o', 'json'));
    expect(run.code).toBe(4);
    const result = JSON.parse(run.stdout) as RestoreResult;
    expect(result.verdict.state).toBe('SplitBrain');
    expect(result.repair).toMatchObject({ repaired: false });
    expect(result.replaced.map((o) => o.kind)).toContain('HostedCluster');
    expect(run.stderr).toMatch(/split brain/);
    expect(run.stderr).toMatch(/hint: .*hcp-dr etcd restore demo -n clusters --from-backup s3:\/\//);
    const a = await api('sandbox-2');
    const hcp = await a.get(Resources.hostedControlPlane, 'clusters-demo', 'demo');
    const available = ((hcp?.['status'] as { conditions?: { type: string; status: string }[] }).conditions ?? []).find(
      (c) => c.type === 'EtcdAvailable',
    );
    expect(available?.status).toBe('True');
    // The record is released so that the hinted `etcd restore` can take its own.
    const hc = await a.get(Resources.hostedCluster, 'clusters', 'demo');
    expect(hc?.metadata.annotations?.['hcp-dr.openshift.io/operation']).toBeUndefined();
  }, 300_000);

  it('on the fixed etcd-init (--name/--initial-cluster) restores without a repair', async () => {
    const run = await onFlavour(false, () => restore('--context', 'sandbox-2', '--replace', '--yes', '-o', 'json'));
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as RestoreResult;
    expect(result.verdict.state).toBe('Restored');
    expect(result.repair).toBeNull();
  }, 300_000);

  it('takes a snapshot whose ETag and size are as the backup recorded them without downloading it; --verify-snapshot checks every byte', async () => {
    expect(manifest.snapshot.etag).toMatch(/^"?[0-9a-f]{32}(-\d+)?"?$/);
    const quick = await restore('--context', 'sandbox-2', '--dry-run', '-v');
    expect(quick.code, quick.stderr).toBe(0);
    expect(quick.stderr).toContain(
      `the stored snapshot is the one the backup wrote and checked in transit (ETag ${manifest.snapshot.etag}`,
    );
    const full = await restore('--context', 'sandbox-2', '--dry-run', '--verify-snapshot', '-v');
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).not.toContain('not downloaded again');
    expect(full.stderr).toContain(`debug: verifying ${backupUrl}snapshot.db`);
    expect(quick.stderr).not.toContain('debug: verifying');
  }, 120_000);

  it('every reader of a backup refuses a newer format (naming the version that wrote it) and a backup.json naming another cluster, the quick path included, before any change', async () => {
    const newer = await copyWithManifest('newer', (m) => ({ ...m, format: 9, toolVersion: '9.3.0' }));
    const other = await copyWithManifest('other', (m) => ({
      ...m,
      hostedCluster: { ...(m['hostedCluster'] as object), name: 'other', controlPlaneNamespace: 'clusters-other' },
    }));
    const s3 = s3Flags();
    for (const [url, error] of [
      [newer, /backup\.json is format 9, written by hcp-dr 9\.3\.0; this hcp-dr reads formats up to 2/],
      [other, /backup\.json names clusters\/other, but its path names clusters\/demo; its HostedCluster manifest is clusters\/demo/],
    ] as const) {
      // restore's quick path: the snapshot's ETag is the recorded one (copied), so only its bytes are skipped.
      const quick = await runCliInProcess([
        'restore',
        url,
        '--kubeconfig',
        sb.kubeconfig,
        '--context',
        'sandbox-2',
        '-n',
        'reader',
        ...s3,
        ...dnsFlags(),
        '-v',
      ]);
      expect(quick.code, quick.stderr).toBe(3);
      expect(quick.stderr).toMatch(error);
      expect(quick.stderr).toMatch(/hint: /);
      expect(quick.stderr).not.toContain('debug: verifying');
      expect(await (await api('sandbox-2')).get(Resources.namespace, '', 'reader')).toBeUndefined();
      const etcdRestore = await runCliInProcess([
        'etcd',
        'restore',
        'demo',
        '-n',
        'clusters',
        '--kubeconfig',
        sb.kubeconfig,
        '--from-backup',
        url,
        ...s3,
        '--yes',
      ]);
      expect(etcdRestore.code, etcdRestore.stderr).toBe(3);
      expect(etcdRestore.stderr).toMatch(error);
      const render = await runCliInProcess([
        'render',
        '--from-backup',
        url,
        ...s3,
        '-f',
        'test/fixtures/render/aws-from-backup/input.yaml',
      ]);
      expect(render.code, render.stderr).toBe(3);
      expect(render.stderr).toMatch(error);
    }
    const hint = await runCliInProcess([
      'restore',
      newer,
      '--kubeconfig',
      sb.kubeconfig,
      '--context',
      'sandbox-2',
      '-n',
      'reader',
      ...s3,
      ...dnsFlags(),
    ]);
    expect(hint.stderr).toMatch(/hint: upgrade to hcp-dr 9\.3\.0 or newer \("kubectl krew upgrade hcp-dr"\), then run this command again/);
  }, 120_000);

  it('refuses a backup whose snapshot was tampered with, before any change', async () => {
    const url = await tamperedCopy();
    const run = await runCliInProcess([
      'restore',
      url,
      '--kubeconfig',
      sb.kubeconfig,
      '--context',
      'sandbox-2',
      '-n',
      'fresh',
      ...s3Flags(),
      ...dnsFlags(),
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error: failed to verify backup .*tampered.*(SHA-256|sha256)/);
    expect(run.stderr).toMatch(/hint: /);
    expect(await (await api('sandbox-2')).get(Resources.namespace, '', 'fresh')).toBeUndefined();
  }, 120_000);

  it('refuses an old backup without the PKI Secrets on a cluster that does not have them, naming what must exist', async () => {
    const url = await formatOneCopy();
    const run = await runCliInProcess([
      'restore',
      url,
      '--kubeconfig',
      sb.kubeconfig,
      '--context',
      'sandbox-2',
      '-n',
      'old',
      ...s3Flags(),
      ...dnsFlags(),
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error: failed to restore old\/demo: the backup does not carry .*Secret old-demo\/root-ca/);
    expect(run.stderr).toMatch(/Secret old\/demo-pull-secret/);
    expect(run.stderr).toMatch(/hint: /);
    expect(await (await api('sandbox-2')).get(Resources.namespace, '', 'old')).toBeUndefined();
  }, 120_000);

  it("refuses a leftover etcd PVC and an encryption key Secret that is not the backup's, naming each, before any change", async () => {
    const a = await api('sandbox-2');
    await a.create(Resources.namespace, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'stale-demo' } });
    await a.create(Resources.namespace, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'stale' } });
    await a.create(Resources.persistentVolumeClaim, 'stale-demo', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data-etcd-0', namespace: 'stale-demo' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } },
    });
    const pvc = await restore('--context', 'sandbox-2', '-n', 'stale');
    expect(pvc.code).toBe(3);
    expect(pvc.stderr).toMatch(/leftover etcd PVC data-etcd-0 in stale-demo/);
    await a.delete(Resources.persistentVolumeClaim, 'stale-demo', 'data-etcd-0');

    await a.create(Resources.secret, 'stale', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'demo-etcd-encryption-key', namespace: 'stale' },
      type: 'Opaque',
      data: { key: Buffer.alloc(32, 1).toString('base64') },
    });
    const key = await restore('--context', 'sandbox-2', '-n', 'stale');
    expect(key.code).toBe(3);
    expect(key.stderr).toMatch(/Secret stale\/demo-etcd-encryption-key already exists with other content/);
    expect(await a.get(Resources.hostedCluster, 'stale', 'demo')).toBeUndefined();
    expect(await a.get(Resources.namespace, '', 'stale-demo')).toBeDefined();
    expect(await a.get(Resources.secret, 'stale-demo', 'root-ca')).toBeUndefined();
  }, 120_000);

  it('diagnoses an expired pre-signed URL from the etcd-init log, then --replace with a fresh URL restores', async () => {
    // Every download of the snapshot reaches the server 2.5 s late: the 1 s URL has expired by then.
    sb.s3.server.setFault({ op: 'GetObject', keySuffix: 'snapshot.db', mode: 'late', delayMs: 2500, times: Infinity });
    const expired = await restore('--replace', '--yes', '--expires', '1s');
    sb.s3.server.setFault(undefined);
    expect(expired.code).toBe(3);
    expect(expired.stderr).toMatch(/error: failed to restore clusters\/demo: etcd-init in clusters-demo\/etcd-\d failed.*expired/);
    expect(expired.stderr).toMatch(/hint: .*--replace/);
    expect(expired.stderr).not.toMatch(/X-Amz-Signature=[0-9a-f]/);
    const hc = await (await api('sandbox')).get(Resources.hostedCluster, 'clusters', 'demo');
    expect(JSON.parse(hc?.metadata.annotations?.['hcp-dr.openshift.io/operation'] ?? '{}')).toMatchObject({
      type: 'restore',
      phase: 'waiting',
    });

    const fresh = await restore('--replace', '--yes', '-o', 'json');
    expect(fresh.stderr, fresh.stderr).not.toMatch(/^error:/m);
    expect(fresh.code).toBe(0);
    expect((JSON.parse(fresh.stdout) as RestoreResult).verdict.state).toBe('Restored');
    expect(await restoredEtcd('sandbox')?.get('/hcp-dr-test/alpha', 1)).toBe('one');
  }, 240_000);

  it('refuses --replace without --yes when no one can confirm, before deleting anything', async () => {
    const run = await restore('--replace');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refusing to continue without confirmation: Replace: this deletes HostedCluster clusters\/demo/);
    const hc = await (await api('sandbox')).get(Resources.hostedCluster, 'clusters', 'demo');
    expect(hc?.metadata.deletionTimestamp).toBeUndefined();
  }, 120_000);
});
