// EHR launch (SMART App Launch 2 "EHR launch"): POST /auth/launch gives an EHR a launch value bound to
// an app, a patient (and encounter, and the User), and the app's launch URL with `iss`; the app's
// authorization request redeems it once; the token carries that context, without the patient banner.

import { describe, expect, it } from 'vitest'
import { basic, call, registerClient, ROOT, uniqueId } from './helpers.ts'
import { ISSUER } from './oauth-helpers.ts'
import {
  authorizeQuery,
  Browser,
  ehrLaunch,
  exchange,
  launch,
  LAUNCH_URI,
  person,
  pkce,
  REDIRECT,
  registerApp,
  storePatient,
  tokenBody,
} from './smart-helpers.ts'

const EHR_SCOPE = 'launch openid fhirUser offline_access patient/*.rs'

describe('POST /auth/launch (an EHR starting an app)', () => {
  it('answers a launch value and the launch URL with iss = the FHIR base (SMART "launch URL")', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const answer = await ehrLaunch(app, { patient })
    expect(answer.launch).toMatch(/^[\w-]{43}$/)
    expect(answer.iss).toBe(ISSUER)
    expect(answer.expires_in).toBe(300)
    const url = new URL(answer.launch_url)
    expect(url.origin + url.pathname).toBe(LAUNCH_URI)
    expect(url.searchParams.get('iss')).toBe(ISSUER)
    expect(url.searchParams.get('launch')).toBe(answer.launch)
  })

  it('is refused without credentials, and to a caller no policy allows', async () => {
    const app = await registerApp()
    const body = { client_id: app.id }
    expect((await call('POST', '/auth/launch', { body })).status).toBe(401)
    const id = uniqueId('nobody')
    await registerClient(id, 'pw-123456')
    expect(
      (await call('POST', '/auth/launch', { auth: basic(id, 'pw-123456'), body })).status
    ).toBe(403)
  })

  it.each([
    ['no client_id', { client_id: undefined }],
    ['an unknown client', { client_id: 'no-such-app' }],
    ['a patient that is no id', { patient: 'a/b' }],
    ['an unknown field', { tenant: 'x' }],
    ['an unknown user', { user: 'no-such-user' }],
  ])('answers 400 to %s', async (_, fields) => {
    const app = await registerApp()
    const res = await call('POST', '/auth/launch', {
      auth: ROOT,
      body: { client_id: app.id, ...fields },
    })
    expect(res.status).toBe(400)
    expect((await res.json<{ resourceType: string }>()).resourceType).toBe('OperationOutcome')
  })
})

describe('the EHR launch flow', () => {
  it('binds the token to the launch patient and encounter; no patient banner', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const user = await person('Practitioner/dr-ehr')
    const { launch: value } = await ehrLaunch(app, { patient, encounter: 'enc-1', user: user.id })
    const launched = await launch(app, user, { scope: EHR_SCOPE, launch: value })
    const body = await tokenBody(await exchange(app, launched))
    expect(body).toMatchObject({ patient, encounter: 'enc-1', need_patient_banner: false })
    expect(body.scope.split(' ')).toEqual(
      expect.arrayContaining(['launch', 'openid', 'fhirUser', 'offline_access'])
    )
    expect(
      (await call('GET', `/fhir/Patient/${patient}`, { auth: `Bearer ${body.access_token}` }))
        .status
    ).toBe(200)
  })

  it('redeems a launch value once', async () => {
    const app = await registerApp()
    const user = await person(`Patient/${await storePatient()}`)
    const { launch: value } = await ehrLaunch(app, {})
    await launch(app, user, { scope: EHR_SCOPE, launch: value })
    const { challenge } = await pkce()
    const query = authorizeQuery(app, challenge, { scope: EHR_SCOPE, launch: value, state: 's2' })
    const res = await new Browser().fetch(`/auth/authorize?${query}`)
    const location = new URL(res.headers.get('location')!)
    expect(location.origin + location.pathname).toBe(REDIRECT)
    expect(location.searchParams.get('error')).toBe('invalid_request')
  })

  it('refuses a launch value of another app', async () => {
    const app = await registerApp()
    const other = await registerApp()
    const { launch: value } = await ehrLaunch(other, {})
    const { challenge } = await pkce()
    const query = authorizeQuery(app, challenge, { scope: EHR_SCOPE, launch: value })
    const res = await new Browser().fetch(`/auth/authorize?${query}`)
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_request')
  })

  it('offers `launch` only with a launch value', async () => {
    const app = await registerApp()
    const user = await person(`Patient/${await storePatient()}`)
    const launched = await launch(app, user, { scope: 'launch openid patient/*.rs' })
    expect((await tokenBody(await exchange(app, launched))).scope).toBe('openid patient/*.rs')
  })

  it('lets only the launch User finish it', async () => {
    const app = await registerApp()
    const meant = await person('Practitioner/dr-a')
    const other = await person('Practitioner/dr-b')
    const { launch: value } = await ehrLaunch(app, {
      patient: await storePatient(),
      user: meant.id,
    })
    const { challenge } = await pkce()
    const browser = new Browser()
    const query = authorizeQuery(app, challenge, { scope: EHR_SCOPE, launch: value })
    const handle = new URL(
      (await browser.fetch(`/auth/authorize?${query}`)).headers.get('location')!
    ).searchParams.get('request')!
    const res = await browser.fetch('/auth/login', {
      form: { request: handle, username: other.email, password: other.password },
    })
    expect(res.status).toBe(403)
    expect(browser.cookies.has('__Host-edge-fhir-session')).toBe(false)
  })
})
