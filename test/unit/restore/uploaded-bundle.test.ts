/** readBundle for a move: the snapshot it just uploaded is compared by record and size, never downloaded. */
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../../src/core/restore/bundle.ts';
import { MemoryStore } from '../render/helpers.ts';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const prefix = 'moves/clusters/demo/abc123';

function bucket(snapshot: Buffer): MemoryStore {
  const store = new MemoryStore('b');
  const manifest = {
    id: 'abc123',
    hostedCluster: { namespace: 'clusters', name: 'demo' },
    snapshot: { file: 'snapshot.db', sha256: 'f'.repeat(64), size: 4, revision: 10, totalKeys: 5 },
    manifests: { hostedCluster: 'manifests/hostedcluster.yaml', nodePools: [] },
    secrets: [],
    configMaps: [],
    encryption: { type: 'none' },
  };
  void store.put(`${prefix}/backup.json`, JSON.stringify(manifest));
  void store.put(
    `${prefix}/manifests/hostedcluster.yaml`,
    'apiVersion: hypershift.openshift.io/v1beta1\nkind: HostedCluster\nmetadata: {name: demo, namespace: clusters}\n',
  );
  void store.put(`${prefix}/snapshot.db`, snapshot);
  return store;
}

describe('a bundle the caller just uploaded', () => {
  it('is read without downloading the snapshot when backup.json and the stored size agree with what was sent', async () => {
    const store = bucket(Buffer.from('abcd'));
    let downloaded = 0;
    const get = store.get.bind(store);
    store.get = async (key) => {
      if (key.endsWith('snapshot.db')) downloaded++;
      return get(key);
    };
    const { bundle, verification } = await readBundle(
      { store, prefix, openBucket: async () => store },
      { reporter: quiet, uploaded: { sha256: 'f'.repeat(64), size: 4 } },
    );
    expect(verification).toBeNull();
    expect(downloaded).toBe(0);
    expect(bundle.hostedCluster.metadata.name).toBe('demo');
  });

  it('is refused when the stored snapshot is not the one sent (another size or another digest)', async () => {
    const uploaded = { sha256: 'f'.repeat(64), size: 4 };
    await expect(
      readBundle(
        { store: bucket(Buffer.from('abcdef')), prefix, openBucket: async () => bucket(Buffer.alloc(0)) },
        { reporter: quiet, uploaded },
      ),
    ).rejects.toThrow(/the stored snapshot is not the one just uploaded \(6 bytes stored, 4 sent\)/);
    await expect(
      readBundle(
        { store: bucket(Buffer.from('abcd')), prefix, openBucket: async () => bucket(Buffer.alloc(0)) },
        { reporter: quiet, uploaded: { ...uploaded, sha256: 'e'.repeat(64) } },
      ),
    ).rejects.toThrow(/not the one just uploaded/);
  });
});
