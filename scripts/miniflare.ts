// The Worker in Miniflare's Node API: the bundle from `wrangler deploy --dry-run`, in-memory KV and D1
// with the migrations applied, the rate limits of wrangler.toml (Miniflare simulates them), and a root
// client. Used by the benchmarks and by script tests that need a real server without the `wrangler dev`
// proxy.

import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { readD1Migrations } from '@cloudflare/vitest-plugin'
import { unstable_readConfig } from 'wrangler'
import { ROOT, wranglerEnv } from './local.ts'
import { signingKeySet } from './signing-key.ts'

export const WORKER_ROOT = { id: 'bench-root', secret: 'bench-root-secret-0123456789abcdef' }
export const WORKER_ORIGIN = 'http://bench.local'

export function buildWorker(outdir = path.join(ROOT, '.bench', 'build')): string {
  const result = spawnSync(
    path.join(ROOT, 'node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir],
    { cwd: ROOT, env: wranglerEnv(), encoding: 'utf8' }
  )
  if (result.status !== 0) throw new Error(`bundling failed:\n${result.stdout}${result.stderr}`)
  return path.join(outdir, 'index.js')
}

export async function startWorker(
  scriptPath: string,
  vars: Record<string, string> = {}
): Promise<Miniflare> {
  // Miniflare 5 takes a new options shape; the classic (v4) one is converted.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath,
      // Module names are relative to this root; the default (cwd) fails for bundles outside the project.
      modulesRoot: path.dirname(scriptPath),
      compatibilityDate: '2026-11-01',
      kvNamespaces: ['AUTH'],
      d1Databases: ['DB'],
      ratelimits: rateLimits(),
      bindings: {
        ROOT_CLIENT_ID: WORKER_ROOT.id,
        ROOT_CLIENT_SECRET: WORKER_ROOT.secret,
        BASE_URL: '',
        AUTH_CACHE_TTL_SECONDS: '60',
        TOKEN_SIGNING_KEYS: await signingKeySet(),
        ...vars,
      },
    })
  )
  const db = await mf.getD1Database('DB')
  for (const migration of await readD1Migrations(path.join(ROOT, 'migrations'))) {
    for (const query of migration.queries) await db.prepare(query).run()
  }
  return mf
}

interface RateLimitConfig {
  name: string
  namespace_id: string
  simple: { limit: number; period: 10 | 60 }
}

/** The `[[ratelimits]]` of wrangler.toml, as Miniflare takes them. */
function rateLimits() {
  const config = unstable_readConfig(
    { config: path.join(ROOT, 'wrangler.toml') },
    { hideWarnings: true }
  )
  const limits: RateLimitConfig[] = config.ratelimits
  return Object.fromEntries(
    limits.map(({ name, namespace_id, simple }) => [name, { namespace_id, simple }])
  )
}
