import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Node's on-disk compile cache (module.enableCompileCache), set before the workers fork so they and
// every process a test spawns with this environment (`node src/main.ts` in the crash matrices, the
// built plugin, the sandbox CLI) reuse the stripped TypeScript and V8's compiled code instead of
// redoing it at each start (a CLI start: about 0.6 s of CPU without, 0.2 s with). Node keys each
// entry by the file's content, so an edited source compiles afresh; a cache it cannot write is
// skipped, and a process killed with SIGKILL leaves nothing in it.
process.env['NODE_COMPILE_CACHE'] ??= fileURLToPath(new URL('.cache/node-compile-cache', import.meta.url));

// Integration tests start real etcd clusters and servers, and spend much of their time waiting on
// them (elections, probes, pods, containers): on the 2-core machines CI runs on, two files at a time
// used 1.4 of the 2 cores (user + system CPU over wall time of a sample of five files); three keep
// them busy (the whole suite, same tree, back to back: 579 s against 690 s with two). Not more:
// every file's servers share those cores, and waits with deadlines stretch under load.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 3,
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
