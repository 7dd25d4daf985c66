import { defineConfig } from 'vitest/config';

// One project per package. Tests run on the TypeScript sources through the `@parley/source`
// export condition, so no build is needed before `vitest`.
const source = { conditions: ['@parley/source'] };

export default defineConfig({
  test: {
    // The JSON report lets .ci/run print a one-line pass/fail count.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        resolve: source,
        ssr: { resolve: { conditions: ['@parley/source'], externalConditions: ['@parley/source'] } },
        test: { name: 'core', root: 'packages/core', environment: 'node', include: ['src/**/*.test.ts'] },
      },
      {
        resolve: source,
        ssr: { resolve: { conditions: ['@parley/source'], externalConditions: ['@parley/source'] } },
        test: {
          name: 'transport-node',
          root: 'packages/transport-node',
          environment: 'node',
          include: ['src/**/*.test.ts'],
        },
      },
      {
        resolve: source,
        ssr: { resolve: { conditions: ['@parley/source'], externalConditions: ['@parley/source'] } },
        test: {
          name: 'transport-browser',
          root: 'packages/transport-browser',
          environment: 'happy-dom',
          include: ['src/**/*.test.ts'],
        },
      },
      {
        resolve: source,
        ssr: { resolve: { conditions: ['@parley/source'], externalConditions: ['@parley/source'] } },
        test: {
          name: 'server',
          root: 'packages/server',
          environment: 'node',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['src/storage/postgres/**', 'test/cluster/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The server tests again on PostgreSQL (test/test-database.ts): one schema per data dir.
        // Unit tests that never touch storage run in `server` only.
        resolve: source,
        ssr: { resolve: { conditions: ['@parley/source'], externalConditions: ['@parley/source'] } },
        test: {
          name: 'server-pg',
          root: 'packages/server',
          environment: 'node',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [
            'src/storage/sqlite/**',
            'src/http/**',
            'src/websocket/**',
            'test/config.test.ts',
            'test/cluster/**',
          ],
          env: { PARLEY_TEST_DATABASE: 'postgres' },
          globalSetup: ['test/pg-global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Several server instances on PostgreSQL and Redis (docs/scale-out.md): in this process,
        // and as `parley serve` processes from the build (built first when stale).
        resolve: source,
        ssr: { resolve: { conditions: ['@parley/source'], externalConditions: ['@parley/source'] } },
        test: {
          name: 'cluster',
          root: 'packages/server',
          environment: 'node',
          include: ['test/cluster/**/*.test.ts'],
          env: { PARLEY_TEST_DATABASE: 'postgres' },
          globalSetup: ['test/pg-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The demo web app in Debian's Chromium against `parley serve` from the build (see
        // docs/demo.md); the global setup builds it when dist is missing or stale.
        test: {
          name: 'e2e',
          root: 'packages/server',
          environment: 'node',
          include: ['test/e2e/**/*.e2e.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
