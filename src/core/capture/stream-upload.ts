/**
 * A file in a pod, streamed through exec `cat` into one object of the store, hashed on the way
 * (DigestStream): no copy on the user's disk; memory is the store's part buffers.
 *
 * Contract: either side failing stops the other, and the call settles only once both have.
 *  - The pod stream fails (the command exits non-zero, the connection drops): the upload's body
 *    fails with that error, so the store aborts the multipart upload instead of completing an
 *    object cut short.
 *  - The upload fails: the pipe into it is destroyed, which ends the exec session.
 * It rejects with whichever error came first.
 */
import { PassThrough } from 'node:stream';
import type { ObjectStore } from '../ports.ts';
import { DigestStream, type DigestResult } from '../snapshot/digest-stream.ts';
import { streamSnapshot, type PodRef } from '../etcd/pod-snapshot.ts';

export interface StreamUploadOptions {
  signal?: AbortSignal;
  /** Bytes read from the pod so far. */
  onBytes?: (total: number) => void;
}

export async function streamPodFileToStore(
  pod: PodRef,
  path: string,
  store: ObjectStore,
  key: string,
  options: StreamUploadOptions = {},
): Promise<DigestResult & { etag?: string }> {
  const digest = new DigestStream(options.onBytes);
  const source = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  source.pipe(digest);
  let first: { error: unknown } | undefined;
  let etag: string | undefined;
  const uploaded = store
    .put(key, digest, { contentType: 'application/octet-stream', ...(options.signal ? { signal: options.signal } : {}) })
    .then((answer) => {
      etag = answer?.etag;
    })
    .catch((error: unknown) => {
      first ??= { error };
      // Without an error: the exec side sees its sink close (an 'error' would need a listener).
      source.destroy();
      throw error;
    });
  const streamed = streamSnapshot(pod, path, source).then(
    () => void source.end(),
    (error: unknown) => {
      first ??= { error };
      digest.destroy(asError(error));
      throw error;
    },
  );
  await Promise.allSettled([streamed, uploaded]);
  if (first) throw first.error;
  return { ...digest.result(), ...(etag ? { etag } : {}) };
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
