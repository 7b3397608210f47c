// Vitest projects: `worker` runs inside workerd with real local KV and D1 (@cloudflare/vitest-plugin);
// `node` runs scripts' tests in Node, and the end-to-end tests that drive a real `wrangler dev` over HTTP.
import path from 'node:path'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { signingKeySet } from './scripts/signing-key.ts'

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'))
  return {
    test: {
      // The JSON report is what .ci/run reads for its closing "N passed, M failed" line.
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results.json' },
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ROOT_CLIENT_ID: 'root',
                  ROOT_CLIENT_SECRET: 'test-root-secret',
                  // A fresh key per run: the tests sign and verify with it like a deployment would.
                  TOKEN_SIGNING_KEYS: await signingKeySet(),
                },
              },
            }),
          ],
          test: {
            name: 'worker',
            include: ['test/worker/**/*.test.ts'],
            setupFiles: ['test/worker/apply-migrations.ts'],
          },
        },
        {
          test: {
            name: 'node',
            environment: 'node',
            include: ['test/node/**/*.test.ts', 'test/e2e/**/*.test.ts'],
            testTimeout: 120_000,
            hookTimeout: 180_000,
            fileParallelism: false,
          },
        },
      ],
    },
  }
})
