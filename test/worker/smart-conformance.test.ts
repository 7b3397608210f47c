// SMART App Launch for confidential symmetric clients against the checks of the Inferno SMART App
// Launch test kit (STU2/STU2.2 groups 1, 2 and 4) and the ONC (g)(10) kit's extras, as a stranger's
// review wrote them down: each test names the check it stands for.

import { describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { call, json, ROOT } from './helpers.ts'
import { clientSecretBasic, expectOAuthError, ISSUER, oauthCall } from './oauth-helpers.ts'
import {
  authorizeQuery,
  Browser,
  ehrLaunch,
  exchange,
  launch,
  person,
  pkce,
  refresh,
  registerApp,
  storePatient,
  tokenBody,
} from './smart-helpers.ts'

const STANDALONE = 'launch/patient openid fhirUser offline_access patient/*.rs'
const EHR = 'launch openid fhirUser offline_access patient/*.rs'
const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory'
const VITALS = 'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs'

const bearer = (token: string) => `Bearer ${token}`
const read = (path: string, token: string) => call('GET', path, { auth: bearer(token) })

async function put(resource: Record<string, unknown>): Promise<void> {
  const res = await call('PUT', `/fhir/${resource.resourceType}/${resource.id}`, {
    auth: ROOT,
    body: resource,
  })
  expect([200, 201], await res.clone().text()).toContain(res.status)
}

function observation(id: string, patient: string, category: string) {
  const [system, code] = category.split('|')
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system, code }] }],
    code: { text: 'x' },
    subject: { reference: `Patient/${patient}` },
  }
}

async function patientApp(scope = STANDALONE, untick: string[] = []) {
  const app = await registerApp()
  const patient = await storePatient()
  const user = await person(`Patient/${patient}`)
  const launched = await launch(app, user, { scope, untick })
  const body = await tokenBody(await exchange(app, launched))
  return { app, patient, user, body }
}

