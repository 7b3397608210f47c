// Limits on authentication attempts (README "Security model", issue 10), against the Workers Rate
// Limiting bindings of wrangler.toml as Miniflare simulates them: keyed by client id and by address
// (CF-Connecting-IP, IPv6 by /64), consulted before a secret is verified, answered with 429 throttled
// (FHIR R4 IssueType) and Retry-After (RFC 9110 §10.2.3) for the right secret as for a wrong one.

import { env } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { addressKey } from '../../src/auth/address.ts'
import {
  allowClient,
  allowedClient,
  basic,
  call,
  json,
  registerClient,
  uniqueId,
} from './helpers.ts'

// simple.limit of the two [[ratelimits]] in wrangler.toml; both have simple.period = 10.
const CLIENT_LIMIT = 20
const ADDRESS_LIMIT = 60
const PERIOD_MS = 10_000

let nextAddress = 0
/** A /64 no other test uses (the IPv6 documentation prefix, RFC 3849). */
function freshAddress(): string {
  nextAddress++
  return `2001:db8:${((Math.random() * 0xffff) | 0).toString(16)}:${nextAddress.toString(16)}::1`
}

// Bursts of PBKDF2 attempts, a wait for a fresh window, and one wait of a whole period.
/**
 * Miniflare counts in fixed windows aligned to the clock; waits for a new one when the current one
 * has less than `ms` left, so that a burst of attempts is counted in one window.
 */
async function windowWithRoom(ms: number): Promise<void> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS)
  if (left < ms) await new Promise((resolve) => setTimeout(resolve, left + 50))
}

function attempt(auth: string, address: string): Promise<Response> {
  return call('GET', '/fhir/Observation?_count=1', {
    auth,
    headers: { 'cf-connecting-ip': address },
  })
}

/** What a caller can tell apart in an answer: status, challenge, Retry-After, media type and body. */
async function answer(response: Promise<Response>) {
  const res = await response
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    retryAfter: res.headers.has('retry-after'),
    type: res.headers.get('content-type'),
    body: await res.json(),
  }
}

async function expectThrottled(response: Response | Promise<Response>): Promise<void> {
  const res = await response
  expect(res.status).toBe(429)
  const retryAfter = Number(res.headers.get('retry-after'))
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10, `${retryAfter}`).toBe(
    true
  )
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
  const body = await json(res)
  expect(body.resourceType).toBe('OperationOutcome')
  expect(body.issue[0].code).toBe('throttled')
}

/** `n` attempts with wrong secrets on `id`, each answered 401. */
async function failTimes(n: number, id: string, address: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    expect((await attempt(basic(id, `wrong-${i}`), address)).status, `attempt ${i + 1}`).toBe(401)
  }
}

describe('limits on failed authentication per client id', { timeout: 30_000 }, () => {
  it('answers 429 with Retry-After to every attempt on a limited client id, the right secret included (even one this isolate has verified)', async () => {
    const client = await allowedClient('limited')
    const other = await allowedClient('bystander')
    const address = freshAddress()
    await windowWithRoom(3000)
    // verified once (one unit), then answered from this isolate's cache
    expect((await attempt(client.auth, address)).status).toBe(200)
    await failTimes(CLIENT_LIMIT - 1, client.id, address)
    await expectThrottled(attempt(basic(client.id, 'wrong-again'), address))
    await expectThrottled(attempt(client.auth, address))
    // another client id, even from the same address, is unaffected
    expect((await attempt(other.auth, address)).status).toBe(200)
  })

  it('answers an unknown client id exactly as a known one, attempt by attempt', async () => {
    const known = uniqueId('known')
    await registerClient(known, 'right-secret-2')
    const unknown = uniqueId('nobody')
    const [a, b] = [freshAddress(), freshAddress()]
    await windowWithRoom(5000)
    for (let i = 0; i < CLIENT_LIMIT + 2; i++) {
      const forKnown = await answer(attempt(basic(known, `wrong-${i}`), a))
      const forUnknown = await answer(attempt(basic(unknown, `wrong-${i}`), b))
      expect(forKnown.status).toBe(i < CLIENT_LIMIT ? 401 : 429)
      expect(forUnknown, `attempt ${i + 1}`).toEqual(forKnown)
    }
  })

  it('consults the limit before verifying: an isolate that has not seen the limit refuses the right secret without PBKDF2', async () => {
    const secret = 'right-secret-3'
    const id = uniqueId('spent')
    await registerClient(id, secret)
    await windowWithRoom(2000)
    // Another isolate (or machine) of this location spent the client's budget.
    for (let i = 0; i < CLIENT_LIMIT; i++) await env.AUTH_CLIENT_LIMITER.limit({ key: id })
    const derivations = vi.spyOn(crypto.subtle, 'deriveBits')
    try {
      await expectThrottled(attempt(basic(id, secret), freshAddress()))
      expect(derivations).not.toHaveBeenCalled()
    } finally {
      derivations.mockRestore()
    }
  })

  it('limits the root client like any other client id', async () => {
    const root = { ROOT_CLIENT_ID: uniqueId('root'), ROOT_CLIENT_SECRET: 'root-secret-for-limits' }
    const app = buildApp()
    const address = freshAddress()
    const asRoot = (secret: string) =>
      app.request(
        'https://fhir.test/fhir/Observation?_count=1',
        {
          headers: {
            authorization: basic(root.ROOT_CLIENT_ID, secret),
            'cf-connecting-ip': address,
          },
        },
        { ...env, ...root }
      )
    await windowWithRoom(3000)
    for (let i = 0; i < CLIENT_LIMIT; i++) expect((await asRoot(`wrong-${i}`)).status).toBe(401)
    await expectThrottled(asRoot('wrong-again'))
    await expectThrottled(asRoot(root.ROOT_CLIENT_SECRET))
  })

  it('counts the right secret of a disabled client like a wrong one', async () => {
    const id = uniqueId('disabled')
    await registerClient(id, 'right-secret-4', { grant_types: ['basic'], active: false })
    const address = freshAddress()
    await windowWithRoom(3000)
    for (let i = 0; i < CLIENT_LIMIT; i++) {
      expect((await attempt(basic(id, 'right-secret-4'), address)).status).toBe(401)
    }
    await expectThrottled(attempt(basic(id, 'right-secret-4'), address))
  })

  it('lifts the limit once Retry-After has passed', async () => {
    const secret = 'right-secret-5'
    const id = uniqueId('recovers')
    await registerClient(id, secret)
    await allowClient(id)
    const address = freshAddress()
    await windowWithRoom(3000)
    await failTimes(CLIENT_LIMIT, id, address)
    const refused = await attempt(basic(id, secret), address)
    expect(refused.status).toBe(429)
    const wait = Number(refused.headers.get('retry-after')) * 1000
    await new Promise((resolve) => setTimeout(resolve, wait + 100))
    expect((await attempt(basic(id, secret), address)).status).toBe(200)
  })
})

