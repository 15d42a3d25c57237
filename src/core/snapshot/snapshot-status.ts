/**
 * What `etcdctl snapshot status -w json` reports, computed from a bbolt walk (snapshot-file.ts):
 * revision (main revision of the last key in bucket "key"), totalKey (every key/value of every
 * bucket, as etcd counts), totalSize (meta pgid x page size), hash (CRC-32C over bucket names and
 * each key and value, in key order), the storage version and the live keys as etcdutl 3.6 counts them,
 * and the cluster version etcd records in bucket "cluster".
 * Throws BoltFormatError for a tree that is not an etcd database.
 */
import type { SnapshotStatus } from '../etcd/etcdctl.ts';
import { BoltFormatError, type BoltWalker } from './bolt.ts';
import { Crc32c } from './crc32c.ts';

/** revision, totalKey, totalSize and (when `etcdHash`) hash as etcd's snapshot status computes them. */
export async function computeStatus(walker: BoltWalker, etcdHash: boolean): Promise<SnapshotStatus> {
  const buckets: { name: Buffer; value: Buffer }[] = [];
  let notBucket: string | undefined;
  await walker.walkRoot((key, _v, isBucket, raw) => {
    if (!isBucket) notBucket ??= key.toString('latin1');
    else buckets.push({ name: Buffer.from(key), value: Buffer.from(raw) });
  });
  if (notBucket !== undefined) throw new BoltFormatError(`the root holds "${notBucket}", which is not a bucket`);
  const crc = etcdHash ? new Crc32c() : undefined;
  let totalKey = 0;
  let revision = 0;
  let badKey: number | undefined;
  let previous: Buffer | undefined;
  let unordered = false;
  let version: string | undefined;
  let clusterVersion: string | undefined;
  // Key -> alive at its last revision (revisions are walked in order); counted as etcdutl 3.6 does.
  const live = new Map<string, boolean>();
  for (const bucket of buckets) {
    crc?.update(bucket.name);
    const isKeyBucket = bucket.name.toString('latin1') === 'key';
    const isMetaBucket = bucket.name.toString('latin1') === 'meta';
    const isClusterBucket = bucket.name.toString('latin1') === 'cluster';
    previous = undefined;
    await walker.walkBucket(bucket.value, (k, v) => {
      if (isMetaBucket && v && k.toString('latin1') === 'storageVersion') version = v.toString('latin1');
      if (isClusterBucket && v && k.toString('latin1') === 'clusterVersion') clusterVersion = v.toString('latin1');
      if (crc) {
        crc.update(k);
        if (v) crc.update(v);
      }
      totalKey++;
      if (previous && Buffer.compare(previous, k) >= 0) unordered = true;
      previous = k;
      if (!isKeyBucket) return;
      // etcd revision keys: 8-byte big-endian main rev, '_', 8-byte sub rev, optional 't'.
      if ((k.length !== 17 && k.length !== 18) || k[8] !== 0x5f) badKey ??= totalKey;
      else revision = Math.max(revision, Number(k.readBigUInt64BE(0)));
      // A value without field 1 (the empty entry --bump-revision writes) is key "" to etcd's Unmarshal too.
      if (v) live.set(protoKey(v) ?? '', !(k.length === 18 && k[17] === 0x74));
    });
    if (unordered) throw new BoltFormatError(`keys of bucket "${bucket.name.toString('latin1')}" are out of order`);
  }
  if (!buckets.some((b) => b.name.toString('latin1') === 'key'))
    throw new BoltFormatError('there is no "key" bucket: this bbolt file is not an etcd database');
  if (badKey !== undefined) throw new BoltFormatError('bucket "key" holds a key that is not an etcd revision');
  return {
    hash: crc?.digest() ?? 0,
    revision,
    totalKey,
    totalSize: walker.meta.pgid * walker.meta.pageSize,
    ...(version ? { version } : {}),
    ...(clusterVersion ? { clusterVersion } : {}),
    liveKeys: [...live.values()].filter(Boolean).length,
  };
}

/** Field 1 (key, bytes) of an mvccpb.KeyValue, as latin1 text; undefined when it is not first (etcd writes it first) or malformed. */
function protoKey(v: Buffer): string | undefined {
  if (v[0] !== 0x0a) return undefined;
  let len = 0;
  let shift = 0;
  let i = 1;
  for (; i < v.length && i < 6; i++) {
    len += (v[i]! & 0x7f) * 2 ** shift;
    shift += 7;
    if ((v[i]! & 0x80) === 0) break;
  }
  const start = i + 1;
  return start + len <= v.length ? v.toString('latin1', start, start + len) : undefined;
}
