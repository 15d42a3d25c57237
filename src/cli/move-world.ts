/**
 * A move's world from the CLI's dependencies: both management clusters, the bucket, DNS, and the
 * hosted cluster's own API through its admin kubeconfig, written to a 0600 file in a private
 * directory only while it is used (the kubeconfig holds a credential).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MoveWorld } from '../core/move/types.ts';
import { UsageError } from '../core/errors.ts';
import { createResolver } from '../net/resolver.ts';
import type { CliDeps, S3Target } from './deps.ts';

export interface MoveWorldOptions {
  requestTimeoutMs?: number;
  /**
   * The world of `move`, whose source was reached before (so a kubeconfig or context that fails here
   * is the destination's): hints name --to-kubeconfig and --to-context, the flags that set them.
   */
  destinationFlags?: boolean;
  s3?: Partial<Pick<S3Target, 'endpoint' | 'caBundle' | 'region' | 'pathStyle'>>;
}

/**
 * `requestTimeoutMs` (--request-timeout) bounds every API request of every cluster the move
 * reaches and every S3 request; `s3` (resume's S3 flags) overrides how the record says to reach
 * the store.
 */
export function moveWorld(deps: CliDeps, options: MoveWorldOptions = {}): MoveWorld {
  const timeout = options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {};
  return {
    connectKube: async (target) => {
      try {
        return await deps.connectKube({ ...timeout, ...target });
      } catch (err) {
        throw options.destinationFlags ? asDestinationError(err) : err;
      }
    },
    openObjectStore: (target) => deps.openObjectStore({ ...target, ...options.s3, ...timeout }),
    resolver: (server) => createResolver(server),
    async connectGuest(kubeconfig) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-guest-'));
      const close = () => rm(dir, { recursive: true, force: true });
      try {
        const file = path.join(dir, 'kubeconfig');
        await writeFile(file, kubeconfig, { mode: 0o600 });
        const session = await deps.connectKube({ ...timeout, kubeconfig: file });
        return { api: session.api, close };
      } catch (err) {
        await close();
        throw err;
      }
    },
  };
}

/** A kubeconfig or context error of the destination, its hint naming the destination's flags. */
function asDestinationError(err: unknown): unknown {
  if (!(err instanceof UsageError) || !err.hint || !/--(kubeconfig|context)\b/.test(err.hint)) return err;
  const hint = err.hint.replace(/--kubeconfig\b/g, '--to-kubeconfig').replace(/--context\b/g, '--to-context');
  return new UsageError(`destination: ${err.message}`, { hint, cause: err }, err.code);
}
