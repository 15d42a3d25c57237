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

function bucket(recordedEtag: string | undefined): EtagStore {
  const store = new EtagStore('b');
  const snapshot = Buffer.from('not really a bbolt file');
  const manifest = {
    id: 'abc123',
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
  };
  void store.put(`${prefix}/backup.json`, JSON.stringify(manifest));
  void store.put(
    `${prefix}/manifests/hostedcluster.yaml`,
    'apiVersion: hypershift.openshift.io/v1beta1\nkind: HostedCluster\nmetadata: {name: demo, namespace: clusters}\n',
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
});
