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
import type { ObjectLock, ObjectStore } from '../ports.ts';
import { DigestStream, type DigestResult } from '../snapshot/digest-stream.ts';
import { streamAndRemoveSnapshot, streamSnapshot, type PodRef } from '../etcd/pod-snapshot.ts';
import { encodeStream, isPlainCodec, type Codec, type Encoded } from '../crypto/codec.ts';

export interface StreamUploadOptions {
  signal?: AbortSignal;
  /** Object Lock retention of the stored object. */
  lock?: ObjectLock;
  /** Bytes read from the pod so far. */
  onBytes?: (total: number) => void;
  /** Compressed and/or encrypted in the stream, after the plain bytes are hashed (crypto/codec.ts). */
  codec?: Codec;
  /** Remove the file in the same exec once it is read (pod-snapshot.ts streamAndRemoveSnapshot); `removed` says whether it went. */
  removeAfterRead?: boolean;
}

export async function streamPodFileToStore(
  pod: PodRef,
  path: string,
  store: ObjectStore,
  key: string,
  options: StreamUploadOptions = {},
): Promise<DigestResult & { etag?: string; stored?: ReturnType<Encoded['result']>; removed?: boolean }> {
  const digest = new DigestStream(options.onBytes);
  const source = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  source.pipe(digest);
  const encoded = isPlainCodec(options.codec) ? undefined : await encodeStream(digest, options.codec ?? {});
  let first: { error: unknown } | undefined;
  let etag: string | undefined;
  const uploaded = store
    .put(key, encoded?.body ?? digest, {
      contentType: 'application/octet-stream',
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.lock ? { lock: options.lock } : {}),
    })
    .then((answer) => {
      etag = answer?.etag;
    })
    .catch((error: unknown) => {
      first ??= { error };
      // Without an error: the exec side sees its sink close (an 'error' would need a listener).
      source.destroy();
      throw error;
    });
  let removed = false;
  const read = options.removeAfterRead
    ? streamAndRemoveSnapshot(pod, path, source).then((r) => void (removed = r.removed))
    : streamSnapshot(pod, path, source);
  const streamed = read.then(
    () => void source.end(),
    (error: unknown) => {
      first ??= { error };
      digest.destroy(asError(error));
      encoded?.body.destroy(asError(error));
      throw error;
    },
  );
  await Promise.allSettled([streamed, uploaded]);
  if (first) throw first.error;
  return {
    ...digest.result(),
    ...(etag ? { etag } : {}),
    ...(encoded ? { stored: encoded.result() } : {}),
    ...(options.removeAfterRead ? { removed } : {}),
  };
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
