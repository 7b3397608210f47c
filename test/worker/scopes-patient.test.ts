// `patient/` scopes (SMART App Launch 2, scopes-and-launch-context.html): they grant only with a
// patient in launch context, and then only that patient's compartment (R4 compartmentdefinition-
// patient): the Patient itself (and Patients that link to it) and the resources that refer to it
// through the compartment's parameters. Searches, reads, includes, chains, `_has`, system and
// compartment searches and Bundle entries alike; a read outside answers 404. Versions, history,
// conditional criteria and types outside the compartment are refused with 403, and so are writes
// outside the compartment (writes inside it: scopes-patient-writes.test.ts).

import { beforeAll, describe, expect, it } from 'vitest'
import { call, json, ROOT } from './helpers.ts'
import { postTransaction } from './rest-helpers.ts'
import { patientToken, patientWorld } from './patient-scope-helpers.ts'
import { entriesOf, expectInsufficientScope, getOk } from './scope-helpers.ts'

const w = patientWorld('pc')
const { a, b, tag } = w
const A_OBS = w.keys('Observation', 'o-a1', 'o-a2', 'o-a3', 'o-a4', 'o-a5', 'o-b-by-a')

beforeAll(async () => {
  await tag.put(...w.resources)
})

/** Every match of a search, following `next` links; the totals of every page. */
async function allPages(path: string, auth: string): Promise<{ ids: string[]; totals: unknown[] }> {
  const ids: string[] = []
  const totals: unknown[] = []
  let url: string | undefined = path
  for (let page = 0; url && page < 20; page++) {
    const bundle = await getOk(url, auth)
    ids.push(...entriesOf(bundle))
    totals.push(bundle.total)
    const next = (bundle.link as { relation: string; url: string }[]).find(
      (l) => l.relation === 'next'
    )
    url = next && new URL(next.url).pathname + new URL(next.url).search
  }
  return { ids: ids.sort(), totals }
}

describe('without a patient in context a patient/ scope grants nothing', () => {
  it('searches and reads are 403, whatever the type', async () => {
    const auth = await patientToken('patient/*.cruds', null)
    await expectInsufficientScope(await call('GET', `/fhir/Observation?${tag.param}`, { auth }))
    await expectInsufficientScope(await call('GET', `/fhir/Patient/${a}`, { auth }))
  })

  it('a malformed patient id in context grants nothing either', async () => {
    const auth = await patientToken('patient/*.rs', '../x')
    await expectInsufficientScope(await call('GET', `/fhir/Observation?${tag.param}`, { auth }))
  })
})

