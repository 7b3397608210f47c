// private_key_jwt client authentication (RFC 7523 §2.2 and §3; SMART Backend Services): assertions
// signed RS384 or ES384 by a key of the Client's registered jwks, for the token endpoint, fresh and
// used once; everything else refused (node-oidc-provider's client-authentication checklist).

import { env } from 'cloudflare:test'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { uniqueId } from './helpers.ts'
import {
  assertion,
  assertionFields,
  BASE,
  ISSUER,
  clientSecretBasic,
  expectOAuthError,
  expectToken,
  JWT_BEARER,
  keyClient,
  keyPair,
  oauthAdminPut,
  oauthCall,
  secretClient,
  tokenRequest,
  TOKEN_URL,
  unsignedJwt,
} from './oauth-helpers.ts'

const GRANT = { grant_type: 'client_credentials' }
const withAssertion = (jwt: string, extra: Record<string, string> = {}) =>
  tokenRequest({ form: { ...GRANT, ...assertionFields(jwt), ...extra } })

describe('accepted assertions (RFC 7523 §3)', () => {
  it.each(['RS384', 'ES384'] as const)('accepts an assertion signed %s', async (alg) => {
    const client = await keyClient(alg)
    const token = await expectToken(await withAssertion(await assertion(client)))
    expect(token.scope).toBe('system/*.*')
  })

  it('accepts a JSON body, a client_id equal to sub, an aud array that holds the token URL, and no kid', async () => {
    const client = await keyClient('ES384')
    await expectToken(
      await tokenRequest({ json: { ...GRANT, ...assertionFields(await assertion(client)) } })
    )
    await expectToken(await withAssertion(await assertion(client), { client_id: client.id }))
    await expectToken(
      await withAssertion(
        await assertion(client, { claims: { aud: ['https://elsewhere.test', TOKEN_URL] } })
      )
    )
    const noKid = await new SignJWT({
      iss: client.id,
      sub: client.id,
      aud: TOKEN_URL,
      jti: crypto.randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES384' })
      .setExpirationTime('1m')
      .sign(client.privateKey)
    await expectToken(await withAssertion(noKid))
  })

  it('accepts a key among several registered ones (rotation)', async () => {
    const old = await keyPair('RS384')
    const current = await keyPair('RS384')
    const id = uniqueId('pkj-rotate')
    const res = await oauthAdminPut(id, {
      grant_types: ['client_credentials'],
      jwks: { keys: [old.publicJwk, current.publicJwk] },
    })
    expect(res.status).toBe(201)
    for (const key of [old, current]) {
      const client = { id, privateKey: key.privateKey, kid: key.kid, alg: 'RS384' as const }
      await expectToken(await withAssertion(await assertion(client)))
    }
  })
})

describe('refused assertions: 401 invalid_client (RFC 7523 §3.1, RFC 6749 §5.2)', () => {
  it('refuses a replayed assertion (the same jti) before it expires', async () => {
    const client = await keyClient()
    const jwt = await assertion(client)
    await expectToken(await withAssertion(jwt))
    await expectOAuthError(await withAssertion(jwt), 401, 'invalid_client')
    // a new assertion with the same jti too
    const reused = await assertion(client, { claims: { jti: 'fixed-jti' } })
    await expectToken(await withAssertion(reused))
    const again = await assertion(client, { claims: { jti: 'fixed-jti' } })
    await expectOAuthError(await withAssertion(again), 401, 'invalid_client')
  })

  it('refuses a replay while the clock tolerance still accepts the assertion past its exp (RFC 7523 §3 item 7)', async () => {
    // exp 2 s ago: still accepted within the 5 s tolerance, so its jti must still be remembered.
    const client = await keyClient()
    const jwt = await assertion(client, { expiresIn: -2 })
    await expectToken(await withAssertion(jwt))
    await expectOAuthError(await withAssertion(jwt), 401, 'invalid_client')
  })

  it('the same jti from two clients is two assertions', async () => {
    const [a, b] = [await keyClient(), await keyClient()]
    await expectToken(await withAssertion(await assertion(a, { claims: { jti: 'shared' } })))
    await expectToken(await withAssertion(await assertion(b, { claims: { jti: 'shared' } })))
  })

  it.each([
    ['expired', { expiresIn: -60 }],
    ['exp more than 5 minutes ahead', { expiresIn: 310 + 5 }],
    ['no exp', { claims: { exp: undefined } }],
    ['no jti', { claims: { jti: undefined } }],
    ['an empty jti', { claims: { jti: '' } }],
    ['a jti that is not a string', { claims: { jti: 42 } }],
    ['aud the server origin (not the issuer)', { claims: { aud: BASE } }],
    ['aud the issuer with a trailing slash', { claims: { aud: `${ISSUER}/` } }],
    ['aud another server', { claims: { aud: 'https://elsewhere.test/auth/token' } }],
    ['aud the introspection endpoint', { claims: { aud: `${BASE}/auth/introspect` } }],
    ['no aud', { claims: { aud: undefined } }],
    ['iss not the client id', { claims: { iss: 'someone-else' } }],
    ['no iss', { claims: { iss: undefined } }],
    ['nbf in the future', { claims: { nbf: Math.floor(Date.now() / 1000) + 120 } }],
    ['iat in the future', { claims: { iat: Math.floor(Date.now() / 1000) + 120 } }],
  ] as const)('refuses an assertion with %s', async (_, options) => {
    const client = await keyClient()
    await expectOAuthError(
      await withAssertion(await assertion(client, options)),
      401,
      'invalid_client'
    )
  })

  it('accepts aud the issuer identifier (RFC 7523 §3: any value that identifies the server)', async () => {
    const client = await keyClient()
    await expectToken(await withAssertion(await assertion(client, { claims: { aud: ISSUER } })))
  })

  it('accepts exp 5 minutes ahead exactly', async () => {
    const client = await keyClient()
    await expectToken(await withAssertion(await assertion(client, { expiresIn: 300 })))
  })

  it('refuses alg none', async () => {
    const client = await keyClient()
    const now = Math.floor(Date.now() / 1000)
    const jwt = unsignedJwt({
      iss: client.id,
      sub: client.id,
      aud: TOKEN_URL,
      jti: crypto.randomUUID(),
      exp: now + 60,
    })
    await expectOAuthError(await withAssertion(jwt), 401, 'invalid_client')
  })

  it('refuses HS256 "signed" with the registered public key as the HMAC secret', async () => {
    const { publicJwk, kid, privateKey } = await keyPair('RS384')
    const id = uniqueId('pkj-hs')
    await oauthAdminPut(id, { grant_types: ['client_credentials'], jwks: { keys: [publicJwk] } })
    const claims = { iss: id, sub: id, aud: TOKEN_URL, jti: crypto.randomUUID() }
    for (const secret of [JSON.stringify(publicJwk), publicJwk.n!]) {
      const hmac = await importJWK(
        { kty: 'oct', k: btoa(secret).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_') },
        'HS256'
      )
      const jwt = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid })
        .setExpirationTime('1m')
        .sign(hmac)
      await expectOAuthError(await withAssertion(jwt), 401, 'invalid_client')
    }
    // the key itself still works
    const client = { id, privateKey, kid, alg: 'RS384' as const }
    await expectToken(await withAssertion(await assertion(client)))
  })

  it('refuses RS256 (and any algorithm but RS384 and ES384), even signed by a registered key', async () => {
    const pair = await generateKeyPair('RS256', { extractable: true })
    const id = uniqueId('pkj-rs256')
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'rs256' }
    await oauthAdminPut(id, { grant_types: ['client_credentials'], jwks: { keys: [publicJwk] } })
    const rs256 = await new SignJWT({ iss: id, sub: id, aud: TOKEN_URL, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: 'rs256' })
      .setExpirationTime('1m')
      .sign(pair.privateKey)
    await expectOAuthError(await withAssertion(rs256), 401, 'invalid_client')
  })

  it('refuses an assertion signed by a key the client did not register, or by another client’s key', async () => {
    const client = await keyClient()
    const stranger = await keyPair('RS384')
    const forged = await assertion({ ...client, privateKey: stranger.privateKey })
    await expectOAuthError(await withAssertion(forged), 401, 'invalid_client')
    const other = await keyClient()
    const borrowed = await assertion({ ...other, id: client.id })
    await expectOAuthError(await withAssertion(borrowed), 401, 'invalid_client')
  })

  it('refuses an assertion for an unknown client, a disabled one, one without jwks, and one registered for a secret method', async () => {
    const unknown = { ...(await keyClient()), id: uniqueId('nobody') }
    await expectOAuthError(await withAssertion(await assertion(unknown)), 401, 'invalid_client')
    const disabled = await keyClient('RS384', { active: false })
    await expectOAuthError(await withAssertion(await assertion(disabled)), 401, 'invalid_client')
    const secretOnly = await secretClient()
    const key = await keyPair('RS384')
    const noJwks = {
      id: secretOnly.id,
      privateKey: key.privateKey,
      kid: key.kid,
      alg: 'RS384' as const,
    }
    await expectOAuthError(await withAssertion(await assertion(noJwks)), 401, 'invalid_client')
    const basicOnly = await keyClient('RS384', {
      secret: 'a-secret-too',
      token_endpoint_auth_method: 'client_secret_basic',
    })
    await expectOAuthError(await withAssertion(await assertion(basicOnly)), 401, 'invalid_client')
  })

  it('does one signature check for every refusal, whether the client exists, has keys that fit, or may use the method', async () => {
    const client = await keyClient()
    const disabled = await keyClient('RS384', { active: false })
    const stranger = await keyPair('RS384')
    const signed = (id: string, kid: string) =>
      assertion({ id, kid, privateKey: stranger.privateKey, alg: 'RS384' })
    const cases = [
      await signed(uniqueId('nobody'), stranger.kid), // unknown client
      await signed(client.id, client.kid), // its kid, another key
      await signed(client.id, 'no-such-kid'), // a kid it does not have
      await signed(disabled.id, disabled.kid), // disabled
    ]
    const verifications = vi.spyOn(crypto.subtle, 'verify')
    try {
      for (const jwt of cases) {
        verifications.mockClear()
        const res = await withAssertion(jwt)
        await expectOAuthError(res, 401, 'invalid_client')
        expect(verifications).toHaveBeenCalledTimes(1)
      }
    } finally {
      verifications.mockRestore()
    }
  })

  it('refuses a client with keys over secret methods when it registered private_key_jwt', async () => {
    const client = await keyClient('RS384', {
      secret: 'a-secret-too',
      token_endpoint_auth_method: 'private_key_jwt',
    })
    await expectOAuthError(
      await tokenRequest({ form: GRANT, auth: clientSecretBasic(client.id, 'a-secret-too') }),
      401,
      'invalid_client'
    )
    await expectToken(await withAssertion(await assertion(client)))
  })
})

