/**
 * A move's world from the CLI's dependencies: both management clusters, the bucket, DNS, and the
 * hosted cluster's own API through its admin kubeconfig, written to a 0600 file in a private
 * directory only while it is used (the kubeconfig holds a credential).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MoveWorld } from '../core/move/types.ts';
import { createResolver } from '../net/resolver.ts';
import type { CliDeps } from './deps.ts';

export function moveWorld(deps: CliDeps): MoveWorld {
  return {
    connectKube: (target) => deps.connectKube(target),
    openObjectStore: (target) => deps.openObjectStore(target),
    resolver: (server) => createResolver(server),
    async connectGuest(kubeconfig) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-guest-'));
      const close = () => rm(dir, { recursive: true, force: true });
      try {
        const file = path.join(dir, 'kubeconfig');
        await writeFile(file, kubeconfig, { mode: 0o600 });
        const session = await deps.connectKube({ kubeconfig: file });
        return { api: session.api, close };
      } catch (err) {
        await close();
        throw err;
      }
    },
  };
}
