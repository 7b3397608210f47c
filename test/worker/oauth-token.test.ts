// POST /auth/token with grant_type=client_credentials (RFC 6749 §4.4, §5; SMART App Launch 2 scopes):
// the request format, the grant, the scopes granted, the two token formats and their use on the
// FHIR API, the headers of every answer, and 405 for other methods.

import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { call, json } from './helpers.ts'
import {
  ISSUER,
  clientSecretBasic,
  expectOAuthError,
  expectToken,
  form,
  oauthCall,
  secretClient,
  tokenRequest,
} from './oauth-helpers.ts'

const GRANT = { grant_type: 'client_credentials' }

/** A token request from `client` with client_secret_basic and `fields`. */
async function requestToken(
  client: { id: string; secret: string },
  fields: Record<string, string> = {}
) {
  return tokenRequest({
    form: { ...GRANT, ...fields },
    auth: clientSecretBasic(client.id, client.secret),
  })
}

describe('the token response (RFC 6749 §5.1)', () => {
  it('answers access_token, token_type Bearer, a numeric expires_in and the granted scope, not cacheable', async () => {
    const client = await secretClient({ scope: ['system/Patient.rs'] })
    const res = await requestToken(client)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const token = await expectToken(res)
    expect(Object.keys(token).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type'])
    expect(token.expires_in).toBe(300)
    expect(token.scope).toBe('system/Patient.rs')
  })

  it('issues opaque tokens by default, and JWTs when auth.client_credentials.token_format is jwt', async () => {
    const opaque = await expectToken(await requestToken(await secretClient()))
    expect(opaque.access_token).toMatch(/^[\w-]{43}$/)
    const client = await secretClient({ auth: { client_credentials: { token_format: 'jwt' } } })
    const jwt = await expectToken(await requestToken(client, { scope: 'system/*.rs' }))
    expect(decodeProtectedHeader(jwt.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' })
    const claims = decodeJwt(jwt.access_token)
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: client.id,
      client_id: client.id,
      aud: ISSUER,
      scope: 'system/*.rs',
    })
    expect(claims.exp! - claims.iat!).toBe(300)
    expect(typeof claims.jti).toBe('string')
  })

  it('signs JWTs with a key published at /.well-known/jwks.json (by kid)', async () => {
    const client = await secretClient({ auth: { client_credentials: { token_format: 'jwt' } } })
    const { access_token } = await expectToken(await requestToken(client))
    const jwks = await json(await call('GET', '/.well-known/jwks.json'))
    const { payload } = await jwtVerify(access_token, createLocalJWKSet(jwks as never), {
      issuer: ISSUER,
      audience: ISSUER,
    })
    expect(payload.sub).toBe(client.id)
  })

  it('gives the lifetime of auth.client_credentials.access_token_expiration', async () => {
    const client = await secretClient({
      auth: { client_credentials: { token_format: 'jwt', access_token_expiration: 1200 } },
    })
    const token = await expectToken(await requestToken(client))
    expect(token.expires_in).toBe(1200)
    const claims = decodeJwt(token.access_token)
    expect(claims.exp! - claims.iat!).toBe(1200)
  })
})

describe('the grant (RFC 6749 §4.4.2, §5.2)', () => {
  it('refuses a request without grant_type (400 invalid_request)', async () => {
    const client = await secretClient()
    await expectOAuthError(
      await tokenRequest({ form: {}, auth: clientSecretBasic(client.id, client.secret) }),
      400,
      'invalid_request'
    )
  })

  it.each(['password', 'implicit', 'not_a_grant_type'])(
    'answers grant_type=%s with unsupported_grant_type (400; smart-token.test.ts has the app grants)',
    async (grantType) => {
      const client = await secretClient({ grant_types: ['client_credentials', 'password'] })
      await expectOAuthError(
        await requestToken(client, { grant_type: grantType }),
        400,
        'unsupported_grant_type'
      )
    }
  )

  it('refuses a client without client_credentials in grant_types (400 unauthorized_client)', async () => {
    for (const grantTypes of [['basic'], [], undefined]) {
      const client = await secretClient({ grant_types: grantTypes })
      await expectOAuthError(await requestToken(client), 400, 'unauthorized_client')
    }
  })
})

describe('scopes granted (RFC 6749 §3.3; SMART App Launch 2 scopes)', () => {
  const allowed = ['system/Patient.rs', 'system/Observation.read', 'system/Encounter.cruds']

  it.each([
    ['one allowed scope', 'system/Patient.rs', 'system/Patient.rs'],
    ['a subset of the letters', 'system/Patient.r', 'system/Patient.r'],
    [
      'several, as written, duplicates dropped',
      'system/Patient.s system/Encounter.cu system/Patient.s',
      'system/Patient.s system/Encounter.cu',
    ],
    ['v1 within v1', 'system/Observation.read', 'system/Observation.read'],
    ['v2 within v1', 'system/Observation.rs', 'system/Observation.rs'],
    [
      'a granular scope within a plain one',
      'system/Observation.rs?category=laboratory',
      'system/Observation.rs?category=laboratory',
    ],
  ])('grants %s', async (_, scope, granted) => {
    const client = await secretClient({ scope: allowed })
    expect((await expectToken(await requestToken(client, { scope }))).scope).toBe(granted)
  })

  it('grants any system scope under a wildcard', async () => {
    const client = await secretClient({ scope: ['system/*.rs'] })
    const token = await expectToken(
      await requestToken(client, { scope: 'system/Patient.rs system/Observation.s' })
    )
    expect(token.scope).toBe('system/Patient.rs system/Observation.s')
    await expectOAuthError(
      await requestToken(client, { scope: 'system/Patient.c' }),
      400,
      'invalid_scope'
    )
  })

  it.each([
    ['a type the client may not have', 'system/Condition.rs'],
    ['a letter the client may not have', 'system/Patient.rsd'],
    ['a wildcard wider than the list', 'system/*.rs'],
    ['a patient/ scope', 'patient/Patient.rs'],
    ['a user/ scope', 'user/Patient.rs'],
    ['openid', 'openid'],
    ['launch/patient', 'launch/patient'],
    ['offline_access', 'offline_access'],
    ['letters out of order', 'system/Patient.sr'],
    ['an unknown letter', 'system/Patient.x'],
    ['a malformed value (double space)', 'system/Patient.rs  system/Patient.r'],
    ['a quote', 'system/Patient.rs"'],
    ['one good and one bad', 'system/Patient.rs system/Condition.rs'],
  ])('refuses %s (400 invalid_scope)', async (_, scope) => {
    const client = await secretClient({ scope: allowed })
    await expectOAuthError(await requestToken(client, { scope }), 400, 'invalid_scope')
  })

  it('refuses patient/ and user/ scopes even to a client allowed them', async () => {
    const client = await secretClient({ scope: ['patient/*.rs', 'user/*.rs', 'system/*.rs'] })
    for (const scope of ['patient/Patient.rs', 'user/Observation.rs']) {
      await expectOAuthError(await requestToken(client, { scope }), 400, 'invalid_scope')
    }
  })

  it('without scope grants the client’s system scopes, or system/*.* when it lists none', async () => {
    const listed = await secretClient({
      scope: ['system/Patient.rs', 'patient/*.rs', 'openid', 'system/Observation.s'],
    })
    expect((await expectToken(await requestToken(listed))).scope).toBe(
      'system/Patient.rs system/Observation.s'
    )
    const unlisted = await secretClient()
    expect((await expectToken(await requestToken(unlisted))).scope).toBe('system/*.*')
    // an empty scope parameter is an omitted one (RFC 6749 §3.1)
    expect((await expectToken(await requestToken(unlisted, { scope: '' }))).scope).toBe(
      'system/*.*'
    )
  })

  it('refuses a request without scope from a client allowed no system scope', async () => {
    for (const scope of [[], ['patient/*.rs']]) {
      const client = await secretClient({ scope })
      await expectOAuthError(await requestToken(client), 400, 'invalid_scope')
    }
  })
})

describe('the request (RFC 6749 §3.2, §2.3.1)', () => {
  it('accepts a form body with a charset parameter, and a JSON body (as Aidbox does)', async () => {
    const client = await secretClient()
    const auth = clientSecretBasic(client.id, client.secret)
    await expectToken(
      await tokenRequest({
        form: GRANT,
        auth,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      })
    )
    await expectToken(await tokenRequest({ json: GRANT, auth }))
    await expectToken(
      await tokenRequest({
        json: GRANT,
        auth,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      })
    )
  })

  it.each([
    ['no content type', undefined],
    ['text/plain', 'text/plain'],
    ['multipart/form-data', 'multipart/form-data; boundary=x'],
    ['application/fhir+json', 'application/fhir+json'],
    ['a charset other than UTF-8', 'application/x-www-form-urlencoded; charset=iso-8859-1'],
  ])('refuses a body with %s (400 invalid_request)', async (_, contentType) => {
    const client = await secretClient()
    const res = await tokenRequest({
      raw: { body: form(GRANT), contentType },
      auth: clientSecretBasic(client.id, client.secret),
    })
    await expectOAuthError(res, 400, 'invalid_request')
  })

  it.each([
    [
      'a form',
      'grant_type=client_credentials&scope=system%2FPatient.rs&scope=system%2FPatient.r',
      'form',
    ],
    ['a form (grant_type)', 'grant_type=client_credentials&grant_type=client_credentials', 'form'],
    ['JSON', '{"grant_type":"client_credentials","grant_type":"client_credentials"}', 'json'],
    [
      'JSON (an escaped name)',
      '{"grant_type":"client_credentials","grant\\u005ftype":"x"}',
      'json',
    ],
  ])('refuses a parameter repeated in %s (400 invalid_request)', async (_, body, kind) => {
    const client = await secretClient()
    const auth = clientSecretBasic(client.id, client.secret)
    const res = await tokenRequest(kind === 'form' ? { form: body, auth } : { json: body, auth })
    await expectOAuthError(res, 400, 'invalid_request')
  })

  it.each([
    ['a JSON array', '[]'],
    ['a JSON number value', '{"grant_type":"client_credentials","scope":5}'],
    ['a JSON object value', '{"grant_type":{"a":"b"}}'],
    ['JSON that does not parse', '{"grant_type":'],
  ])('refuses %s (400 invalid_request)', async (_, body) => {
    const client = await secretClient()
    await expectOAuthError(
      await tokenRequest({ json: body, auth: clientSecretBasic(client.id, client.secret) }),
      400,
      'invalid_request'
    )
  })

  it('refuses a malformed percent-encoding and bytes that are not UTF-8 in a form (400)', async () => {
    const client = await secretClient()
    const auth = clientSecretBasic(client.id, client.secret)
    await expectOAuthError(
      await tokenRequest({ form: 'grant_type=client_credentials&scope=%zz', auth }),
      400,
      'invalid_request'
    )
    const res = await tokenRequest({
      raw: {
        body: new Uint8Array([0x67, 0x3d, 0xff]),
        contentType: 'application/x-www-form-urlencoded',
      },
      auth,
    })
    await expectOAuthError(res, 400, 'invalid_request')
  })

  it('never accepts parameters in the URL query, credentials least of all (400)', async () => {
    const client = await secretClient()
    for (const query of [
      `?client_id=${client.id}&client_secret=${client.secret}`,
      '?grant_type=client_credentials',
      '?x=1',
    ]) {
      await expectOAuthError(
        await tokenRequest({
          form: { ...GRANT, client_id: client.id, client_secret: client.secret },
          query,
        }),
        400,
        'invalid_request'
      )
    }
  })

  it('refuses a body over 64 KiB (413 invalid_request) without reading it', async () => {
    const client = await secretClient()
    const res = await tokenRequest({
      form: `${form(GRANT)}&pad=${'a'.repeat(64 * 1024)}`,
      auth: clientSecretBasic(client.id, client.secret),
    })
    await expectOAuthError(res, 413, 'invalid_request')
  })

  it('ignores parameters it does not know (RFC 6749 §3.2)', async () => {
    const client = await secretClient()
    await expectToken(await requestToken(client, { audience: 'x', unknown: 'y' }))
  })
})

describe('other methods: 405 with Allow (RFC 9110 §15.5.6)', () => {
  it.each(['/auth/token', '/auth/introspect', '/auth/revoke'])(
    '%s takes POST only',
    async (path) => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const res = await oauthCall(path, { method })
        await expectOAuthError(res, 405, 'invalid_request')
        expect(res.headers.get('allow')).toBe('POST')
      }
    }
  )

  it.each([
    '/.well-known/smart-configuration',
    '/fhir/.well-known/smart-configuration',
    '/.well-known/jwks.json',
  ])('%s takes GET (and HEAD) only', async (path) => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await oauthCall(path, { method, form: {} })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, HEAD')
    }
    expect((await oauthCall(path, { method: 'HEAD' })).status).toBe(200)
  })
})

describe('tokens on the FHIR API (RFC 6750 §2.1)', () => {
  it.each(['opaque', 'jwt'] as const)(
    'a %s token reads /fhir/Patient for a client an allow policy links',
    async (format) => {
      const client = await secretClient(
        { auth: { client_credentials: { token_format: format } } },
        { allow: true }
      )
      const { access_token } = await expectToken(
        await requestToken(client, { scope: 'system/*.rs' })
      )
      const res = await call('GET', '/fhir/Patient?_count=1', { auth: `Bearer ${access_token}` })
      expect(res.status).toBe(200)
      expect((await json(res)).resourceType).toBe('Bundle')
    }
  )

  it('a token of a client no policy allows is refused with 403, not 401', async () => {
    const client = await secretClient()
    const { access_token } = await expectToken(await requestToken(client))
    const res = await call('GET', '/fhir/Patient?_count=1', { auth: `Bearer ${access_token}` })
    expect(res.status).toBe(403)
  })
})