describe('a search returns exactly the compartment of the patient in context', () => {
  it('Observation through subject and performer', async () => {
    const auth = await patientToken('patient/Observation.rs', a)
    const bundle = await getOk(`/fhir/Observation?${tag.param}&_count=100`, auth)
    expect(entriesOf(bundle)).toEqual(A_OBS)
  })

  it('Encounter through subject; AllergyIntolerance through patient and recorder', async () => {
    const auth = await patientToken('patient/Encounter.rs patient/AllergyIntolerance.rs', a)
    expect(entriesOf(await getOk(`/fhir/Encounter?${tag.param}`, auth))).toEqual(
      w.keys('Encounter', 'e-a')
    )
    expect(entriesOf(await getOk(`/fhir/AllergyIntolerance?${tag.param}`, auth))).toEqual(
      w.keys('AllergyIntolerance', 'al-a', 'al-b-rec-a')
    )
  })

  it('Patient: itself and the Patients that link to it', async () => {
    const auth = await patientToken('patient/Patient.rs', a)
    expect(entriesOf(await getOk(`/fhir/Patient?${tag.param}`, auth))).toEqual(
      [`Patient/${a}`, `Patient/${w.id('linked')}`].sort()
    )
  })

  it('the caller criteria AND the compartment', async () => {
    const auth = await patientToken('patient/Observation.rs', a)
    const bundle = await getOk(`/fhir/Observation?${tag.param}&subject=Patient/${b}`, auth)
    expect(entriesOf(bundle)).toEqual(w.keys('Observation', 'o-b-by-a'))
  })

  it('pages and _total count only the compartment', async () => {
    const auth = await patientToken('patient/Observation.rs', a)
    const { ids, totals } = await allPages(
      `/fhir/Observation?${tag.param}&_count=2&_total=accurate&_sort=_id`,
      auth
    )
    expect(ids).toEqual(A_OBS)
    expect(new Set(totals)).toEqual(new Set([A_OBS.length]))
    const count = await getOk(`/fhir/Observation?${tag.param}&_summary=count`, auth)
    expect(count.total).toBe(A_OBS.length)
  })

  it('a granular patient/ scope: its restriction AND the compartment', async () => {
    const auth = await patientToken('patient/Observation.rs?category=laboratory', a)
    expect(entriesOf(await getOk(`/fhir/Observation?${tag.param}`, auth))).toEqual(
      w.keys('Observation', 'o-a1', 'o-a4', 'o-b-by-a')
    )
  })

  it('a system search with _type restricts each type; without _type it is 403', async () => {
    const auth = await patientToken('patient/*.rs', a)
    const bundle = await getOk(`/fhir?_type=Observation,Encounter&${tag.param}&_count=100`, auth)
    expect(entriesOf(bundle)).toEqual([...A_OBS, ...w.keys('Encounter', 'e-a')].sort())
    await expectInsufficientScope(await call('GET', `/fhir?${tag.param}`, { auth }), 'system/*.s')
  })

  it('a compartment search is the intersection of both compartments', async () => {
    const auth = await patientToken('patient/*.rs', a)
    const own = await getOk(`/fhir/Patient/${a}/Observation?${tag.param}&_count=100`, auth)
    expect(entriesOf(own)).toEqual(A_OBS)
    const other = await getOk(`/fhir/Patient/${b}/Observation?${tag.param}`, auth)
    expect(entriesOf(other)).toEqual(w.keys('Observation', 'o-b-by-a'))
    const all = await getOk(`/fhir/Patient/${b}/*?${tag.param}&_count=100`, auth)
    expect(entriesOf(all)).toEqual(
      [...w.keys('Observation', 'o-b-by-a'), ...w.keys('AllergyIntolerance', 'al-b-rec-a')].sort()
    )
  })
})

describe('reads answer 404 outside the compartment', () => {
  it('resources of the compartment 200, others 404', async () => {
    const auth = await patientToken('patient/*.rs', a)
    for (const name of ['o-a1', 'o-b-by-a'])
      expect((await call('GET', `/fhir/Observation/${w.id(name)}`, { auth })).status).toBe(200)
    for (const name of ['o-b1', 'no-such'])
      expect((await call('GET', `/fhir/Observation/${w.id(name)}`, { auth })).status).toBe(404)
    expect((await call('GET', `/fhir/Encounter/${w.id('e-b')}`, { auth })).status).toBe(404)
  })

  it('its own Patient 200 (and one linking to it), another Patient 404', async () => {
    const auth = await patientToken('patient/Patient.r', a)
    expect((await call('GET', `/fhir/Patient/${a}`, { auth })).status).toBe(200)
    expect((await call('GET', `/fhir/Patient/${w.id('linked')}`, { auth })).status).toBe(200)
    expect((await call('GET', `/fhir/Patient/${b}`, { auth })).status).toBe(404)
  })

  it('vread and history are 403: past versions cannot be tested against the compartment', async () => {
    const auth = await patientToken('patient/*.rs', a)
    await expectInsufficientScope(await call('GET', `/fhir/Patient/${a}/_history/1`, { auth }))
    await expectInsufficientScope(await call('GET', `/fhir/Patient/${a}/_history`, { auth }))
  })
})

