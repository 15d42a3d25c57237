/**
 * The bucket that the S3 store's pieces (object-store.ts, object-write.ts, object-read.ts,
 * uploads.ts) share: its client and configuration, its s3:// URLs, and the one place where an
 * SDK failure becomes an HcpDrError naming s3://bucket/key (errors.ts), with the store's context
 * for hints (endpoint, sse, whether --request-timeout was given) and the call's signal.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { HcpDrError } from '../core/errors.ts';
import { s3Url } from '../core/s3-url.ts';
import { mapS3Error, type MapContext, type S3Verb } from './errors.ts';

export interface S3StoreConfig {
  client: S3Client;
  bucket: string;
  endpoint?: string;
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /** Multipart part size in bytes (S3 minimum 5 MiB). */
  partSize: number;
  /** Parts uploaded concurrently. */
  queueSize: number;
  /** MaxKeys per ListObjectsV2 page (S3 caps it at 1000). */
  listPageSize: number;
  /** Refuse (instead of warning about) a write whose encryption the store does not confirm. */
  requireSse?: boolean;
  /** Whether --request-timeout was given: named in timeout errors. */
  requestTimeoutSet?: boolean;
  debug?: (message: string) => void;
  warn?: (message: string) => void;
}

export class BucketContext {
  readonly bucket: string;
  readonly config: S3StoreConfig;

  constructor(config: S3StoreConfig) {
    this.config = config;
    this.bucket = config.bucket;
  }

  get client(): S3Client {
    return this.config.client;
  }

  url(key: string): string {
    return s3Url(this.bucket, key);
  }

  /** Runs one SDK call on `key`; whatever it throws leaves mapped (mapError). */
  async send<T>(verb: S3Verb, key: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.mapError(err, verb, key, signal);
    }
  }

  mapError(err: unknown, verb: S3Verb, key: string, signal?: AbortSignal): HcpDrError {
    return mapS3Error(err, verb, this.url(key), this.#context(signal));
  }

  #context(signal?: AbortSignal): MapContext {
    const c = this.config;
    return {
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
      ...(c.sse ? { sse: c.sse } : {}),
      ...(c.requestTimeoutSet ? { requestTimeoutSet: true } : {}),
      ...(signal ? { signal } : {}),
    };
  }
}

/** The SDK's per-call options for an optional signal. */
export function abortOptions(signal: AbortSignal | undefined) {
  return signal ? { abortSignal: signal } : {};
}
