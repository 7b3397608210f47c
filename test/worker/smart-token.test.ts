// The token endpoint for apps (RFC 6749 §4.1.3, §5, §6; RFC 7636 §4.6; SMART App Launch 2 "obtain
// access token", "refresh access token"; OpenID Connect Core §2): the code exchange and its failures
// (exactly 400 invalid_grant for a bad code, the four PKCE cases, a code used twice revokes),
// refresh (same, equal, narrower, wider scope; rotation and reuse; revocation; online_access ends
// with the session), the id_token and OpenID discovery, introspection of the tokens, CORS.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { call, json, ROOT } from './helpers.ts'
import {
  clientSecretBasic,
  expectOAuthError,
  ISSUER,
  oauthCall,
  tokenRequest,
} from './oauth-helpers.ts'
import {
  exchange,
  launch,
  person,
  refresh,
  REDIRECT,
  registerApp,
  storePatient,
  tokenBody,
} from './smart-helpers.ts'
import { toBase64Url, sha256 } from '../../src/lib/crypto.ts'

async function launchedApp(fields: Record<string, unknown> = {}, scope?: string) {
  const app = await registerApp(fields)
  const patient = await storePatient()
  const user = await person(`Patient/${patient}`)
  const launched = await launch(app, user, scope ? { scope } : {})
  return { app, patient, user, launched }
}

const read = (path: string, token: string) => call('GET', path, { auth: `Bearer ${token}` })

describe('the code exchange (RFC 6749 §4.1.3, RFC 7636 §4.6)', () => {
  it('answers no-store JSON with a numeric expires_in, the granted scope and the launch context', async () => {
    const { app, patient, launched } = await launchedApp()
    const res = await exchange(app, launched)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const body = await tokenBody(res)
    expect(Object.keys(body).sort()).toEqual(
      [
        'access_token',
        'expires_in',
        'id_token',
        'need_patient_banner',
        'patient',
        'refresh_token',
        'scope',
        'smart_style_url',
        'token_type',
      ].sort()
    )
    expect(body.patient).toBe(patient)
    // g10: the granted scope echoes the context scopes.
    expect(body.scope.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'fhirUser', 'launch/patient', 'offline_access'])
    )
    expect((await read(`/fhir/Patient/${patient}`, body.access_token)).status).toBe(200)
    const style = await call('GET', new URL(body.smart_style_url).pathname)
    expect(style.status).toBe(200)
    expect(typeof (await json(style)).color_background).toBe('string')
  })

  it('answers exactly 400 invalid_grant to a code that was never issued (g10 invalid token request)', async () => {
    const { app, launched } = await launchedApp()
    await expectOAuthError(
      await exchange(app, { ...launched, code: 'BAD_CODE' }),
      400,
      'invalid_grant'
    )
  })

  it('answers 401 invalid_client to the real code with a wrong client id', async () => {
    const { app, launched } = await launchedApp()
    const res = await tokenRequest({
      auth: clientSecretBasic('BAD_CLIENT_ID', app.secret),
      form: {
        grant_type: 'authorization_code',
        code: launched.code,
        redirect_uri: REDIRECT,
        code_verifier: launched.verifier,
      },
    })
    await expectOAuthError(res, 401, 'invalid_client')
  })

  it.each([
    ['no code_verifier', { code_verifier: undefined }],
    ['a blank code_verifier', { code_verifier: '' }],
    ['a wrong code_verifier', { code_verifier: 'A'.repeat(64) }],
  ])('refuses %s with 400 invalid_grant (RFC 7636 §4.6)', async (_, override) => {
    const { app, launched } = await launchedApp()
    const fields: Record<string, string> = {
      grant_type: 'authorization_code',
      code: launched.code,
      redirect_uri: REDIRECT,
    }
    if (override.code_verifier !== undefined) fields.code_verifier = override.code_verifier
    const res = await tokenRequest({ auth: clientSecretBasic(app.id, app.secret), form: fields })
    await expectOAuthError(res, 400, 'invalid_grant')
    // The code was not used up by the failed attempt: the app with the right verifier still gets a token.
    await tokenBody(await exchange(app, launched))
  })

  it('refuses the code_challenge itself as the verifier (plain PKCE)', async () => {
    const { app, launched } = await launchedApp()
    const challenge = toBase64Url(await sha256(launched.verifier))
    await expectOAuthError(
      await exchange(app, { ...launched, verifier: challenge }),
      400,
      'invalid_grant'
    )
  })

  it('refuses another redirect_uri, and another client', async () => {
    const { app, launched } = await launchedApp()
    await expectOAuthError(
      await exchange(app, launched, { redirect_uri: 'https://app.example/other' }),
      400,
      'invalid_grant'
    )
    const other = await registerApp()
    await expectOAuthError(await exchange(other, launched), 400, 'invalid_grant')
  })

  it('refuses a code used twice, and revokes the tokens the first use issued (RFC 6749 §4.1.2)', async () => {
    const { app, patient, launched } = await launchedApp()
    const first = await tokenBody(await exchange(app, launched))
    expect((await read(`/fhir/Patient/${patient}`, first.access_token)).status).toBe(200)
    await expectOAuthError(await exchange(app, launched), 400, 'invalid_grant')
    expect((await read(`/fhir/Patient/${patient}`, first.access_token)).status).toBe(401)
    await expectOAuthError(await refresh(app, first.refresh_token), 400, 'invalid_grant')
  })

  it('refuses an expired code', async () => {
    const { app, launched } = await launchedApp()
    const hash = toBase64Url(await sha256(launched.code))
    await env.DB.prepare('UPDATE oauth_code SET expires_at = 1 WHERE code_hash = ?')
      .bind(hash)
      .run()
    await expectOAuthError(await exchange(app, launched), 400, 'invalid_grant')
  })

  it('refuses the grant to a Client without authorization_code (unauthorized_client)', async () => {
    const { app, launched } = await launchedApp()
    const res = await call('PUT', `/Client/${app.id}`, {
      auth: ROOT,
      body: { secret: app.secret, grant_types: ['client_credentials'] },
    })
    expect(res.status).toBe(200)
    await expectOAuthError(await exchange(app, launched), 400, 'unauthorized_client')
  })

  it('issues no refresh token without offline_access or online_access', async () => {
    const { app, launched } = await launchedApp({}, 'launch/patient openid patient/*.rs')
    const body = await tokenBody(await exchange(app, launched))
    expect(body.refresh_token).toBeUndefined()
  })
})

