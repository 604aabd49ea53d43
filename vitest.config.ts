import { defineConfig } from 'vitest/config';

/**
 * Three projects, by what a test needs:
 * - unit: no database, no network beyond loopback; service rules over in-memory stores, handlers over
 *   fakes, parsing and policies. Seconds: `npm run test:unit`.
 * - database: integration and end-to-end tests on a real MongoDB-compatible server over the wire
 *   (MONGODB_URI, else the embedded FerretDB the global setup starts).
 * - infra: the CDK stack's template, synthesized in process.
 */
export default defineConfig({
  test: {
    setupFiles: ['test/support/env.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'database',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'] } },
    ],
  },
});
