// Bearer tokens on the API (RFC 6750): JWT and opaque tokens the token service issued are accepted;
// malformed, forged, expired and revoked ones are refused, and revocation takes effect inside the
// request's own D1 round trip, for reads and writes alike (docs/oauth.md "Using tokens").

import { env } from 'cloudflare:test'
import { SignJWT, importJWK, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { revokeToken } from '../../src/auth/token-store.ts'
import {
  allowClient,
  basic,
  bearerFor,
  call,
  json,
  registerClient,
  ROOT,
  uniqueId,
} from './helpers.ts'
import { registerUser } from './user-helpers.ts'

async function tokenClient(prefix = 'bearer') {
  const id = uniqueId(prefix)
  await registerClient(id, `s3cret-${crypto.randomUUID()}`, {
    grant_types: ['client_credentials'],
    scope: ['system/*.cruds'],
  })
  await allowClient(id)
  return id
}

const now = () => Math.floor(Date.now() / 1000)

function expectInvalidToken(res: Response) {
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toMatch(
    /^Bearer realm="edge-fhir", error="invalid_token"/
  )
}

describe('bearer tokens on the FHIR API (RFC 6750 §2.1)', () => {
  it.each(['jwt', 'opaque'] as const)(
    'accepts a live %s token for reads and writes',
    async (format) => {
      const id = await tokenClient()
      const { auth } = await bearerFor(id, 'system/*.cruds', format)
      const created = await call('POST', '/fhir/Patient', {
        auth,
        body: { resourceType: 'Patient', name: [{ family: 'Bearer' }] },
      })
      expect(created.status).toBe(201)
      const patient = await json(created)
      const read = await call('GET', `/fhir/Patient/${patient.id}`, { auth })
      expect(read.status).toBe(200)
      expect((await json(read)).name[0].family).toBe('Bearer')
    }
  )

  it('answers 400 invalid_request to a Bearer header without a token68 (RFC 6750 §3.1)', async () => {
    for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer {json}']) {
      const res = await call('GET', '/fhir/Patient', { auth: header })
      expect(res.status, header).toBe(400)
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="edge-fhir", error="invalid_request"'
      )
      expect((await json(res)).resourceType).toBe('OperationOutcome')
    }
  })

  it('refuses tokens that are not ours: random text, a forged signature, alg none, HS256 with the public key', async () => {
    const id = await tokenClient()
    const { token } = await bearerFor(id, 'system/*.cruds')
    const [header, payload] = token.split('.')
    const forged = `${header}.${payload}.${btoa('x'.repeat(256)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}`
    const none = `${btoa(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).replace(/=+$/, '')}.${payload}.`
    const publicJwk = (JSON.parse(env.TOKEN_SIGNING_KEYS) as { keys: JWK[] }).keys[0]!
    const hmacKey = await importJWK(
      {
        kty: 'oct',
        k: btoa(JSON.stringify({ kty: publicJwk.kty, n: publicJwk.n, e: publicJwk.e }))
          .replace(/=+$/, '')
          .replace(/\+/g, '-')
          .replace(/\//g, '_'),
      },
      'HS256'
    )
    const claims = JSON.parse(atob(payload!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<
      string,
      unknown
    >
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid, typ: 'at+jwt' })
      .sign(hmacKey)
    for (const bad of ['not-a-token', crypto.randomUUID(), forged, none, hs256]) {
      expectInvalidToken(await call('GET', '/fhir/Patient', { auth: `Bearer ${bad}` }))
    }
  })

  it('refuses a token that acts for a User who does not exist (users-policies.test.ts has the rest)', async () => {
    const id = await tokenClient()
    const { auth } = await bearerFor(id, 'system/*.cruds', 'jwt', 300, {
      user: uniqueId('someone'),
    })
    expectInvalidToken(await call('GET', '/fhir/Patient', { auth }))
  })

  it('accepts a token that acts for an active User, as its Client, with the User loaded', async () => {
    const id = await tokenClient()
    const user = uniqueId('someone')
    await registerUser(user, { active: true })
    const { auth } = await bearerFor(id, 'system/*.cruds', 'jwt', 300, { user })
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    await registerUser(user, { active: false })
    expectInvalidToken(await call('GET', '/fhir/Patient?_count=1', { auth }))
  })

  it('refuses an expired token', async () => {
    const id = await tokenClient()
    for (const format of ['jwt', 'opaque'] as const) {
      const { auth } = await bearerFor(id, 'system/*.cruds', format, -60)
      expectInvalidToken(await call('GET', '/fhir/Patient', { auth }))
    }
  })

  it('refuses a token whose Client was disabled or deleted since it was issued', async () => {
    const id = await tokenClient()
    const { auth } = await bearerFor(id, 'system/*.cruds')
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    await registerClient(id, 'another-secret', {
      grant_types: ['client_credentials'],
      active: false,
    })
    expectInvalidToken(await call('GET', '/fhir/Patient?_count=1', { auth }))
    expect((await call('DELETE', `/Client/${id}`, { auth: ROOT })).status).toBe(200)
    expectInvalidToken(await call('GET', '/fhir/Patient?_count=1', { auth }))
  })

  it.each(['jwt', 'opaque'] as const)(
    'a %s token of a deleted Client stays refused when a Client with its id is registered again (RFC 6750 §3.1)',
    async (format) => {
      const id = await tokenClient()
      const { auth } = await bearerFor(id, 'system/*.cruds', format)
      expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
      expect((await call('DELETE', `/Client/${id}`, { auth: ROOT })).status).toBe(200)
      await registerClient(id, `new-${crypto.randomUUID()}`, {
        grant_types: ['client_credentials'],
        scope: ['system/*.cruds'],
      })
      expectInvalidToken(await call('GET', '/fhir/Patient?_count=1', { auth }))
    }
  )
})

