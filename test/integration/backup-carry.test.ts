/**
 * A backup carries everything a restore on another management cluster needs (backup.json
 * format 2): every Secret and ConfigMap the HostedCluster and its NodePools reference, beside
 * the encryption key and the PKI Secrets; Secrets under --keys-to when given, ConfigMaps beside
 * the snapshot; a reference that does not exist is recorded as not carried. And for an older
 * backup (format 1) mustAlreadyExist names what the target cluster must already hold.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { useSandboxCredentials } from '../support/sandbox-s3.ts';
import { runBackup } from '../../src/core/backup/run-backup.ts';
import { newBackupId, parseObjectUrl } from '../../src/core/bundle/layout.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { carriedObjects, mustAlreadyExist } from '../../src/core/bundle/requirements.ts';
import { verifyStoredBackup } from '../../src/core/bundle/verify.ts';
import { loadFromBackup } from '../../src/core/export/source-backup.ts';
import { Resources, type KubeObject } from '../../src/core/model.ts';
import { systemClock, type KubeSession, type ObjectStore } from '../../src/core/ports.ts';
import { loadAllYaml } from '../../src/core/yaml.ts';
import { connectKube } from '../../src/kube/session.ts';
import { openObjectStore } from '../../src/s3/store.ts';

let sb: Sandbox;
let session: KubeSession;
let store: ObjectStore;
let manifest: BackupManifest;
let backupUrl: string;
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const warnings: string[] = [];
let restoreEnv: (() => void) | undefined;

async function read(url: string): Promise<string> {
  const at = parseObjectUrl(url);
  if (!at || at.bucket !== store.bucket) throw new Error(`unexpected URL ${url}`);
  const chunks: Buffer[] = [];
  for await (const c of await store.get(at.key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  sb = await startSandbox({ seedKeys: 20 });
  restoreEnv = useSandboxCredentials(sb);
  session = await connectKube({ kubeconfig: sb.kubeconfig }, quiet);
  const open = (prefix: string) =>
    openObjectStore({ url: `s3://${sb.s3.bucket}/${prefix}`, endpoint: sb.s3.endpoint, pathStyle: true }, quiet);
  const destination = await open('hcp');
  const keysDestination = await open('keys');
  store = destination.store;
  // What a real hosted cluster references besides the pull secret and SSH key of the seed.
  await session.api.create(Resources.configMap, 'clusters', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'demo-trust-bundle', namespace: 'clusters' },
    data: { 'ca-bundle.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
  });
  await session.api.create(Resources.secret, 'clusters', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'demo-htpasswd', namespace: 'clusters' },
    type: 'Opaque',
    data: { htpasswd: Buffer.from('admin:$2y$05$abc').toString('base64') },
  });
  await session.api.mergePatch(Resources.hostedCluster, 'clusters', 'demo', {
    spec: {
      additionalTrustBundle: { name: 'demo-trust-bundle' },
      configuration: {
        oauth: {
          identityProviders: [
            { name: 'local', type: 'HTPasswd', mappingMethod: 'claim', htpasswd: { fileData: { name: 'demo-htpasswd' } } },
          ],
        },
      },
    },
  });
  const [np] = await session.api.list(Resources.nodePool, 'clusters');
  await session.api.mergePatch(Resources.nodePool, 'clusters', np?.metadata.name ?? '', {
    spec: { config: [{ name: 'demo-machineconfig' }] },
  });
  const result = await runBackup(
    { namespace: 'clusters', name: 'demo', mode: 'online', destination, keysDestination, pauseTtlMs: 30 * 60_000, waitTimeoutMs: 30_000 },
    {
      api: session.api,
      exec: session.exec,
      clock: systemClock,
      reporter: { ...quiet, warn: (m) => void warnings.push(m) },
      toolVersion: 'test',
      newBackupId: () => newBackupId(new Date()),
    },
  );
  manifest = result.manifest;
  backupUrl = result.url;
}, 120_000);
afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

describe('what a backup carries (format 2)', () => {
  it('every referenced Secret under --keys-to, every referenced ConfigMap beside the snapshot, with what references each', () => {
    expect(manifest.format).toBe(2);
    const byName = Object.fromEntries(manifest.secrets.map((s) => [`${s.namespace}/${s.name}`, s]));
    expect(Object.keys(byName).sort()).toEqual([
      'clusters-demo/etcd-signer',
      'clusters-demo/root-ca',
      'clusters-demo/sa-signing-key',
      'clusters/demo-etcd-encryption-key',
      'clusters/demo-htpasswd',
      'clusters/demo-pull-secret',
      'clusters/demo-ssh-key',
    ]);
    expect(byName['clusters/demo-pull-secret']).toMatchObject({ role: 'reference', referencedBy: ['HostedCluster spec.pullSecret'] });
    expect(byName['clusters/demo-htpasswd']).toMatchObject({
      role: 'reference',
      referencedBy: ['HostedCluster spec.configuration.oauth.identityProviders[0].htpasswd.fileData'],
    });
    expect(byName['clusters/demo-etcd-encryption-key']?.role).toBe('encryption-key');
    for (const s of manifest.secrets) expect(s.url).toMatch(new RegExp(`^s3://${sb.s3.bucket}/keys/clusters/demo/${manifest.id}/secrets/`));
    expect(manifest.configMaps).toEqual([
      expect.objectContaining({
        namespace: 'clusters',
        name: 'demo-trust-bundle',
        referencedBy: ['HostedCluster spec.additionalTrustBundle'],
        url: `${backupUrl}configmaps/demo-trust-bundle.yaml`,
      }),
    ]);
  });

  it('stores the objects as they are on the cluster, server fields stripped, with the SHA-256 recorded', async () => {
    for (const ref of [...manifest.secrets, ...(manifest.configMaps ?? [])]) {
      const text = await read(ref.url);
      expect(createHash('sha256').update(text).digest('hex')).toBe(ref.sha256);
      const stored = loadAllYaml(text, ref.url)[0] as KubeObject;
      const live = await session.api.get(stored.kind === 'ConfigMap' ? Resources.configMap : Resources.secret, ref.namespace, ref.name);
      expect(stored['data']).toEqual(live?.['data']);
      expect(stored.metadata.resourceVersion).toBeUndefined();
      expect(stored.metadata.uid).toBeUndefined();
    }
  });

  it('records a reference that does not exist as not carried, and warns about it', () => {
    expect(manifest.references?.find((r) => r.name === 'demo-machineconfig')).toEqual({
      kind: 'ConfigMap',
      namespace: 'clusters',
      name: 'demo-machineconfig',
      referencedBy: [expect.stringMatching(/^NodePool .* spec\.config\[0\]$/)],
      carried: false,
    });
    expect(
      warnings.some((w) => w.includes('ConfigMap "clusters/demo-machineconfig"') && w.includes('a restore needs it created first')),
    ).toBe(true);
    expect(
      manifest.references
        ?.filter((r) => r.carried)
        .map((r) => r.name)
        .sort(),
    ).toEqual(['demo-etcd-encryption-key', 'demo-htpasswd', 'demo-pull-secret', 'demo-ssh-key', 'demo-trust-bundle']);
  });

  it('export reads the carried Secrets and ConfigMaps back: only the reference that did not exist is missing', async () => {
    const input = await loadFromBackup(store, { prefix: parseObjectUrl(backupUrl)?.key ?? '', withControlPlane: false });
    expect(input.missing.map((m) => `${m.kind} ${m.name}`)).toEqual(['ConfigMap demo-machineconfig']);
    expect(input.references.map((r) => `${r.kind} ${r.metadata.name}`).sort()).toEqual([
      'ConfigMap demo-trust-bundle',
      'Secret demo-etcd-encryption-key',
      'Secret demo-htpasswd',
      'Secret demo-pull-secret',
      'Secret demo-ssh-key',
    ]);
  });

  it('backup verify checks the ConfigMaps too, and the backup is restorable', async () => {
    const prefix = parseObjectUrl(backupUrl)?.key ?? '';
    const verification = await verifyStoredBackup(store, prefix);
    expect(verification.reasons).toEqual([]);
    expect(verification.checks.find((c) => c.name === 'files')?.detail).toMatch(/^10 manifest, secret and configmap files present/);
    await store.delete(`${prefix}configmaps/demo-trust-bundle.yaml`);
    const broken = await verifyStoredBackup(store, prefix);
    expect(broken.verdict).toBe('NotRestorable');
    expect(broken.reasons.join()).toContain('configmap clusters/demo-trust-bundle');
  });
});

describe('what a restore needs besides the bundle', () => {
  const hcOf = async () => loadAllYaml(await read(`${backupUrl}${manifest.manifests.hostedCluster}`), 'hc')[0] as KubeObject;
  const npsOf = async () =>
    Promise.all(manifest.manifests.nodePools.map(async (k) => loadAllYaml(await read(`${backupUrl}${k}`), k)[0] as KubeObject));

  it('of a format 2 backup: only what did not exist at backup time', async () => {
    expect(carriedObjects(manifest).map((o) => `${o.kind} ${o.namespace}/${o.name}`)).toEqual([
      'Secret clusters/demo-etcd-encryption-key',
      'Secret clusters/demo-htpasswd',
      'Secret clusters/demo-pull-secret',
      'Secret clusters/demo-ssh-key',
      'ConfigMap clusters/demo-trust-bundle',
      'Secret clusters-demo/etcd-signer',
      'Secret clusters-demo/root-ca',
      'Secret clusters-demo/sa-signing-key',
    ]);
    expect(mustAlreadyExist(manifest, await hcOf(), await npsOf()).map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'ConfigMap clusters/demo-machineconfig',
    ]);
  });

  it('of an older backup (format 1): every reference but the key, and every PKI Secret it lacks', async () => {
    const { format: _f, configMaps: _c, references: _r, ...v1 } = manifest;
    const older: BackupManifest = {
      ...v1,
      secrets: manifest.secrets
        .filter((s) => s.role !== 'reference' && s.name !== 'sa-signing-key')
        .map(({ referencedBy: _b, sha256: _s, ...rest }) => rest),
    };
    const needed = mustAlreadyExist(older, await hcOf(), await npsOf());
    expect(needed.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'ConfigMap clusters/demo-machineconfig',
      'ConfigMap clusters/demo-trust-bundle',
      'Secret clusters/demo-htpasswd',
      'Secret clusters/demo-pull-secret',
      'Secret clusters/demo-ssh-key',
      'Secret clusters-demo/sa-signing-key',
    ]);
    expect(needed.find((r) => r.name === 'demo-pull-secret')?.why).toBe(
      'referenced by HostedCluster spec.pullSecret; backups before format 2 do not carry it',
    );
    expect(needed.at(-1)?.why).toMatch(/^a PKI Secret of the control plane the backup does not carry/);
  });
});
