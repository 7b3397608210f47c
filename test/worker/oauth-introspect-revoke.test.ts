// Token introspection (RFC 7662, SMART App Launch "token introspection") and revocation (RFC 7009):
// client authentication as at the token endpoint whatever the caller's grant_types; an active
// token's claims or only {"active": false}; a client revokes only its own tokens, and a revoked token
// stops working at once on the API.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { bearerFor, call, ROOT } from './helpers.ts'
import {
  ISSUER,
  clientSecretBasic,
  expectOAuthError,
  expectToken,
  oauthCall,
  secretClient,
  tokenRequest,
} from './oauth-helpers.ts'

type Client = { id: string; secret: string }

async function tokenOf(client: Client, scope?: string): Promise<string> {
  const form: Record<string, string> = { grant_type: 'client_credentials' }
  if (scope) form.scope = scope
  const res = await tokenRequest({ form, auth: clientSecretBasic(client.id, client.secret) })
  return (await expectToken(res)).access_token
}

function introspect(caller: Client, token: string, extra: Record<string, string> = {}) {
  return oauthCall('/auth/introspect', {
    form: { token, ...extra },
    auth: clientSecretBasic(caller.id, caller.secret),
  })
}

function revoke(caller: Client, token: string, extra: Record<string, string> = {}) {
  return oauthCall('/auth/revoke', {
    form: { token, ...extra },
    auth: clientSecretBasic(caller.id, caller.secret),
  })
}

const opaqueClient = (fields: Record<string, unknown> = {}, allow = false) =>
  secretClient(fields, { allow })
const jwtClient = (fields: Record<string, unknown> = {}, allow = false) =>
  secretClient({ auth: { client_credentials: { token_format: 'jwt' } }, ...fields }, { allow })

async function answerOf(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text()
  expect(res.status, text).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('pragma')).toBe('no-cache')
  return JSON.parse(text)
}

describe('introspection of a live token (RFC 7662 §2.2)', () => {
  it.each([
    ['opaque', opaqueClient],
    ['jwt', jwtClient],
  ] as const)('answers the claims of a live %s token', async (_, make) => {
    const owner = await make()
    const resourceServer = await secretClient({ grant_types: ['basic'] })
    const token = await tokenOf(owner, 'system/Patient.rs system/Observation.s')
    const before = Math.floor(Date.now() / 1000)
    const answer = await answerOf(await introspect(resourceServer, token))
    expect(answer).toEqual({
      active: true,
      scope: 'system/Patient.rs system/Observation.s',
      client_id: owner.id,
      sub: owner.id,
      exp: expect.any(Number),
      iat: expect.any(Number),
      iss: ISSUER,
      token_type: 'Bearer',
    })
    expect(answer.exp as number).toBeGreaterThanOrEqual(before + 299)
    expect((answer.exp as number) - (answer.iat as number)).toBe(300)
  })

  it('authenticates the caller with client_secret_post, and accepts token_type_hint', async () => {
    const owner = await secretClient()
    const token = await tokenOf(owner)
    const res = await oauthCall('/auth/introspect', {
      form: {
        token,
        token_type_hint: 'access_token',
        client_id: owner.id,
        client_secret: owner.secret,
      },
    })
    expect((await answerOf(res)).active).toBe(true)
  })
})