describe('a Client that may no longer hold tokens loses them at once (RFC 6750 §3.1)', () => {
  it.each([
    ['disabled', { active: false }],
    ['without client_credentials', { grant_types: ['basic'] }],
  ])('a token of a Client %s stays refused after the Client is restored', async (_, change) => {
    const id = await tokenClient()
    const restored = { grant_types: ['client_credentials'], scope: ['system/*.cruds'] }
    const { auth } = await bearerFor(id, 'system/*.cruds')
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    await registerClient(id, 'another-secret', { ...restored, ...change })
    await registerClient(id, 'another-secret', restored)
    expectInvalidToken(await call('GET', '/fhir/Patient?_count=1', { auth }))
  })
})

describe('revocation takes effect in the request’s own round trip (RFC 7009 §2)', () => {
  it.each(['jwt', 'opaque'] as const)('a revoked %s token reads nothing', async (format) => {
    const id = await tokenClient()
    const { auth, jti } = await bearerFor(id, 'system/*.cruds', format)
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    expect(await revokeToken(env.DB, id, { jti }, now())).toEqual({ grantId: null })
    expectInvalidToken(await call('GET', '/fhir/Patient?_count=1', { auth }))
    expectInvalidToken(await call('GET', '/fhir/metadata', { auth }))
  })

  it('a revoked token writes nothing: the write in its batch rolls back', async () => {
    const id = await tokenClient()
    const { auth, jti } = await bearerFor(id, 'system/*.cruds')
    await revokeToken(env.DB, id, { jti }, now())
    const family = uniqueId('Revoked')
    expectInvalidToken(
      await call('PUT', `/fhir/Patient/${family}`, {
        auth,
        body: { resourceType: 'Patient', id: family, name: [{ family }] },
      })
    )
    expect((await call('GET', `/fhir/Patient/${family}`, { auth: ROOT })).status).toBe(404)
  })

  it('a client revokes only its own tokens', async () => {
    const owner = await tokenClient()
    const other = await tokenClient()
    const { auth, jti } = await bearerFor(owner, 'system/*.cruds')
    expect(await revokeToken(env.DB, other, { jti }, now())).toBeUndefined()
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
  })
})

describe('policies decide the same for a bearer request as for a Basic one', () => {
  it('an sql policy sees its first column first, even when a later column has an integer-like name', async () => {
    const id = uniqueId('bearer-sql')
    const secret = `s3cret-${crypto.randomUUID()}`
    await registerClient(id, secret, {
      grant_types: ['basic', 'client_credentials'],
      scope: ['system/*.cruds'],
    })
    // A row whose first column is 0 denies; its second column, named "1", must not be read first.
    const policy = await call('PUT', `/AccessPolicy/${id}-sql`, {
      auth: ROOT,
      body: {
        engine: 'sql',
        sql: { query: 'SELECT 0 AS verdict, 1' },
        link: [{ reference: `Client/${id}` }],
      },
    })
    expect(policy.status).toBe(201)
    const { auth } = await bearerFor(id, 'system/*.cruds')
    expect((await call('GET', '/fhir/Patient?_count=1', { auth: basic(id, secret) })).status).toBe(
      403
    )
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(403)
  })

  it('a revoked token is refused 401 even when an sql policy is the one reading D1', async () => {
    const id = uniqueId('bearer-sql')
    await registerClient(id, `s3cret-${crypto.randomUUID()}`, {
      grant_types: ['client_credentials'],
      scope: ['system/*.cruds'],
    })
    await call('PUT', `/AccessPolicy/${id}-sql`, {
      auth: ROOT,
      body: { engine: 'sql', sql: { query: 'SELECT 1' }, link: [{ reference: `Client/${id}` }] },
    })
    const { auth, jti } = await bearerFor(id, 'system/*.cruds')
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    await revokeToken(env.DB, id, { jti }, now())
    expectInvalidToken(await call('GET', '/fhir/Patient?_count=1', { auth }))
  })
})
