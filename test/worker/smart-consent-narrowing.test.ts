// Narrowing a scope to categories on the consent page (ONC (g)(10) "Granular Scope Selection" and
// "Limited Access"; SMART App Launch 2 "Scopes and Launch Context", finer-grained constraints with
// search parameters): the page offers unticked category boxes under Observation and Condition read
// scopes; ticking any grants those category scopes instead of the whole scope, and the FHIR API then
// returns only resources of those categories.

import { describe, expect, it } from 'vitest'
import { call, json, ROOT } from './helpers.ts'
import {
  authorizeQuery,
  Browser,
  exchange,
  handleOf,
  launch,
  person,
  pkce,
  registerApp,
  scopeBoxes,
  storePatient,
  tickedScopes,
  tokenBody,
} from './smart-helpers.ts'
import { chosenScopes } from '../../src/oauth/app-scope.ts'

const OBS = 'http://terminology.hl7.org/CodeSystem/observation-category'
const COND = 'http://terminology.hl7.org/CodeSystem/condition-category'
const LAB = `${OBS}|laboratory`
const VITALS = `${OBS}|vital-signs`
const DIAGNOSIS = `${COND}|encounter-diagnosis`
const PROBLEM = `${COND}|problem-list-item`
const SCOPE =
  'launch/patient openid fhirUser patient/Observation.rs patient/Condition.rs patient/Patient.rs'
const LAB_SCOPE = `patient/Observation.rs?category=${LAB}`
const DIAGNOSIS_SCOPE = `patient/Condition.rs?category=${DIAGNOSIS}`

const bearer = (token: string) => `Bearer ${token}`
const read = (path: string, token: string) => call('GET', path, { auth: bearer(token) })

/** An Observation or Condition of `patient` in `category` (`system|code`), stored as root; its id. */
async function store(type: 'Observation' | 'Condition', patient: string, category: string) {
  const id = `${type.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`
  const [system, code] = category.split('|')
  const resource = {
    resourceType: type,
    id,
    category: [{ coding: [{ system, code }] }],
    code: { text: 'x' },
    subject: { reference: `Patient/${patient}` },
    ...(type === 'Observation' ? { status: 'final' } : {}),
  }
  const res = await call('PUT', `/fhir/${type}/${id}`, { auth: ROOT, body: resource })
  expect([200, 201], await res.clone().text()).toContain(res.status)
  return id
}

