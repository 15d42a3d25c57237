import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Node's on-disk compile cache (module.enableCompileCache), set before the workers fork so they and
// every process a test spawns with this environment (`node src/main.ts` in the crash matrices, the
// built plugin, the sandbox CLI) reuse the stripped TypeScript and V8's compiled code instead of
// redoing it at each start (a CLI start: about 0.6 s of CPU without, 0.2 s with). Node keys each
// entry by the file's content, so an edited source compiles afresh; a cache it cannot write is
// skipped, and a process killed with SIGKILL leaves nothing in it.
process.env['NODE_COMPILE_CACHE'] ??= fileURLToPath(new URL('.cache/node-compile-cache', import.meta.url));

// Integration tests start real etcd clusters and servers: keep parallelism low on 2-core machines.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    teardownTimeout: 20_000,
    reporters: ['default'],
    projects: [
      // Unit tests start no servers and restore what they change in process.env: they share their
      // workers' module graph instead of a fresh worker per file (half the unit suite's CPU).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      // Everything else (integration, the sandbox's own tests): one fresh worker per file.
      { extends: true, test: { name: 'world', include: ['test/**/*.test.ts'], exclude: ['test/unit/**'] } },
    ],
  },
});
