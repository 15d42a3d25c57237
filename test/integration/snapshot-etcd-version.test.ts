/**
 * Which etcd wrote a snapshot file, as `etcd restore --from-file` decides it: the storage version
 * etcd 3.6 writes, else the cluster version every etcd from 3.4 on records in bucket "cluster"
 * (a new 3.6 cluster records it before its storage version; 3.4 and 3.5 have no storage version).
 * Real snapshots of real etcd 3.4 (Debian's), 3.5 and 3.6.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, tempClusterDir, type EtcdCluster } from '../sandbox/etcd/cluster.ts';
import { etcdAvailable, type EtcdVersion } from '../sandbox/etcd/versions.ts';
import { verifyFileSource } from '../../src/core/etcd/restore-source.ts';
import { checkSnapshotVersion } from '../../src/core/etcd/versions.ts';
import { PreconditionError } from '../../src/core/errors.ts';

const started: EtcdCluster[] = [];
afterAll(async () => {
  await Promise.all(started.map((c) => c.stop()));
});

async function snapshotOf(version: EtcdVersion): Promise<string> {
  const cluster = await startEtcdCluster({ dir: tempClusterDir(`snapver-${version}`), members: 1, etcdVersion: version });
  started.push(cluster);
  await cluster.put('/registry/configmaps/ns/a', 'x');
  const file = path.join(cluster.dir, 'snap.db');
  const saved = await cluster.etcdctl(['snapshot', 'save', file]);
  expect(saved.code, saved.stderr).toBe(0);
  return file;
}

describe('the etcd version of a snapshot file', { timeout: 60_000 }, () => {
  it('etcd 3.4 (no storage version): its cluster version, 3.4.0', async () => {
    const info = await verifyFileSource(await snapshotOf('3.4'));
    expect(info.etcdVersion).toBe('3.4.0');
  });

  it.skipIf(!etcdAvailable('3.5'))('etcd 3.5 (no storage version): 3.5.0, refused for a 3.4 target before any change', async () => {
    const info = await verifyFileSource(await snapshotOf('3.5'));
    expect(info.etcdVersion).toBe('3.5.0');
    const check = { snapshotVersion: info.etcdVersion, targetSource: 'its running etcd pods', force: false, command: 'x' };
    expect(() => checkSnapshotVersion({ ...check, targetVersion: '3.4.23' })).toThrow(PreconditionError);
    expect(checkSnapshotVersion({ ...check, targetVersion: '3.5.36' })).toEqual([]);
  });

  it.skipIf(!etcdAvailable('3.6'))('etcd 3.6: 3.6.0 (the storage version once written, the cluster version before)', async () => {
    const info = await verifyFileSource(await snapshotOf('3.6'));
    expect(info.etcdVersion).toBe('3.6.0');
  });
});