async function searchIds(path: string, token: string): Promise<string[]> {
  const res = await read(path, token)
  expect(res.status, await res.clone().text()).toBe(200)
  const bundle = await json(res)
  return (bundle.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort()
}

/** A patient who logs in, with a lab and a vital-signs Observation and two Conditions. */
async function patientWithRecords() {
  const app = await registerApp()
  const patient = await storePatient()
  const user = await person(`Patient/${patient}`)
  const records = {
    lab: await store('Observation', patient, LAB),
    vitals: await store('Observation', patient, VITALS),
    diagnosis: await store('Condition', patient, DIAGNOSIS),
    problem: await store('Condition', patient, PROBLEM),
  }
  return { app, patient, user, records }
}

describe('consent page category choices (g)(10) Granular Scope Selection', () => {
  it('shows the category boxes of Observation and Condition unticked, the scopes ticked', async () => {
    const { app, user } = await patientWithRecords()
    const browser = new Browser()
    const { challenge } = await pkce()
    let res = await browser.fetch(
      `/auth/authorize?${authorizeQuery(app, challenge, { scope: SCOPE })}`
    )
    const handle = handleOf(res.headers.get('location')!)
    res = await browser.fetch('/auth/login', {
      form: { request: handle, username: user.email, password: user.password },
    })
    expect(res.status).toBe(303)
    res = await browser.fetch(res.headers.get('location')!)
    expect(res.status).toBe(200)
    const page = await res.text()
    expect(tickedScopes(page)).toEqual(SCOPE.split(' '))
    const boxes = scopeBoxes(page)
    expect(boxes).toHaveLength(SCOPE.split(' ').length + 10 + 3)
    expect(boxes).toContain(LAB_SCOPE)
    expect(boxes).toContain(DIAGNOSIS_SCOPE)
    expect(boxes).toContain(
      'patient/Condition.rs?category=http://hl7.org/fhir/us/core/CodeSystem/condition-category|health-concern'
    )
    expect(page).toContain('If you tick categories, the app gets only those.')
  })

  it('ticking laboratory and encounter-diagnosis grants only those categories of Observation and Condition', async () => {
    const { app, patient, user, records } = await patientWithRecords()
    // The resource-level boxes stay ticked (launch() sends every box ticked by default).
    const launched = await launch(app, user, {
      scope: SCOPE,
      tick: [LAB_SCOPE, DIAGNOSIS_SCOPE],
    })
    const body = await tokenBody(await exchange(app, launched))
    const granted = body.scope.split(' ')
    expect(granted).toContain(LAB_SCOPE)
    expect(granted).toContain(DIAGNOSIS_SCOPE)
    expect(granted).toContain('patient/Patient.rs')
    expect(granted).not.toContain('patient/Observation.rs')
    expect(granted).not.toContain('patient/Condition.rs')
    expect(body.patient).toBe(patient)
    const token = body.access_token
    expect(await searchIds(`/fhir/Observation?patient=${patient}`, token)).toEqual([records.lab])
    expect(await searchIds(`/fhir/Condition?patient=${patient}`, token)).toEqual([
      records.diagnosis,
    ])
    expect((await read(`/fhir/Observation/${records.lab}`, token)).status).toBe(200)
    expect((await read(`/fhir/Observation/${records.vitals}`, token)).status).toBe(404)
    expect((await read(`/fhir/Condition/${records.problem}`, token)).status).toBe(404)
    expect((await read(`/fhir/Patient/${patient}`, token)).status).toBe(200)
  })

  it('unticking the scope and ticking its categories grants the same', async () => {
    const { app, user } = await patientWithRecords()
    const launched = await launch(app, user, {
      scope: SCOPE,
      untick: ['patient/Observation.rs'],
      tick: [LAB_SCOPE, `patient/Observation.rs?category=${VITALS}`],
    })
    const granted = (await tokenBody(await exchange(app, launched))).scope.split(' ')
    expect(granted).toEqual([
      'launch/patient',
      'openid',
      'fhirUser',
      'patient/Condition.rs',
      'patient/Patient.rs',
      LAB_SCOPE,
      `patient/Observation.rs?category=${VITALS}`,
    ])
  })

  it('nothing ticked under a scope keeps the whole scope', async () => {
    const { app, patient, user, records } = await patientWithRecords()
    const launched = await launch(app, user, { scope: SCOPE, tick: [DIAGNOSIS_SCOPE] })
    const body = await tokenBody(await exchange(app, launched))
    const granted = body.scope.split(' ')
    expect(granted).toContain('patient/Observation.rs')
    expect(granted).not.toContain('patient/Condition.rs')
    expect(granted).toContain(DIAGNOSIS_SCOPE)
    expect(await searchIds(`/fhir/Observation?patient=${patient}`, body.access_token)).toEqual(
      [records.lab, records.vitals].sort()
    )
  })

  it('nothing ticked under any scope grants what was asked', async () => {
    const { app, user } = await patientWithRecords()
    const launched = await launch(app, user, { scope: SCOPE })
    expect((await tokenBody(await exchange(app, launched))).scope).toBe(SCOPE)
  })
})

describe('chosenScopes (what a consent form may grant)', () => {
  const offered = ['openid', 'patient/Observation.rs', 'patient/Condition.rs', 'patient/*.rs']

  it('replaces a resource-level scope by the narrower ones ticked, even when it stayed ticked', () => {
    expect(chosenScopes(offered, ['openid', 'patient/Observation.rs', LAB_SCOPE])).toEqual([
      'openid',
      LAB_SCOPE,
    ])
    expect(chosenScopes(offered, [LAB_SCOPE, 'patient/Condition.rs'])).toEqual([
      'patient/Condition.rs',
      LAB_SCOPE,
    ])
  })

  it('keeps scopes of other types and `*` scopes: only the narrowed type is replaced', () => {
    expect(chosenScopes(offered, [...offered, LAB_SCOPE])).toEqual([
      'openid',
      'patient/Condition.rs',
      'patient/*.rs',
      LAB_SCOPE,
    ])
  })

  it('keeps the scope when a narrower one was offered too (the app asked for both)', () => {
    const both = ['patient/Observation.rs', LAB_SCOPE]
    expect(chosenScopes(both, both)).toEqual(both)
  })

  it('never grants what was not offered or is not narrower than an offered scope', () => {
    expect(
      chosenScopes(
        ['patient/Observation.rs'],
        [
          'user/Observation.rs?category=x|y',
          'patient/Observation.cruds',
          'patient/Condition.rs?category=x|y',
          'offline_access',
        ]
      )
    ).toEqual([])
  })

  it('a narrower scope without a restriction (fewer letters) does not replace the scope', () => {
    expect(
      chosenScopes(['patient/Observation.rs'], ['patient/Observation.rs', 'patient/Observation.r'])
    ).toEqual(['patient/Observation.rs', 'patient/Observation.r'])
  })

  it('grants at most 100 scopes', () => {
    const many = Array.from({ length: 150 }, (_, i) => `patient/Observation.rs?code=c${i}`)
    expect(chosenScopes(['patient/Observation.rs'], many)).toHaveLength(100)
  })
})