describe('limits on failed authentication per address', { timeout: 30_000 }, () => {
  it('answers 429 to every attempt from a limited address, for any client id, and only from it', async () => {
    const client = await allowedClient('from-limited-address')
    const [limited, elsewhere] = [freshAddress(), freshAddress()]
    await windowWithRoom(6000)
    for (let i = 0; i < ADDRESS_LIMIT; i++) {
      const res = await attempt(basic(uniqueId('spray'), 'guess'), limited)
      expect(res.status, `attempt ${i + 1}`).toBe(401)
    }
    await expectThrottled(attempt(basic(uniqueId('spray'), 'guess'), limited))
    await expectThrottled(attempt(client.auth, limited))
    expect((await attempt(client.auth, elsewhere)).status).toBe(200)
    // requests without credentials are not authentication attempts
    const anonymous = await call('GET', '/fhir/metadata', {
      headers: { 'cf-connecting-ip': limited },
    })
    expect(anonymous.status).toBe(200)
  })

  it('keys IPv6 addresses by their /64 and IPv4 addresses whole', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:DB8:0001:0002::ffff'))
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'))
    expect(addressKey('::ffff:192.0.2.7')).toBe(addressKey('192.0.2.7'))
    expect(addressKey('192.0.2.7')).not.toBe(addressKey('192.0.2.8'))
    // without the header (a call that did not come through Cloudflare's edge), one shared key
    expect(addressKey(undefined)).toBe(addressKey(undefined))
    expect(addressKey(undefined)).not.toBe(addressKey('192.0.2.7'))
  })
})

describe('what the limits leave alone', { timeout: 30_000 }, () => {
  it('counts nothing for requests whose secret this isolate has verified (the warm path)', async () => {
    const client = await allowedClient('warm')
    const address = freshAddress()
    await windowWithRoom(4000)
    for (let i = 0; i < CLIENT_LIMIT + 10; i++) {
      expect((await attempt(client.auth, address)).status, `request ${i + 1}`).toBe(200)
    }
  })

  it('verifies concurrent first requests with the same credentials once', async () => {
    const client = await allowedClient('burst')
    const address = freshAddress()
    // Straight into the app, so that every request has started before the first one is verified.
    const app = buildApp()
    const request = () =>
      app.request(
        'https://fhir.test/fhir/Observation?_count=1',
        { headers: { authorization: client.auth, 'cf-connecting-ip': address } },
        env
      )
    await windowWithRoom(4000)
    const derivations = vi.spyOn(crypto.subtle, 'deriveBits')
    try {
      const responses = await Promise.all(Array.from({ length: CLIENT_LIMIT + 10 }, request))
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200))
      expect(derivations).toHaveBeenCalledTimes(1)
    } finally {
      derivations.mockRestore()
    }
  })
})