describe('introspection of anything else: only {"active": false} (RFC 7662 §2.2)', () => {
  it('answers unknown, malformed, forged, expired, revoked tokens and tokens of a disabled client alike', async () => {
    const owner = await jwtClient()
    const caller = await secretClient({ grant_types: [] })
    const live = await tokenOf(owner)
    const [header, payload] = live.split('.')
    const expired = await bearerFor(owner.id, 'system/*.rs', 'jwt', -60)
    const expiredOpaque = await bearerFor(owner.id, 'system/*.rs', 'opaque', -60)
    const revokedToken = await tokenOf(owner)
    expect((await revoke(owner, revokedToken)).status).toBe(200)
    const disabled = await secretClient()
    const ofDisabled = await tokenOf(disabled)
    const put = await call('PUT', `/Client/${disabled.id}`, {
      auth: ROOT,
      body: { id: disabled.id, grant_types: ['client_credentials'], active: false },
    })
    expect(put.status).toBe(200)
    for (const token of [
      'invalid_token_value',
      crypto.randomUUID(),
      'a'.repeat(43),
      `${header}.${payload}.${'A'.repeat(342)}`,
      `${header}.${payload}.`,
      expired.token,
      expiredOpaque.token,
      revokedToken,
      ofDisabled,
    ]) {
      expect(await answerOf(await introspect(caller, token)), token.slice(0, 20)).toEqual({
        active: false,
      })
    }
  })

  it('refuses a request without token (400), and an unauthenticated caller (401)', async () => {
    const caller = await secretClient()
    await expectOAuthError(
      await oauthCall('/auth/introspect', {
        form: {},
        auth: clientSecretBasic(caller.id, caller.secret),
      }),
      400,
      'invalid_request'
    )
    await expectOAuthError(
      await oauthCall('/auth/introspect', { form: { token: 'x' } }),
      401,
      'invalid_client'
    )
    await expectOAuthError(
      await introspect({ id: caller.id, secret: 'wrong' }, 'x'),
      401,
      'invalid_client'
    )
  })

  it('does not take an API bearer token as client authentication (400)', async () => {
    const owner = await secretClient()
    const token = await tokenOf(owner)
    await expectOAuthError(
      await oauthCall('/auth/introspect', { form: { token }, auth: `Bearer ${token}` }),
      400,
      'invalid_request'
    )
  })
})

describe('revocation (RFC 7009 §2)', () => {
  it.each([
    ['opaque', opaqueClient],
    ['jwt', jwtClient],
  ] as const)(
    'a revoked %s token stops working on the API at once, and introspects inactive',
    async (_, make) => {
      const owner = await make({}, true)
      const token = await tokenOf(owner)
      const auth = `Bearer ${token}`
      expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
      const res = await revoke(owner, token, { token_type_hint: 'access_token' })
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('pragma')).toBe('no-cache')
      const refused = await call('GET', '/fhir/Patient?_count=1', { auth })
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
      expect(await answerOf(await introspect(owner, token))).toEqual({ active: false })
      // revoking again changes nothing and answers the same
      expect((await revoke(owner, token)).status).toBe(200)
    }
  )

  it('leaves another client’s token untouched, and answers 200 all the same', async () => {
    const owner = await jwtClient({}, true)
    const other = await secretClient()
    for (const token of [
      await tokenOf(owner),
      await tokenOf(await secretClient({}, { allow: true })),
    ]) {
      expect((await revoke(other, token)).status).toBe(200)
      expect(
        (await call('GET', '/fhir/Patient?_count=1', { auth: `Bearer ${token}` })).status
      ).toBe(200)
    }
    expect(
      (await env.DB.prepare(
        'SELECT count(*) AS n FROM oauth_token WHERE client_id = ? AND revoked_at IS NOT NULL'
      )
        .bind(owner.id)
        .first<{ n: number }>())!.n
    ).toBe(0)
  })

  it('answers 200 for an unknown, malformed or expired token, and any token_type_hint', async () => {
    const caller = await secretClient()
    const expired = await bearerFor(caller.id, 'system/*.rs', 'jwt', -60)
    for (const [token, hint] of [
      ['unknown-token', 'refresh_token'],
      [crypto.randomUUID(), 'access_token'],
      ['x.y.z', 'something_else'],
      [expired.token, 'access_token'],
    ]) {
      const res = await revoke(caller, token!, { token_type_hint: hint! })
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('')
    }
  })

  it('authenticates the caller like the token endpoint: post works, wrong secret is 401, no token is 400', async () => {
    const owner = await secretClient()
    const token = await tokenOf(owner)
    await expectOAuthError(
      await revoke({ id: owner.id, secret: 'wrong' }, token),
      401,
      'invalid_client'
    )
    await expectOAuthError(
      await oauthCall('/auth/revoke', {
        form: {},
        auth: clientSecretBasic(owner.id, owner.secret),
      }),
      400,
      'invalid_request'
    )
    const res = await oauthCall('/auth/revoke', {
      json: { token, client_id: owner.id, client_secret: owner.secret },
    })
    expect(res.status).toBe(200)
    expect(await answerOf(await introspect(owner, token))).toEqual({ active: false })
  })
})