describe('the id_token (OpenID Connect Core §2, SMART "sso-openid-connect")', () => {
  it('is RS256, names the User to the app, and its issuer serves the OpenID configuration', async () => {
    const { app, user, patient, launched } = await launchedApp()
    const body = await tokenBody(await exchange(app, launched))
    const iss = decodeJwt(body.id_token).iss!
    expect(iss).toBe(ISSUER)
    const res = await call('GET', `${new URL(iss).pathname}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const config = await json(res)
    expect(config.issuer).toBe(iss)
    expect(config.id_token_signing_alg_values_supported).toContain('RS256')
    for (const field of [
      'authorization_endpoint',
      'token_endpoint',
      'jwks_uri',
      'response_types_supported',
      'subject_types_supported',
    ]) {
      expect(config[field], field).toBeTruthy()
    }
    const jwks = await json(await call('GET', new URL(config.jwks_uri).pathname))
    expect(jwks.keys.some((k: { kty: string }) => k.kty === 'RSA')).toBe(true)
    const { payload } = await jwtVerify(body.id_token, createLocalJWKSet(jwks as never), {
      issuer: iss,
      audience: app.id,
    })
    expect(payload.sub).toBe(user.id)
    expect(payload.fhirUser).toBe(`${ISSUER}/Patient/${patient}`)
    expect(typeof payload.iat).toBe('number')
    // The fhirUser resource is readable with the access token (Inferno openid_fhir_user_claim).
    expect((await read(`/fhir/Patient/${patient}`, body.access_token)).status).toBe(200)
  })

  it('lets a practitioner read their own Practitioner with patient scopes (fhirUser)', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const practitioner = `dr-${crypto.randomUUID().slice(0, 8)}`
    const put = await call('PUT', `/fhir/Practitioner/${practitioner}`, {
      auth: ROOT,
      body: { resourceType: 'Practitioner', id: practitioner },
    })
    expect(put.status).toBe(201)
    const user = await person(`Practitioner/${practitioner}`)
    const launched = await launch(app, user, { patient })
    const body = await tokenBody(await exchange(app, launched))
    expect(decodeJwt(body.id_token).fhirUser).toBe(`${ISSUER}/Practitioner/${practitioner}`)
    expect((await read(`/fhir/Practitioner/${practitioner}`, body.access_token)).status).toBe(200)
    expect(body.patient).toBe(patient)
  })

  it('has no id_token without openid', async () => {
    const { app, launched } = await launchedApp({}, 'launch/patient patient/*.rs offline_access')
    expect((await tokenBody(await exchange(app, launched))).id_token).toBeUndefined()
  })
})

describe('refresh (RFC 6749 §6, SMART "refresh access token")', () => {
  it('without scope, and with the same scope, answers the grant again with the patient, rotating the token', async () => {
    const { app, patient, launched } = await launchedApp()
    const first = await tokenBody(await exchange(app, launched))
    const second = await tokenBody(await refresh(app, first.refresh_token))
    expect(second.scope).toBe(first.scope)
    expect(second.patient).toBe(patient)
    expect(typeof second.expires_in).toBe('number')
    expect(second.refresh_token).not.toBe(first.refresh_token)
    const third = await tokenBody(await refresh(app, second.refresh_token, { scope: second.scope }))
    expect(third.scope).toBe(first.scope)
    expect((await read(`/fhir/Patient/${patient}`, third.access_token)).status).toBe(200)
  })

  it('narrows the scope when asked; a wider scope is 400 invalid_scope', async () => {
    const { app, launched } = await launchedApp()
    const first = await tokenBody(await exchange(app, launched))
    await expectOAuthError(
      await refresh(app, first.refresh_token, { scope: `${first.scope} user/*.rs` }),
      400,
      'invalid_scope'
    )
    const narrow = await tokenBody(
      await refresh(app, first.refresh_token, { scope: 'patient/Observation.rs' })
    )
    expect(narrow.scope).toBe('patient/Observation.rs')
    // The new refresh token still carries the whole grant.
    const whole = await tokenBody(await refresh(app, narrow.refresh_token))
    expect(whole.scope).toBe(first.scope)
  })

  it('refuses an unknown refresh token and another client with 400 invalid_grant', async () => {
    const { app, launched } = await launchedApp()
    const first = await tokenBody(await exchange(app, launched))
    await expectOAuthError(await refresh(app, crypto.randomUUID()), 400, 'invalid_grant')
    const other = await registerApp()
    await expectOAuthError(await refresh(other, first.refresh_token), 400, 'invalid_grant')
    // Presented by another client, it still works for its own.
    await tokenBody(await refresh(app, first.refresh_token))
  })

  it('a rotated refresh token used again revokes the whole grant', async () => {
    const { app, patient, launched } = await launchedApp()
    const first = await tokenBody(await exchange(app, launched))
    const second = await tokenBody(await refresh(app, first.refresh_token))
    await expectOAuthError(await refresh(app, first.refresh_token), 400, 'invalid_grant')
    expect((await read(`/fhir/Patient/${patient}`, second.access_token)).status).toBe(401)
    await expectOAuthError(await refresh(app, second.refresh_token), 400, 'invalid_grant')
  })

  it('revoking the refresh token (RFC 7009) ends the grant: refresh 400, access token 401', async () => {
    const { app, patient, launched } = await launchedApp()
    const body = await tokenBody(await exchange(app, launched))
    const res = await oauthCall('/auth/revoke', {
      auth: clientSecretBasic(app.id, app.secret),
      form: { token: body.refresh_token, token_type_hint: 'refresh_token' },
    })
    expect(res.status).toBe(200)
    await expectOAuthError(await refresh(app, body.refresh_token), 400, 'invalid_grant')
    expect((await read(`/fhir/Patient/${patient}`, body.access_token)).status).toBe(401)
  })

  it('online_access refresh tokens end with the login session', async () => {
    const { app, launched } = await launchedApp({}, 'launch/patient online_access patient/*.rs')
    const body = await tokenBody(await exchange(app, launched))
    expect(body.scope).toContain('online_access')
    await tokenBody(await refresh(app, body.refresh_token)).then(async (next) => {
      await launched.browser.fetch('/auth/logout', { form: {} })
      await expectOAuthError(await refresh(app, next.refresh_token), 400, 'invalid_grant')
    })
  })

  it('stops when the User is disabled', async () => {
    const { app, user, launched } = await launchedApp()
    const body = await tokenBody(await exchange(app, launched))
    const res = await call('PUT', `/User/${user.id}`, {
      auth: ROOT,
      body: { email: user.email, active: false },
    })
    expect(res.status).toBe(200)
    await expectOAuthError(await refresh(app, body.refresh_token), 400, 'invalid_grant')
  })
})

describe('introspection of an app token (SMART "token introspection")', () => {
  it('answers the scope, client, patient, fhirUser, and the id_token iss and sub', async () => {
    const { app, patient, launched } = await launchedApp()
    const body = await tokenBody(await exchange(app, launched))
    const res = await oauthCall('/auth/introspect', {
      auth: clientSecretBasic(app.id, app.secret),
      form: { token: body.access_token },
    })
    const answer = await json(res)
    const idToken = decodeJwt(body.id_token)
    expect(answer).toMatchObject({
      active: true,
      client_id: app.id,
      scope: body.scope,
      patient,
      fhirUser: `${ISSUER}/Patient/${patient}`,
      iss: idToken.iss,
      sub: idToken.sub,
    })
  })
})

describe('CORS for browser apps (SMART App Launch 2 "CORS")', () => {
  it('answers preflights of the token endpoint and the FHIR API before authentication', async () => {
    for (const path of ['/auth/token', '/fhir/Patient/x']) {
      const res = await call('OPTIONS', path, {
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': path === '/auth/token' ? 'POST' : 'GET',
          'access-control-request-headers': 'authorization, content-type',
        },
      })
      expect(res.status, path).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('access-control-allow-headers')).toContain('authorization')
    }
  })

  it('sends Access-Control-Allow-Origin on token answers and FHIR answers', async () => {
    const { app, patient, launched } = await launchedApp()
    const res = await exchange(app, launched)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const body = await tokenBody(res)
    const fhir = await call('GET', `/fhir/Patient/${patient}`, {
      auth: `Bearer ${body.access_token}`,
      headers: { origin: 'https://app.example' },
    })
    expect(fhir.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('grant lifetimes and ownership', () => {
  it('another client presenting a used code does not revoke the owner’s grant', async () => {
    const { app, patient, launched } = await launchedApp()
    const body = await tokenBody(await exchange(app, launched))
    const other = await registerApp()
    await expectOAuthError(await exchange(other, launched), 400, 'invalid_grant')
    expect((await read(`/fhir/Patient/${patient}`, body.access_token)).status).toBe(200)
  })

  it('rotation does not extend a grant: refresh tokens end refresh_token_expiration after the exchange', async () => {
    const { app, launched } = await launchedApp({
      auth: { authorization_code: { redirect_uri: REDIRECT, refresh_token_expiration: 3600 } },
    })
    const first = await tokenBody(await exchange(app, launched))
    const hash = toBase64Url(await sha256(first.refresh_token))
    const { refreshUntil } = JSON.parse(
      (await env.DB.prepare('SELECT grant_data FROM oauth_refresh WHERE token_hash = ?')
        .bind(hash)
        .first<{ grant_data: string }>())!.grant_data
    )
    const second = await tokenBody(await refresh(app, first.refresh_token))
    const row = await env.DB.prepare(
      'SELECT expires_at, grant_data FROM oauth_refresh WHERE token_hash = ?'
    )
      .bind(toBase64Url(await sha256(second.refresh_token)))
      .first<{ expires_at: number; grant_data: string }>()
    expect(JSON.parse(row!.grant_data).refreshUntil).toBe(refreshUntil)
    expect(row!.expires_at).toBeLessThanOrEqual(refreshUntil)
  })

  it('a Client that stops allowing refresh tokens cannot refresh (unauthorized_client)', async () => {
    const { app, launched } = await launchedApp()
    const body = await tokenBody(await exchange(app, launched))
    const res = await call('PUT', `/Client/${app.id}`, {
      auth: ROOT,
      body: {
        secret: app.secret,
        grant_types: ['authorization_code', 'refresh_token'],
        auth: { authorization_code: { redirect_uri: REDIRECT, refresh_token: false } },
      },
    })
    expect(res.status).toBe(200)
    await expectOAuthError(await refresh(app, body.refresh_token), 400, 'unauthorized_client')
  })

  it('revoking an app’s access token (RFC 7009) revokes its grant: the refresh token stops too (ONC g10)', async () => {
    const { app, launched } = await launchedApp()
    const body = await tokenBody(await exchange(app, launched))
    const res = await oauthCall('/auth/revoke', {
      auth: clientSecretBasic(app.id, app.secret),
      form: { token: body.access_token },
    })
    expect(res.status).toBe(200)
    await expectOAuthError(await refresh(app, body.refresh_token), 400, 'invalid_grant')
  })
})