describe('discovery (1.1.01-1.1.04)', () => {
  it('1.1.01: /fhir/.well-known/smart-configuration with Accept: application/json is 200 application/json', async () => {
    const res = await call('GET', '/fhir/.well-known/smart-configuration', {
      headers: { accept: 'application/json', origin: 'https://inferno.example' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    // 1.1.03
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const doc = await json(res)
    expect(doc.code_challenge_methods_supported).toEqual(['S256'])
    expect(doc.grant_types_supported).toContain('authorization_code')
  })

  it('1.1.04: GET /fhir/metadata with Origin is 200 with Access-Control-Allow-Origin', async () => {
    const res = await call('GET', '/fhir/metadata', {
      headers: { origin: 'https://inferno.example' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('CapabilityStatement oauth-uris has authorize (STU1 requires authorize and token) and security.cors is true', async () => {
    const statement = await json(await call('GET', '/fhir/metadata'))
    const { security } = statement.rest[0]
    const uris = security.extension.find(
      (e: { url: string }) =>
        e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris'
    )
    const names = uris.extension.map((e: { url: string }) => e.url)
    expect(names).toContain('authorize')
    expect(uris.extension.find((e: { url: string }) => e.url === 'authorize')?.valueUri).toBe(
      'https://fhir.test/auth/authorize'
    )
    expect(security.cors).toBe(true)
  })
})

describe('standalone launch, OpenID, refresh (1.2-1.5) as Inferno drives them', () => {
  it('1.2.02-1.2.07: 73-character uuid-uuid verifier, Inferno aud and state; body types; headers', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const user = await person(`Patient/${patient}`)
    // Inferno's verifier: SecureRandom.uuid + '-' + SecureRandom.uuid (73 characters).
    const verifier = `${crypto.randomUUID()}-${crypto.randomUUID()}`
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
    )
    const s256 = btoa(String.fromCharCode(...digest))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    const browser = new Browser()
    const launched = await launch(app, user, { challenge: s256, browser })
    const res = await exchange(app, { code: launched.code, verifier })
    const body = await tokenBody(res)
    expect(typeof body.access_token).toBe('string')
    expect(typeof body.expires_in).toBe('number')
    expect(body.expires_in).toBeGreaterThan(60)
    expect(body.token_type.toLowerCase()).toBe('bearer')
    expect(typeof body.refresh_token).toBe('string')
    expect(body.scope.split(' ').sort()).toEqual(STANDALONE.split(' ').sort())
    expect(body.patient).toBe(patient)
    // g10_unauthorized_access: exactly 401 without a token.
    expect((await call('GET', `/fhir/Patient/${patient}`)).status).toBe(401)
    // g10_patient_context
    expect((await read(`/fhir/Patient/${patient}`, body.access_token)).status).toBe(200)
    // 1.3.07: fhirUser read.
    const claims = decodeJwt(body.id_token)
    expect(claims.fhirUser).toBe(`${ISSUER}/Patient/${patient}`)
    expect(claims.aud).toBe(app.id)
    expect(claims.iss).toBe(ISSUER)
  })

  it('1.4/1.5: refresh without scope, then with the exact previous scope string; context kept', async () => {
    const { app, patient, body } = await patientApp()
    const first = await tokenBody(await refresh(app, body.refresh_token))
    expect(first.scope).toBe(body.scope)
    expect(first.patient).toBe(patient)
    expect(typeof first.expires_in).toBe('number')
    const second = await tokenBody(
      await refresh(app, first.refresh_token ?? body.refresh_token, { scope: first.scope })
    )
    expect(second.scope).toBe(body.scope)
    expect(second.patient).toBe(patient)
    expect((await read(`/fhir/Patient/${patient}`, second.access_token)).status).toBe(200)
  })

  it('a User with no fhirUser: fhirUser is dropped from scope and id_token (Inferno 1.3.07 / g10_smart_scopes would fail: register users with fhirUser)', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const user = await person()
    const launched = await launch(app, user, { patient })
    const body = await tokenBody(await exchange(app, launched))
    expect(body.scope.split(' ')).not.toContain('fhirUser')
    expect(decodeJwt(body.id_token).fhirUser).toBeUndefined()
    expect(body.patient).toBe(patient)
  })
})

describe('EHR launch (group 2) and g10 EHR extras', () => {
  it('2.2.04-2.2.08 and g10: launch echoed, patient + encounter readable, banner key, style URL is 200 JSON', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const encounter = `enc-${crypto.randomUUID().slice(0, 8)}`
    await put({
      resourceType: 'Encounter',
      id: encounter,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `Patient/${patient}` },
    })
    const user = await person(`Patient/${patient}`)
    const { launch: value, iss } = await ehrLaunch(app, { patient, encounter, user: user.id })
    expect(iss).toBe(ISSUER)
    const launched = await launch(app, user, { scope: EHR, launch: value })
    const body = await tokenBody(await exchange(app, launched))
    expect(body.scope.split(' ')).toEqual(
      expect.arrayContaining(['launch', 'openid', 'fhirUser', 'offline_access'])
    )
    expect(body).toHaveProperty('need_patient_banner')
    expect(body.encounter).toBe(encounter)
    expect((await read(`/fhir/Patient/${patient}`, body.access_token)).status).toBe(200)
    expect((await read(`/fhir/Encounter/${encounter}`, body.access_token)).status).toBe(200)
    const style = await fetchAbsolute(body.smart_style_url)
    expect(style.status).toBe(200)
    expect(style.headers.get('content-type')).toMatch(/json/)
    expect(typeof (await style.json())).toBe('object')
  })

  it('g10 EHR practitioner app (user/*.rs): patient, encounter and own Practitioner readable; banner false', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const encounter = `enc-${crypto.randomUUID().slice(0, 8)}`
    await put({
      resourceType: 'Encounter',
      id: encounter,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `Patient/${patient}` },
    })
    const practitioner = `pr-${crypto.randomUUID().slice(0, 8)}`
    await put({ resourceType: 'Practitioner', id: practitioner, name: [{ family: 'Doc' }] })
    const user = await person(`Practitioner/${practitioner}`)
    const { launch: value } = await ehrLaunch(app, { patient, encounter, user: user.id })
    const scope = 'launch openid fhirUser offline_access user/*.rs'
    const launched = await launch(app, user, { scope, launch: value })
    const body = await tokenBody(await exchange(app, launched))
    expect(body.scope).toBe(scope)
    expect(body).toMatchObject({ patient, encounter, need_patient_banner: false })
    for (const path of [
      `/fhir/Patient/${patient}`,
      `/fhir/Encounter/${encounter}`,
      `/fhir/Practitioner/${practitioner}`,
    ]) {
      expect((await read(path, body.access_token)).status, path).toBe(200)
    }
    const again = await tokenBody(await refresh(app, body.refresh_token))
    expect(again).toMatchObject({ patient, encounter })
    expect((await read(`/fhir/Patient/${patient}`, again.access_token)).status).toBe(200)
  })

  it('g10_patient_scope: an EHR launch asking patient/Patient.rs gets that literal scope', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const user = await person(`Patient/${patient}`)
    const { launch: value } = await ehrLaunch(app, { patient, user: user.id })
    const scope = 'launch openid fhirUser offline_access patient/Patient.rs patient/Observation.rs'
    const launched = await launch(app, user, { scope, launch: value })
    const body = await tokenBody(await exchange(app, launched))
    expect(body.scope.split(' ')).toContain('patient/Patient.rs')
    expect(body.patient).toBe(patient)
  })
})