describe('malformed assertion requests: 400 invalid_request', () => {
  it('refuses a missing or wrong client_assertion_type, and a type without an assertion', async () => {
    const client = await keyClient()
    const jwt = await assertion(client)
    await expectOAuthError(
      await tokenRequest({ form: { ...GRANT, client_assertion: jwt } }),
      400,
      'invalid_request'
    )
    await expectOAuthError(
      await tokenRequest({
        form: { ...GRANT, client_assertion: jwt, client_assertion_type: 'not_an_assertion_type' },
      }),
      400,
      'invalid_request'
    )
    await expectOAuthError(
      await tokenRequest({ form: { ...GRANT, client_assertion_type: JWT_BEARER } }),
      400,
      'invalid_request'
    )
  })

  it('refuses an assertion that is no JWT, and a client_id that differs from its sub', async () => {
    for (const bad of ['this.notatall.valid', 'not-a-jwt', '.eyJzdWIiOiJ4In0.']) {
      const res = await withAssertion(bad)
      expect([400, 401]).toContain(res.status)
      expect(((await res.json()) as { error: string }).error).toMatch(
        /^(invalid_request|invalid_client)$/
      )
    }
    const client = await keyClient()
    await expectOAuthError(
      await withAssertion(await assertion(client), { client_id: uniqueId('other') }),
      400,
      'invalid_request'
    )
  })
})

