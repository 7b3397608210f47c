// SMART App Launch 2, standalone launch of a confidential app (client-confidential-symmetric): the
// authorization request, login and consent, the code exchange with PKCE, the token response and its
// launch context, the id_token, and the resource server honouring the token (the acceptance list of
// Inferno's smart_full_standalone_launch group).

import { describe, expect, it } from 'vitest'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { call, json } from './helpers.ts'
import { ISSUER, oauthCall } from './oauth-helpers.ts'
import { exchange, launch, person, registerApp, storePatient, tokenBody } from './smart-helpers.ts'

describe('standalone launch of a patient app (SMART App Launch 2 "App Launch")', () => {
  it('logs a patient in, consents, and exchanges the code for a token bound to their own record', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const user = await person(`Patient/${patient}`)
    const launched = await launch(app, user, { nonce: 'n-123' })
    const body = await tokenBody(await exchange(app, launched))
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'launch/patient openid fhirUser offline_access patient/*.rs',
      patient,
      need_patient_banner: true,
      smart_style_url: 'https://fhir.test/auth/smart-style.json',
    })
    expect(typeof body.refresh_token).toBe('string')
    // OpenID Connect Core §2: the id_token, verifiable with the published keys.
    expect(decodeProtectedHeader(body.id_token)).toMatchObject({ alg: 'RS256' })
    const jwks = createLocalJWKSet(
      (await json(await oauthCall('/.well-known/jwks.json', { method: 'GET' }))) as never
    )
    const { payload } = await jwtVerify(body.id_token, jwks, { issuer: ISSUER, audience: app.id })
    expect(payload).toMatchObject({
      sub: user.id,
      nonce: 'n-123',
      fhirUser: `${ISSUER}/Patient/${patient}`,
    })
    // The token reads the patient's record.
    const read = await call('GET', `/fhir/Patient/${patient}`, {
      auth: `Bearer ${body.access_token}`,
    })
    expect(read.status).toBe(200)
  })
})
