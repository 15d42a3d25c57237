/**
 * Real etcd snapshots for the snapshot-file and verify tests: a throwaway single-member etcd
 * (test/sandbox/etcd/cluster.ts, SIGKILLed by stop()), a few keys with several revisions and a
 * delete (tombstone), `etcdctl snapshot save`, and etcdctl's own `snapshot status -w json`; plus
 * etcdutl 3.6's (its totalKey counts live keys: `liveKeys`; `version`: the storage version a 3.6 snapshot carries).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startEtcdCluster, tempClusterDir } from '../sandbox/etcd/cluster.ts';
import { runEtcdctl } from '../sandbox/etcd/etcdctl.ts';
import { etcdTools } from '../sandbox/etcd/versions.ts';
import type { SnapshotStatus } from '../../src/core/etcd/etcdctl.ts';

export interface RealSnapshot {
  /** The snapshot file (bbolt + SHA-256 trailer). */
  file: string;
  /** A raw copy of the member's member/snap/db (no trailer), taken after the member was killed. */
  rawDb: string;
  status: SnapshotStatus;
}

/** Writes `keys` keys (values of valueSize bytes), overwrites some, deletes one, snapshots. */
export async function makeRealSnapshot(outDir: string, opts: { keys?: number; valueSize?: number } = {}): Promise<RealSnapshot> {
  await mkdir(outDir, { recursive: true });
  const cluster = await startEtcdCluster({ dir: tempClusterDir('snapfile'), members: 1 });
  try {
    await cluster.seed(opts.keys ?? 300, { prefix: '/registry/configmaps/ns/', valueSize: opts.valueSize ?? 200 });
    for (let i = 0; i < 5; i++) await cluster.put('/registry/leases/ns/holder', `v${i}`);
    const del = await cluster.etcdctl(['del', '/registry/configmaps/ns/00000001']);
    if (del.code !== 0) throw new Error(`etcdctl del failed: ${del.stderr}`);
    const file = path.join(outDir, 'snapshot.db');
    const save = await cluster.etcdctl(['snapshot', 'save', file]);
    if (save.code !== 0) throw new Error(`etcdctl snapshot save failed: ${save.stderr}`);
    const st = await runEtcdctl(['snapshot', 'status', file, '-w', 'json']);
    if (st.code !== 0) throw new Error(`etcdctl snapshot status failed: ${st.stderr}`);
    const status = JSON.parse(st.stdout) as SnapshotStatus; // hash is a uint32: exact as a JSON number
    const utl = await runEtcdctl(['snapshot', 'status', file, '-w', 'json'], 20_000, etcdTools('3.6').etcdutl);
    if (utl.code !== 0) throw new Error(`etcdutl snapshot status failed: ${utl.stderr}`);
    const live = JSON.parse(utl.stdout) as { totalKey: number; version: string };
    status.liveKeys = live.totalKey;
    if (live.version) status.version = live.version;
    // No tool prints it: etcd records its cluster version as major.minor.0 (hcp-dr's reader reports it).
    status.clusterVersion = `${cluster.version}.0`;
    await cluster.kill(0);
    const rawDb = path.join(outDir, 'raw-member-db');
    await copyFile(path.join(cluster.member(0).dataDir, 'member', 'snap', 'db'), rawDb);
    return { file, rawDb, status };
  } finally {
    await cluster.stop();
  }
}