describe('private_key_jwt at introspection and revocation (RFC 7662 §2.1, RFC 7009 §2.1)', () => {
  it('accepts an assertion for the token endpoint or for the endpoint itself', async () => {
    const client = await keyClient('ES384')
    const token = await expectToken(await withAssertion(await assertion(client)))
    for (const aud of [TOKEN_URL, `${BASE}/auth/introspect`]) {
      const res = await oauthCall('/auth/introspect', {
        form: {
          token: token.access_token,
          ...assertionFields(await assertion(client, { claims: { aud } })),
        },
      })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { active: boolean }).active).toBe(true)
    }
    const revoke = await oauthCall('/auth/revoke', {
      form: {
        token: token.access_token,
        ...assertionFields(await assertion(client, { claims: { aud: `${BASE}/auth/revoke` } })),
      },
    })
    expect(revoke.status).toBe(200)
    expect(
      (await env.DB.prepare(
        'SELECT count(*) AS n FROM oauth_token WHERE client_id = ? AND revoked_at IS NOT NULL'
      )
        .bind(client.id)
        .first<{ n: number }>())!.n
    ).toBe(1)
  })

  it('refuses at introspection an assertion meant for revocation', async () => {
    const client = await keyClient()
    const res = await oauthCall('/auth/introspect', {
      form: {
        token: 'x',
        ...assertionFields(await assertion(client, { claims: { aud: `${BASE}/auth/revoke` } })),
      },
    })
    await expectOAuthError(res, 401, 'invalid_client')
  })
})

describe('stored keys that cannot verify fail closed', () => {
  it('a key written into KV by hand that does not import refuses the client, never a 500', async () => {
    const id = uniqueId('pkj-broken')
    const broken: JWK = { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'k', alg: 'RS384' }
    await env.AUTH.put(
      `Client/${id}`,
      JSON.stringify({ id, grant_types: ['client_credentials'], jwks: { keys: [broken] } })
    )
    const { privateKey } = await keyPair('RS384')
    const jwt = await assertion({ id, privateKey, kid: 'k', alg: 'RS384' })
    await expectOAuthError(await withAssertion(jwt), 401, 'invalid_client')
  })
})
