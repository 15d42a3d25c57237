/** readBundle: a snapshot stored as the backup wrote it (ETag and size as recorded) is not downloaded again. */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../../src/core/restore/bundle.ts';
import type { StoredObject } from '../../../src/core/ports.ts';
import { MemoryStore } from '../render/helpers.ts';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const prefix = 'hcp/clusters/demo/abc123';
const md5 = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;

/** A bucket whose HEAD answers an ETag (the MD5 of a single-part object, as S3 gives it) and that counts snapshot downloads. */
class EtagStore extends MemoryStore {
  downloads = 0;
  override async head(key: string): Promise<StoredObject | undefined> {
    const found = await super.head(key);
    const body = this.objects.get(key);
    return found && body ? { ...found, etag: md5(body) } : found;
  }
  override async get(key: string): Promise<Readable> {
    if (key.endsWith('snapshot.db')) this.downloads++;
    return super.get(key);
  }
}

function bucket(recordedEtag: string | undefined, over: Record<string, unknown> = {}, hcName = 'demo'): EtagStore {
  const store = new EtagStore('b');
  const snapshot = Buffer.from('not really a bbolt file');
  const manifest = {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'EtcdBackup',
    id: 'abc123',
    toolVersion: '0.9.0',
    createdAt: '2026-11-29T11:00:00Z',
    hostedCluster: { namespace: 'clusters', name: 'demo' },
    snapshot: {
      file: 'snapshot.db',
      sha256: 'f'.repeat(64),
      size: snapshot.length,
      revision: 10,
      totalKeys: 5,
      ...(recordedEtag ? { etag: recordedEtag } : {}),
    },
    manifests: { hostedCluster: 'manifests/hostedcluster.yaml', nodePools: [] },
    secrets: [],
    configMaps: [],
    encryption: { type: 'none' },
    ...over,
  };
  void store.put(`${prefix}/backup.json`, JSON.stringify(manifest));
  void store.put(
    `${prefix}/manifests/hostedcluster.yaml`,
    `apiVersion: hypershift.openshift.io/v1beta1\nkind: HostedCluster\nmetadata: {name: ${hcName}, namespace: clusters}\n`,
  );
  void store.put(`${prefix}/snapshot.db`, snapshot);
  return store;
}

describe('a stored snapshot', () => {
  it('with the ETag and size backup.json recorded is not downloaded again', async () => {
    const store = bucket(md5(Buffer.from('not really a bbolt file')));
    const { bundle, verification } = await readBundle({ store, prefix, openBucket: async () => store }, { reporter: quiet });
    expect(verification).toBeNull();
    expect(store.downloads).toBe(0);
    expect(bundle.hostedCluster.metadata.name).toBe('demo');
  });

  it('with another ETag, none recorded, or --verify-snapshot goes through the full verification (which this fake backup fails)', async () => {
    for (const [etag, verifySnapshot] of [
      ['"0123"', false],
      [undefined, false],
      [md5(Buffer.from('not really a bbolt file')), true],
    ] as const) {
      const store = bucket(etag);
      await expect(readBundle({ store, prefix, openBucket: async () => store }, { reporter: quiet, verifySnapshot })).rejects.toThrow(
        /failed to verify backup/,
      );
    }
  });

  // issue 26.1: the ETag shortcut skips only the snapshot's bytes, never the manifest, identity and completeness checks.
  it('on the quick path, a backup.json of a newer format is refused with the version that wrote it, nothing downloaded', async () => {
    const store = bucket(md5(Buffer.from('not really a bbolt file')), { format: 7, toolVersion: '9.1.0' });
    const read = readBundle({ store, prefix, openBucket: async () => store }, { reporter: quiet });
    await expect(read).rejects.toThrow(/format 7, written by hcp-dr 9\.1\.0; this hcp-dr reads formats up to 2/);
    await expect(read).rejects.toMatchObject({ exitCode: 3, hint: expect.stringMatching(/upgrade to hcp-dr 9\.1\.0 or newer/) });
    expect(store.downloads).toBe(0);
  });

  it('on the quick path, a backup.json of another kind is refused', async () => {
    const store = bucket(md5(Buffer.from('not really a bbolt file')), { kind: 'SomethingElse' });
    await expect(readBundle({ store, prefix, openBucket: async () => store }, { reporter: quiet })).rejects.toThrow(
      /not an hcp-dr backup manifest/,
    );
  });

  it('on the quick path, a backup.json naming another cluster than its path and manifests is refused', async () => {
    const other = bucket(md5(Buffer.from('not really a bbolt file')), {
      hostedCluster: { namespace: 'clusters', name: 'other' },
    });
    await expect(readBundle({ store: other, prefix, openBucket: async () => other }, { reporter: quiet })).rejects.toThrow(
      /backup\.json names clusters\/other, but its path names clusters\/demo; its HostedCluster manifest is clusters\/demo/,
    );
    const manifestOnly = bucket(md5(Buffer.from('not really a bbolt file')), {}, 'elsewhere');
    await expect(readBundle({ store: manifestOnly, prefix, openBucket: async () => manifestOnly }, { reporter: quiet })).rejects.toThrow(
      /its HostedCluster manifest is clusters\/elsewhere/,
    );
  });

  it('on the quick path, a file backup.json names that is missing is refused', async () => {
    const store = bucket(md5(Buffer.from('not really a bbolt file')), {
      manifests: { hostedCluster: 'manifests/hostedcluster.yaml', nodePools: ['manifests/nodepool-gone.yaml'] },
    });
    await expect(readBundle({ store, prefix, openBucket: async () => store }, { reporter: quiet })).rejects.toThrow(
      /missing: manifests\/nodepool-gone\.yaml/,
    );
  });
});
