import { defineConfig } from 'vitest/config';

// Integration tests start real etcd clusters and servers: keep parallelism low on 2-core machines.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    teardownTimeout: 20_000,
    reporters: ['default'],
  },
});
