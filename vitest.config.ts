import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, not a stale dist/.
    alias: [
      { find: /^@multimail\/core\/node$/, replacement: src('./packages/core/src/node/index.ts') },
      { find: /^@multimail\/core$/, replacement: src('./packages/core/src/index.ts') },
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'] } },
      {
        // the server suite again, on PostgreSQL: each test server gets a database in one throwaway
        // cluster (test/support/test-store.ts); tests without a server are not repeated
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/server/**/*.test.ts', 'test/audit/*.test.ts'],
          exclude: ['test/server/schema-sqlite.test.ts', 'test/server/multi-instance.test.ts', 'test/server/deployment-example.test.ts', 'test/server/layering.test.ts', 'test/server/units.test.ts', 'test/server/header-fields.test.ts', 'test/server/outbound-pool.test.ts', 'test/audit/properties.test.ts'],
          env: { MULTIMAIL_TEST_STORE: 'postgres' },
          globalSetup: ['./test/support/pg-global-setup.ts'],
        },
      },
    ],
  },
});