describe('includes, chains and _has go only through the compartment', () => {
  it('_include of another patient is not included', async () => {
    const auth = await patientToken('patient/Observation.rs patient/Patient.rs', a)
    const bundle = await getOk(
      `/fhir/Observation?${tag.param}&_count=100&_include=Observation:subject:Patient`,
      auth
    )
    expect(entriesOf(bundle)).toEqual(A_OBS)
    expect(entriesOf(bundle, 'include')).toEqual([`Patient/${a}`])
  })

  it('_revinclude brings only the compartment', async () => {
    const auth = await patientToken('patient/Observation.rs patient/Patient.rs', a)
    const bundle = await getOk(
      `/fhir/Patient?${tag.param}&_revinclude=Observation:subject&_count=100`,
      auth
    )
    expect(entriesOf(bundle, 'include')).toEqual(
      w.keys('Observation', 'o-a1', 'o-a2', 'o-a3', 'o-a4', 'o-a5')
    )
  })

  it('a chain matches only through the patient in context', async () => {
    const auth = await patientToken('patient/Observation.rs patient/Patient.rs', a)
    const beta = await getOk(`/fhir/Observation?${tag.param}&subject:Patient.family=Beta`, auth)
    expect(entriesOf(beta)).toEqual([])
    const alpha = await getOk(`/fhir/Observation?${tag.param}&subject:Patient.family=Alpha`, auth)
    expect(entriesOf(alpha)).toEqual(w.keys('Observation', 'o-a1', 'o-a2', 'o-a3', 'o-a4', 'o-a5'))
  })

  it('_has sees only the compartment', async () => {
    const auth = await patientToken('patient/Observation.rs patient/Patient.rs', a)
    // The Observation a performed is in a's compartment, but its subject b is not: no match.
    const bundle = await getOk(
      `/fhir/Patient?${tag.param}&_has:Observation:subject:performer=Patient/${a}`,
      auth
    )
    expect(entriesOf(bundle)).toEqual([])
    const own = await getOk(
      `/fhir/Patient?${tag.param}&_has:Observation:subject:code:text=o-a2`,
      auth
    )
    expect(entriesOf(own)).toEqual([`Patient/${a}`])
  })

  it('an include into a type outside the compartment is 403', async () => {
    const auth = await patientToken('patient/*.rs', a)
    const res = await call(
      'GET',
      `/fhir/Observation?${tag.param}&_include=Observation:performer:Practitioner`,
      { auth }
    )
    await expectInsufficientScope(res, 'system/Practitioner.s')
  })
})

describe('types outside the compartment and writes outside it are refused', () => {
  it('Medication and Practitioner: no access under patient/*', async () => {
    const auth = await patientToken('patient/*.cruds', a)
    await expectInsufficientScope(await call('GET', `/fhir/Medication?${tag.param}`, { auth }))
    await expectInsufficientScope(
      await call('GET', `/fhir/Practitioner/${w.id('doc')}`, { auth }),
      'system/Practitioner.r'
    )
  })

  it('create, update and delete outside the compartment are 403', async () => {
    const auth = await patientToken('patient/*.cruds', a)
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: `Patient/${b}` },
    }
    await expectInsufficientScope(await call('POST', '/fhir/Observation', { auth, body: obs }))
    const id = w.id('o-a2')
    await expectInsufficientScope(
      await call('PUT', `/fhir/Observation/${id}`, { auth, body: { ...obs, id } })
    )
    await expectInsufficientScope(
      await call('DELETE', `/fhir/Observation/${w.id('o-b1')}`, { auth })
    )
    await expectInsufficientScope(
      await call('PUT', `/fhir/Patient/${b}`, { auth, body: { resourceType: 'Patient', id: b } })
    )
    // Nothing was written or deleted.
    expect((await getOk(`/fhir/Observation/${id}`, auth)).subject.reference).toBe(`Patient/${a}`)
    expect((await call('GET', `/fhir/Observation/${w.id('o-b1')}`, { auth: ROOT })).status).toBe(
      200
    )
  })
})

