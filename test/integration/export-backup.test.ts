/**
 * `export --from-backup` through the real S3 adapter against the SigV4-checking S3 test
 * server: a bundle laid out as `backup` writes it (backup.json, manifests/, secrets/).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { runCliInProcess } from '../support/cli.ts';
import { openObjectStore } from '../../src/s3/store.ts';
import { dumpKubeYaml } from '../../src/core/yaml.ts';
import { loadFixture } from '../unit/export/helpers.ts';
import { useS3Env, silentReporter } from './s3-env.ts';

const PREFIX = 'hcp/clusters/demo/20261121T160800Z-3f9a1c';
const BROKEN = 'hcp/clusters/demo/20261121T170000Z-aaaaaa';

describe('export --from-backup (S3 test server, real S3 adapter)', () => {
  let server: S3Server;
  let dir: string;
  let env: { restore(): void };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcpdr-export-s3-'));
    server = await startS3Server({ dir: join(dir, 's3'), buckets: ['backups'] });
    env = useS3Env(server);
    const { store } = await openObjectStore({ url: 's3://backups', endpoint: server.endpoint }, silentReporter);
    const key = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'demo-etcd-encryption-key', namespace: 'clusters' },
      type: 'Opaque',
      data: { key: Buffer.from('K'.repeat(32)).toString('base64') },
    };
    await store.put(`${PREFIX}/manifests/hostedcluster.yaml`, dumpKubeYaml(loadFixture('hostedcluster', 'raw')));
    await store.put(`${PREFIX}/manifests/nodepools/demo-workers.yaml`, dumpKubeYaml(loadFixture('nodepool', 'raw')));
    await store.put(`${PREFIX}/secrets/demo-etcd-encryption-key.yaml`, dumpKubeYaml(key));
    await store.put(`${BROKEN}/manifests/hostedcluster.yaml`, dumpKubeYaml(loadFixture('hostedcluster', 'raw')));
    const manifest = {
      apiVersion: 'hcp-dr.openshift.io/v1alpha1',
      kind: 'EtcdBackup',
      id: '20261121T160800Z-3f9a1c',
      toolVersion: '0.1.0',
      createdAt: '2026-11-21T16:08:00Z',
      hostedCluster: {
        namespace: 'clusters',
        name: 'demo',
        uid: 'u',
        infraID: 'demo-x7k2p',
        releaseImage: 'r',
        platform: 'AWS',
        controlPlaneNamespace: 'clusters-demo',
        apiServerHostname: null,
      },
      snapshot: { file: 'snapshot.db', sha256: 'ab'.repeat(32), size: 1, revision: 4242, totalKeys: 1, hash: 1 },
      secrets: [
        {
          namespace: 'clusters',
          name: 'demo-etcd-encryption-key',
          role: 'encryption-key',
          url: `s3://backups/${PREFIX}/secrets/demo-etcd-encryption-key.yaml`,
        },
      ],
      manifests: { hostedCluster: 'manifests/hostedcluster.yaml', nodePools: ['manifests/nodepools/demo-workers.yaml'] },
    };
    await store.put(`${PREFIX}/backup.json`, JSON.stringify(manifest));
  });
  afterAll(async () => {
    env.restore();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports the bundle with its provenance; what the bundle lacks is listed as required', async () => {
    const out = join(dir, 'gitops');
    const r = await runCliInProcess(['export', '--from-backup', `s3://backups/${PREFIX}/`, '--endpoint', server.endpoint, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = yaml.load(await readFile(join(out, 'clusters/demo/provenance.yaml'), 'utf8')) as Record<string, any>;
    expect(p['backup']).toEqual({ id: '20261121T160800Z-3f9a1c', createdAt: '2026-11-21T16:08:00Z' });
    expect(p['etcd']).toEqual({ revision: 4242, snapshotSha256: 'ab'.repeat(32) });
    expect(p['source']).toEqual({ type: 'backup', location: `s3://backups/${PREFIX}/` });
    const hc = await readFile(join(out, 'clusters/demo/hostedcluster.yaml'), 'utf8');
    expect(hc).not.toContain('restoreSnapshotURL');
    const req = yaml.load(await readFile(join(out, 'clusters/demo/secrets-required.yaml'), 'utf8')) as {
      items: Array<{ name: string; inSource: boolean }>;
    };
    expect(req.items.map((i) => `${i.name}:${i.inSource}`)).toEqual([
      'demo-workers-kubeletconfig:false',
      'demo-etcd-encryption-key:true',
      'demo-pull-secret:false',
      'demo-ssh-key:false',
    ]);
    expect(JSON.stringify(req)).not.toContain(Buffer.from('K'.repeat(32)).toString('base64'));
  });

  it('a prefix without backup.json: one-line error, nothing written', async () => {
    const out = join(dir, 'broken');
    const r = await runCliInProcess(['export', '--from-backup', `s3://backups/${BROKEN}/`, '--endpoint', server.endpoint, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n')[0]).toMatch(/failed to export from s3:\/\/backups\/.*: no backup\.json \(not a complete backup\)/);
    expect(existsSync(out)).toBe(false);
  });
});
