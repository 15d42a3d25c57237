/** The backup layout: ids, prefixes and keys as backup writes them and list/verify/restore find them. */
import { describe, expect, it } from 'vitest';
import {
  BackupFiles,
  backupKey,
  backupPrefix,
  backupRootOf,
  isRelativeKey,
  joinKey,
  keysPrefix,
  listPrefix,
  newBackupId,
  parseManifestKey,
  parseObjectUrl,
} from '../../../../src/core/bundle/layout.ts';

describe('backup layout', () => {
  it('ids sort by time and carry six hex digits', () => {
    const a = newBackupId(new Date('2026-11-21T16:08:00.123Z'), () => 0.25);
    const b = newBackupId(new Date('2026-11-21T16:08:01Z'), () => 0);
    expect(a).toBe('20261121T160800Z-400000');
    expect(b).toBe('20261121T160801Z-000000');
    expect([b, a].sort()).toEqual([a, b]);
  });

  it('a backup prefix is <root>/<namespace>/<name>/<id>, with or without a root', () => {
    expect(backupPrefix('hcp/', 'clusters', 'demo', 'ID')).toBe('hcp/clusters/demo/ID');
    expect(backupPrefix('', 'clusters', 'demo', 'ID')).toBe('clusters/demo/ID');
    expect(keysPrefix('/keys/', 'clusters', 'demo', 'ID')).toBe('keys/clusters/demo/ID');
    expect(backupKey('hcp/clusters/demo/ID', BackupFiles.manifest)).toBe('hcp/clusters/demo/ID/backup.json');
    expect(backupKey('', BackupFiles.snapshot)).toBe('snapshot.db');
    expect(joinKey('a/', undefined, '', '/b')).toBe('a/b');
  });

  it('what backup writes, list finds again (and nothing else)', () => {
    const prefix = backupPrefix('root', 'clusters', 'demo', 'ID');
    expect(parseManifestKey('root', backupKey(prefix, BackupFiles.manifest))).toEqual({
      namespace: 'clusters',
      name: 'demo',
      id: 'ID',
      prefix,
    });
    expect(parseManifestKey('', 'clusters/demo/ID/backup.json')).toEqual({
      namespace: 'clusters',
      name: 'demo',
      id: 'ID',
      prefix: 'clusters/demo/ID',
    });
    expect(parseManifestKey('root', backupKey(prefix, BackupFiles.snapshot))).toBeUndefined();
    expect(parseManifestKey('root', 'root/clusters/demo/backup.json')).toBeUndefined();
    expect(parseManifestKey('root', 'other/clusters/demo/ID/backup.json')).toBeUndefined();
    expect(listPrefix('root', 'clusters', 'demo')).toBe('root/clusters/demo/');
    expect(listPrefix('root', undefined, 'demo')).toBe('root/');
    expect(listPrefix('')).toBe('');
    expect(backupRootOf(prefix)).toBe('root');
    expect(backupRootOf('clusters/demo/ID/')).toBe('');
  });

  it('file names of the bundle', () => {
    expect([
      BackupFiles.hostedCluster,
      BackupFiles.nodePool('np'),
      BackupFiles.secret('s'),
      BackupFiles.namespacedSecret('ns', 's'),
      BackupFiles.configMap('c'),
    ]).toEqual(['manifests/hostedcluster.yaml', 'manifests/nodepools/np.yaml', 'secrets/s.yaml', 'secrets/ns/s.yaml', 'configmaps/c.yaml']);
    expect(isRelativeKey('secrets/x.yaml')).toBe(true);
    expect(['', '/abs', 'a/../b', 'a//b', './a'].map(isRelativeKey)).toEqual([false, false, false, false, false]);
    expect(parseObjectUrl('s3://bucket/a/b.yaml')).toEqual({ bucket: 'bucket', key: 'a/b.yaml' });
    expect(parseObjectUrl('https://bucket/a')).toBeUndefined();
  });
});
