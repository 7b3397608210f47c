// verifyLogin (src/auth/login.ts, docs/users.md "Login"): a login is the User's email (any case) or
// id; unknown logins, wrong passwords, Users without a password and inactive Users get the same answer
// after the same PBKDF2 work; attempts are limited per User and per address like client
// authentication (src/auth/throttle.ts, wrangler.toml AUTH_CLIENT_LIMITER / AUTH_ADDRESS_LIMITER).

import { env } from 'cloudflare:test'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { verifyLogin } from '../../src/auth/login.ts'
import { addressKey } from '../../src/auth/address.ts'
import { call, ROOT, testLog, uniqueId } from './helpers.ts'
import { freshUser, registerUser } from './user-helpers.ts'

// simple.limit of the two [[ratelimits]] in wrangler.toml (period 10 s).
const USER_LIMIT = 20
const ADDRESS_LIMIT = 60
const PERIOD_MS = 10_000

let nextAddress = 0
/** A /64 of its own (RFC 3849 documentation prefix), as the limiter key address.ts makes of it. */
function freshAddress(): string {
  nextAddress++
  const random = ((Math.random() * 0xffff) | 0).toString(16)
  return addressKey(`2001:db8:${random}:${nextAddress.toString(16)}::1`)
}

/** Miniflare counts in fixed windows: waits for a new one when this one has less than `ms` left. */
async function windowWithRoom(ms: number): Promise<void> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS)
  if (left < ms) await new Promise((resolve) => setTimeout(resolve, left + 50))
}

const login = (name: string, password: string, address = freshAddress()) =>
  verifyLogin(env, name, password, address, testLog)

afterEach(() => {
  vi.restoreAllMocks()
})

describe('verifyLogin: who may log in', { timeout: 20_000 }, () => {
  it('accepts the email in any case, and the User id, with the right password', async () => {
    const user = await freshUser()
    for (const name of [user.email, user.email.toUpperCase(), ` ${user.email} `, user.id]) {
      const result = await login(name, user.password)
      expect(result.ok).toBe(true)
      if (result.ok) expect(result.user.id).toBe(user.id)
    }
  })

  it('answers exactly { ok: false } for a wrong password, an unknown login, an inactive User and a User without password', async () => {
    const user = await freshUser()
    const inactive = await freshUser({ active: false })
    const bare = uniqueId('user')
    await registerUser(bare, { email: `${bare}@example.org` })
    const answers = [
      await login(user.email, 'wrong'),
      await login(user.id, `${user.password} `),
      await login(`nobody-${user.id}@example.org`, user.password),
      await login(uniqueId('nobody'), user.password),
      await login('not an id!', user.password),
      await login(`${'x'.repeat(600)}@example.org`, user.password),
      await login(inactive.email, inactive.password),
      await login(bare, ''),
      await login(`${bare}@example.org`, 'anything'),
    ]
    for (const answer of answers) expect(answer).toEqual({ ok: false })
  })

  it('refuses a deleted User, and a User whose email changed, by the old email', async () => {
    const user = await freshUser()
    await registerUser(user.id, { email: `changed-${user.email}` })
    expect(await login(user.email, user.password)).toEqual({ ok: false })
    expect((await login(`changed-${user.email}`, user.password)).ok).toBe(true)
    await call('DELETE', `/User/${user.id}`, { auth: ROOT })
    expect(await login(user.id, user.password)).toEqual({ ok: false })
  })

  it('does the same PBKDF2 work (one 100,000-iteration derivation) for every refusal', async () => {
    const user = await freshUser()
    const inactive = await freshUser({ active: false })
    const derive = vi.spyOn(crypto.subtle, 'deriveBits')
    const cases = [
      [user.id, 'wrong'],
      [`nobody-${user.id}`, 'x'],
      [inactive.id, inactive.password],
      [user.id, user.password],
    ] as const
    for (const [name, password] of cases) {
      derive.mockClear()
      await login(name, password)
      expect(derive).toHaveBeenCalledTimes(1)
      expect((derive.mock.calls[0]![0] as { iterations?: number }).iterations).toBe(100_000)
    }
  })

  it('logs the User id and the reason of a refusal, never the password or the login text', async () => {
    const user = await freshUser()
    const lines: string[] = []
    vi.spyOn(console, 'log').mockImplementation((...args) => void lines.push(args.join(' ')))
    await login(user.email, 'pw-wrong-never-logged')
    await login(`typo-${user.email}`, user.password)
    await login(user.email, user.password)
    const text = lines.join('\n')
    expect(text).toContain('"wrong password"')
    expect(text).toContain('"unknown login"')
    expect(text).toContain(
      `"login verified","request_id":"${testLog.requestId}","user":"${user.id}"`
    )
    for (const secret of ['pw-wrong-never-logged', user.password, 'pbkdf2', `typo-${user.email}`])
      expect(text).not.toContain(secret)
  })
})

describe(
  'verifyLogin: limits (per User and per address, as client authentication)',
  { timeout: 30_000 },
  () => {
    beforeEach(() => {
      vi.spyOn(console, 'log').mockImplementation(() => {})
    })

    it(`refuses attempts beyond ${USER_LIMIT} on one User within a period, the right password included, with retryAfter`, async () => {
      const user = await freshUser()
      await windowWithRoom(5000)
      // Email and id name the same User: they share one limit.
      for (let i = 0; i < USER_LIMIT; i++) {
        expect(await login(i % 2 ? user.email : user.id, `wrong-${i}`)).toEqual({ ok: false })
      }
      const limited = await login(user.email, user.password)
      expect(limited.ok).toBe(false)
      expect(!limited.ok && limited.retryAfter).toBeGreaterThanOrEqual(1)
      // Another User is not limited by it.
      const other = await freshUser()
      expect((await login(other.id, other.password)).ok).toBe(true)
    })

    it('limits an unknown login by its lower-cased text, without a User to key it by', async () => {
      const name = `${uniqueId('ghost')}@example.org`
      await windowWithRoom(5000)
      for (let i = 0; i < USER_LIMIT; i++) expect(await login(name, 'x')).toEqual({ ok: false })
      const limited = await login(name.toUpperCase(), 'x')
      expect(!limited.ok && limited.retryAfter).toBeGreaterThanOrEqual(1)
    })

    it(`refuses attempts beyond ${ADDRESS_LIMIT} from one address, for a User never tried before`, async () => {
      const address = freshAddress()
      const user = await freshUser()
      await windowWithRoom(8000)
      await Promise.all(
        Array.from({ length: ADDRESS_LIMIT }, (_, i) =>
          login(`${uniqueId('ghost')}-${i}`, 'x', address)
        )
      )
      const limited = await login(user.id, user.password, address)
      expect(!limited.ok && limited.retryAfter).toBeGreaterThanOrEqual(1)
      // Known in this isolate: refused again at once, without the limiter or a PBKDF2.
      const derive = vi.spyOn(crypto.subtle, 'deriveBits')
      expect((await login(user.id, user.password, address)).ok).toBe(false)
      expect(derive).not.toHaveBeenCalled()
      // From another address the User may log in.
      expect((await login(user.id, user.password)).ok).toBe(true)
    })
  }
)