describe('group 4: introspection', () => {
  it('4.2/4.3: active answer matches token response and id_token; invalid token is {active:false}', async () => {
    const { app, patient, body } = await patientApp()
    const headers = { accept: 'application/json' }
    const res = await oauthCall('/auth/introspect', {
      auth: clientSecretBasic(app.id, app.secret),
      form: { token: body.access_token },
      headers,
    })
    expect(res.status).toBe(200)
    const answer = await json(res)
    const id = decodeJwt(body.id_token)
    expect(answer.active).toBe(true)
    expect(answer.client_id).toBe(app.id)
    expect(answer.scope.split(' ').sort()).toEqual(body.scope.split(' ').sort())
    expect(answer.exp).toBeGreaterThan(Date.now() / 1000 - 600)
    expect(answer.patient).toBe(patient)
    expect(answer.iss).toBe(id.iss)
    expect(answer.sub).toBe(id.sub)
    expect(answer.fhirUser).toBe(id.fhirUser)
    const bad = await oauthCall('/auth/introspect', {
      auth: clientSecretBasic(app.id, app.secret),
      form: { token: 'invalid_token_value' },
      headers,
    })
    expect(bad.status).toBe(200)
    expect(await json(bad)).toEqual({ active: false })
  })

  it('introspection authenticates its caller as a Client; a bearer token is refused (docs/oauth.md "Not supported")', async () => {
    const { body } = await patientApp()
    const { body: other } = await patientApp()
    const res = await oauthCall('/auth/introspect', {
      auth: bearer(other.access_token),
      form: { token: body.access_token },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error).toBe('invalid_request')
  })
})

describe('g10 extras', () => {
  it('invalid aud: Inferno invalid_aud gets no code', async () => {
    const app = await registerApp()
    const { challenge } = await pkce()
    const query = authorizeQuery(app, challenge, {
      aud: 'https://inferno.healthit.gov/invalid_aud',
    })
    const res = await new Browser().fetch(`/auth/authorize?${query}`)
    const location = new URL(res.headers.get('location')!)
    expect(location.searchParams.get('code')).toBeNull()
    expect(location.searchParams.get('error')).toBe('invalid_request')
    expect(location.searchParams.get('state')).toBe(query.get('state'))
  })

  it('invalid refresh token (random UUID) is 400 or 401', async () => {
    const { app } = await patientApp()
    const res = await refresh(app, crypto.randomUUID())
    expect([400, 401]).toContain(res.status)
  })

  it('SMART v1 scopes (patient/*.read) through the whole flow: granted as asked, data readable, refresh keeps them', async () => {
    const scope = 'launch/patient openid fhirUser offline_access patient/*.read'
    const { app, patient, body } = await patientApp(scope)
    expect(body.scope.split(' ')).toContain('patient/*.read')
    await put(observation(`obs-${crypto.randomUUID().slice(0, 8)}`, patient, LAB))
    expect((await read(`/fhir/Patient/${patient}`, body.access_token)).status).toBe(200)
    const search = await read(`/fhir/Observation?patient=${patient}`, body.access_token)
    expect(search.status).toBe(200)
    expect((await json(search)).entry?.length ?? 0).toBeGreaterThan(0)
    const again = await tokenBody(await refresh(app, body.refresh_token, { scope: body.scope }))
    expect(again.scope).toBe(body.scope)
  })

  it('limited access: an unticked type is 401/403 on search, a ticked one 200', async () => {
    const scope =
      'launch/patient openid fhirUser offline_access patient/Patient.rs patient/Observation.rs patient/Condition.rs'
    const { patient, body } = await patientApp(scope, ['patient/Condition.rs'])
    expect(body.scope.split(' ')).not.toContain('patient/Condition.rs')
    const denied = await read(`/fhir/Condition?patient=${patient}`, body.access_token)
    expect([401, 403]).toContain(denied.status)
    expect((await read(`/fhir/Observation?patient=${patient}`, body.access_token)).status).toBe(200)
  })

  it('fine-grained: patient/Observation.rs?category=…|laboratory through consent; search and read filtered', async () => {
    const granular = `patient/Observation.rs?category=${LAB}`
    const scope = `launch/patient openid fhirUser offline_access patient/Patient.rs ${granular}`
    const { app, patient, body } = await patientApp(scope)
    expect(body.scope.split(' ')).toContain(granular)
    const lab = `obs-${crypto.randomUUID().slice(0, 8)}`
    const vitals = `obs-${crypto.randomUUID().slice(0, 8)}`
    await put(observation(lab, patient, LAB))
    await put(observation(vitals, patient, VITALS))
    const search = await json(await read(`/fhir/Observation?patient=${patient}`, body.access_token))
    const ids = (search.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id)
    expect(ids).toEqual([lab])
    expect((await read(`/fhir/Observation/${lab}`, body.access_token)).status).toBe(200)
    const other = await read(`/fhir/Observation/${vitals}`, body.access_token)
    expect(other.status).toBeGreaterThanOrEqual(400)
    expect(other.status).toBeLessThan(500)
    const again = await tokenBody(await refresh(app, body.refresh_token, { scope: body.scope }))
    expect(again.scope).toBe(body.scope)
  })

  it('granular scope selection: the person narrows patient/Observation.rs to a category scope at consent', async () => {
    const app = await registerApp()
    const patient = await storePatient()
    const user = await person(`Patient/${patient}`)
    const scope =
      'launch/patient openid fhirUser offline_access patient/Patient.rs patient/Condition.rs patient/Observation.rs'
    const { challenge, verifier } = await pkce()
    const browser = new Browser()
    const query = authorizeQuery(app, challenge, { scope })
    let res = await browser.fetch(`/auth/authorize?${query}`)
    const handle = new URL(res.headers.get('location')!).searchParams.get('request')!
    await browser.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: user.password },
    })
    // What g10 "Granular Scope Selection" needs the person to be able to send: the resource-level
    // Condition and Observation scopes replaced by category scopes.
    const narrowed = [
      'launch/patient',
      'openid',
      'fhirUser',
      'offline_access',
      'patient/Patient.rs',
      `patient/Observation.rs?category=${LAB}`,
      'patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item',
    ]
    res = await browser.fetch('/auth/consent', {
      form: { request: handle, decision: 'allow', scope: narrowed },
    })
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!
    const body = await tokenBody(await exchange(app, { code, verifier }))
    const granted = body.scope.split(' ')
    expect(granted).not.toContain('patient/Observation.rs')
    expect(granted).not.toContain('patient/Condition.rs')
    expect(granted).toContain(`patient/Observation.rs?category=${LAB}`)
    expect(granted).toContain('patient/Patient.rs')
  })

  it('revocation: revoking the refresh token (RFC 7009) makes the refresh 400/401 and the access token 401', async () => {
    const { app, patient, body } = await patientApp()
    const res = await oauthCall('/auth/revoke', {
      auth: clientSecretBasic(app.id, app.secret),
      form: { token: body.refresh_token },
    })
    expect(res.status).toBe(200)
    expect([401, 403, 404]).toContain(
      (await read(`/fhir/Patient/${patient}`, body.access_token)).status
    )
    expect([400, 401]).toContain((await refresh(app, body.refresh_token)).status)
  })

  it('revoking the access token (RFC 7009, what a person "revoking the app" amounts to) also stops the refresh token', async () => {
    const { app, patient, body } = await patientApp()
    const res = await oauthCall('/auth/revoke', {
      auth: clientSecretBasic(app.id, app.secret),
      form: { token: body.access_token },
    })
    expect(res.status).toBe(200)
    expect([401, 403, 404]).toContain(
      (await read(`/fhir/Patient/${patient}`, body.access_token)).status
    )
    await expectOAuthError(await refresh(app, body.refresh_token), 400, 'invalid_grant')
  })
})

async function fetchAbsolute(url: string): Promise<Response> {
  const { SELF } = await import('cloudflare:test')
  return SELF.fetch(url)
}
