// Applies the project's D1 migrations (the same files wrangler applies) before the worker tests run.
import { applyD1Migrations, env } from 'cloudflare:test'

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
