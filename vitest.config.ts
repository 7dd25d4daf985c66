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
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