describe('Bundle entries are held to the compartment too', () => {
  it('a batch: searches filtered, reads 404 outside, writes 403', async () => {
    const auth = await patientToken('patient/*.cruds', a)
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: `Observation?${tag.param}&_count=100` } },
          { request: { method: 'GET', url: `Observation/${w.id('o-a1')}` } },
          { request: { method: 'GET', url: `Observation/${w.id('o-b1')}` } },
          { request: { method: 'GET', url: `Patient/${b}` } },
          {
            request: { method: 'POST', url: 'Observation' },
            resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
          },
        ],
      },
    })
    expect(res.status).toBe(200)
    const entries = (await json(res)).entry as Record<string, any>[]
    expect(entries.map((e) => e.response.status)).toEqual([
      '200 OK',
      '200 OK',
      '404 Not Found',
      '404 Not Found',
      '403 Forbidden',
    ])
    expect(entriesOf(entries[0]!.resource)).toEqual(A_OBS)
  })
})

describe('POST _search and transactions', () => {
  it('POST _search with form fields returns only the compartment', async () => {
    const auth = await patientToken('patient/Observation.rs', a)
    const res = await call('POST', '/fhir/Observation/_search', {
      auth,
      body: `${tag.param}&_count=100`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(res.status).toBe(200)
    expect(entriesOf(await json(res))).toEqual(A_OBS)
  })

  it('a transaction with a write outside is refused whole; one of reads answers within the compartment', async () => {
    const auth = await patientToken('patient/*.cruds', a)
    const before = await getOk(`/fhir/Observation/${w.id('o-a5')}`, auth)
    await expectInsufficientScope(
      await postTransaction(auth, [
        { request: { method: 'GET', url: `Observation/${w.id('o-a1')}` } },
        {
          request: { method: 'PUT', url: `Observation/${w.id('o-a5')}` },
          resource: { ...before, status: 'amended', subject: { reference: `Patient/${b}` } },
        },
      ])
    )
    expect((await getOk(`/fhir/Observation/${w.id('o-a5')}`, auth)).status).toBe('final')
    const res = await postTransaction(auth, [
      { request: { method: 'GET', url: `Encounter?${tag.param}` } },
      { request: { method: 'GET', url: `Encounter/${w.id('e-b')}` } },
    ])
    const text = await res.text()
    expect(res.status, text).toBe(200)
    const entries = JSON.parse(text).entry as Record<string, any>[]
    expect(entriesOf(entries[0]!.resource)).toEqual(w.keys('Encounter', 'e-a'))
    expect(entries[1]!.response.status).toMatch(/^404/)
  })
})

describe('patient/ scopes add up with system/ ones', () => {
  it('an unrestricted system/ scope wins for its type', async () => {
    const auth = await patientToken('patient/Observation.rs system/Observation.rs', a)
    const bundle = await getOk(`/fhir/Observation?${tag.param}&_count=100`, auth)
    expect(entriesOf(bundle)).toHaveLength(8)
    expect((await call('GET', `/fhir/Observation/${w.id('o-b1')}`, { auth })).status).toBe(200)
  })

  it('a granular system/ scope and the compartment are OR-ed', async () => {
    const auth = await patientToken(
      'patient/Observation.rs system/Observation.rs?category=laboratory',
      a
    )
    const bundle = await getOk(`/fhir/Observation?${tag.param}&_count=100`, auth)
    expect(entriesOf(bundle)).toEqual([...A_OBS, ...w.keys('Observation', 'o-b1')].sort())
  })

  it('a system/ scope opens a type outside the compartment', async () => {
    const auth = await patientToken('patient/*.rs system/Medication.rs', a)
    expect(entriesOf(await getOk(`/fhir/Medication?${tag.param}`, auth))).toEqual(
      w.keys('Medication', 'med')
    )
  })
})
