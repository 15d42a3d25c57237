/**
 * What a rolled-back or resumed move removes from the bucket: the objects of its own backup prefix
 * unless backup.json made them a backup, and every multipart upload under that prefix (the prefix
 * holds the run's id and is recorded before the upload starts). Nothing outside the prefix.
 */
import { describe, expect, it } from 'vitest';
import { deleteIncompleteUploadAt } from '../../../../src/core/move/backup-phase.ts';
import type { IncompleteUpload, ObjectStore, StoredObject } from '../../../../src/core/ports.ts';

function store(keys: string[], uploads: IncompleteUpload[]) {
  const objects = new Set(keys);
  const open = [...uploads];
  const s = {
    bucket: 'b',
    url: (k: string) => `s3://b/${k}`,
    list: (prefix: string) =>
      Promise.resolve(
        [...objects].filter((k) => k.startsWith(prefix)).map((key): StoredObject => ({ key, size: 1, lastModified: undefined })),
      ),
    delete: (key: string) => Promise.resolve(void objects.delete(key)),
    listIncompleteUploads: (prefix: string) => Promise.resolve(open.filter((u) => u.key.startsWith(prefix))),
    abortIncompleteUpload: (u: IncompleteUpload) => Promise.resolve(void open.splice(open.indexOf(u), 1)),
  } as unknown as ObjectStore;
  return { s, objects, open };
}

const upload = (key: string): IncompleteUpload => ({ key, uploadId: `id-${key}`, initiated: undefined, bytes: undefined });

describe("a move's incomplete upload", () => {
  it('aborts the multipart uploads and deletes the objects under its own prefix only', async () => {
    const { s, objects, open } = store(
      ['m/clusters/demo/run1/secrets/x.json', 'm/clusters/demo/run0/backup.json', 'm/clusters/demo/run0/snapshot.db'],
      [upload('m/clusters/demo/run1/snapshot.db'), upload('m/clusters/demo/run0/other.db')],
    );
    await deleteIncompleteUploadAt(s, 'm/clusters/demo/run1', new Date());
    expect([...objects].sort()).toEqual(['m/clusters/demo/run0/backup.json', 'm/clusters/demo/run0/snapshot.db']);
    expect(open.map((u) => u.key)).toEqual(['m/clusters/demo/run0/other.db']);
  });

  it('keeps a finished backup (backup.json written) and still aborts a stray upload there', async () => {
    const { s, objects, open } = store(['p/r/backup.json', 'p/r/snapshot.db'], [upload('p/r/snapshot.db')]);
    await deleteIncompleteUploadAt(s, 'p/r', new Date());
    expect([...objects].sort()).toEqual(['p/r/backup.json', 'p/r/snapshot.db']);
    expect(open).toEqual([]);
  });

  it('works with a store that cannot list multipart uploads', async () => {
    const { s, objects } = store(['p/r/a'], []);
    delete (s as { listIncompleteUploads?: unknown }).listIncompleteUploads;
    await deleteIncompleteUploadAt(s, 'p/r', new Date());
    expect([...objects]).toEqual([]);
  });
});
