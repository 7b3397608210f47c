// The authentication limits of wrangler.toml and the code that answers for them agree: both bindings
// exist, and their period is the one src/auth/throttle.ts uses for Retry-After and for how long an
// isolate remembers a refusal (a binding cannot tell its period to the Worker).

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { unstable_readConfig } from 'wrangler'

const ROOT = path.resolve(import.meta.dirname, '../..')

describe('authentication limits in wrangler.toml (README "Configuration")', () => {
  const config = unstable_readConfig(
    { config: path.join(ROOT, 'wrangler.toml') },
    { hideWarnings: true }
  )
  const limits = new Map<string, { namespace_id: string; simple: { period: number } }>(
    config.ratelimits.map((r: { name: string }) => [r.name, r])
  )

  it('binds AUTH_CLIENT_LIMITER and AUTH_ADDRESS_LIMITER to namespaces of their own', () => {
    const client = limits.get('AUTH_CLIENT_LIMITER')
    const address = limits.get('AUTH_ADDRESS_LIMITER')
    expect(client).toBeDefined()
    expect(address).toBeDefined()
    expect(client!.namespace_id).not.toBe(address!.namespace_id)
  })

  it('gives both the period src/auth/throttle.ts answers Retry-After with', () => {
    const source = readFileSync(path.join(ROOT, 'src/auth/throttle.ts'), 'utf8')
    const period = Number(/^const LIMIT_PERIOD_SECONDS = (\d+)$/m.exec(source)?.[1])
    expect(period).toBeGreaterThan(0)
    expect(limits.get('AUTH_CLIENT_LIMITER')?.simple.period).toBe(period)
    expect(limits.get('AUTH_ADDRESS_LIMITER')?.simple.period).toBe(period)
  })
})
