// Everything a request reads is authorised, not only its route (docs/access-policies.md#what-a-request-is-authorised-as):
// the types `_include` / `_revinclude` bring in (`:iterate` too), the types chains and `_has`
// traverse (R4 search.html#chaining, #has), the members of a compartment search, and the criteria of
// conditional interactions and conditional references (http.html#trules), each as a search of that
// type. A refusal is a 403 for the whole request, the same whatever the data, so a write cannot be
// used as an oracle. Policies see the path routing matched, percent-escapes decoded.

import { beforeAll, describe, expect, it } from 'vitest'
import { basic, call, json, registerClient, ROOT, uniqueId } from './helpers.ts'

/** A client whose one policy allows what its `uri` says: anything under /fhir/Patient. */
let patientOnly: string
const ids = { patient: uniqueId('az-pt'), practitioner: uniqueId('az-pr') }

async function policy(clientId: string, matcho: Record<string, unknown>): Promise<void> {
  const res = await call('PUT', `/AccessPolicy/${uniqueId('az')}`, {
    auth: ROOT,
    body: { engine: 'matcho', matcho, link: [{ reference: `Client/${clientId}` }] },
  })
  expect(res.status).toBe(201)
}

beforeAll(async () => {
  const id = uniqueId('az-client')
  await registerClient(id, 'pw-reach-1234')
  await policy(id, { uri: '#^/fhir/Patient' })
  await policy(id, { operation: { id: 'FhirTransaction' } })
  patientOnly = basic(id, 'pw-reach-1234')
  const put = (type: string, id: string, body: Record<string, unknown> = {}) =>
    call('PUT', `/fhir/${type}/${id}`, { auth: ROOT, body: { resourceType: type, id, ...body } })
  await put('Practitioner', ids.practitioner, { name: [{ family: 'Reach' }] })
  await put('Patient', ids.patient, {
    generalPractitioner: [{ reference: `Practitioner/${ids.practitioner}` }],
  })
  await put('Encounter', uniqueId('az-enc'), {
    status: 'finished',
    class: { code: 'AMB' },
    subject: { reference: `Patient/${ids.patient}` },
  })
  await put('Observation', uniqueId('az-obs'), {
    status: 'final',
    code: { text: 'x' },
    subject: { reference: `Patient/${ids.patient}` },
    valueQuantity: { value: 120 },
  })
})

const get = (path: string) => call('GET', path, { auth: patientOnly })

describe('a search reads only types the caller may search', () => {
  it('the route itself is allowed: a Patient search answers 200 with Patients only', async () => {
    const res = await get(`/fhir/Patient?_id=${ids.patient}`)
    expect(res.status).toBe(200)
    expect((await json(res)).entry.map((e: any) => e.resource.resourceType)).toEqual(['Patient'])
  })

  it.each([
    ['_revinclude', 'Encounter:subject'],
    ['_revinclude:iterate', 'Encounter:subject'],
    ['_include', 'Patient:general-practitioner'],
    ['_include:iterate', 'Patient:general-practitioner:Practitioner'],
    ['_include', '*'],
  ])('%s=%s is 403, not Patients with the other types left out', async (name, value) => {
    const res = await get(`/fhir/Patient?_id=${ids.patient}&${name}=${value}`)
    expect(res.status).toBe(403)
  })

  it('an _include to Patient only (Patient:link:Patient) stays within what it may search', async () => {
    expect(
      (await get(`/fhir/Patient?_id=${ids.patient}&_include=Patient:link:Patient`)).status
    ).toBe(200)
  })

  it.each([
    [
      'general-practitioner:Practitioner.name=Reach',
      'general-practitioner:Practitioner.name=Nobody',
    ],
    ['general-practitioner.name=Reach', 'general-practitioner.name=Nobody'],
    [
      '_has:Observation:subject:value-quantity=gt100',
      '_has:Observation:subject:value-quantity=gt900',
    ],
    ['_has:Encounter:subject:status=finished', '_has:Encounter:subject:status=cancelled'],
  ])('%s traverses another type: 403 whether it matches (%s does not)', async (hit, miss) => {
    expect((await get(`/fhir/Patient?${hit}`)).status).toBe(403)
    expect((await get(`/fhir/Patient?${miss}`)).status).toBe(403)
  })

  it('a compartment search under /fhir/Patient is a search of its member type: 403', async () => {
    expect((await get(`/fhir/Patient/${ids.patient}/Observation`)).status).toBe(403)
    expect((await get(`/fhir/Patient/${ids.patient}/*`)).status).toBe(403)
  })

  it('the same holds for search entries of a batch', async () => {
    const res = await call('POST', '/fhir', {
      auth: patientOnly,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: `Patient?_id=${ids.patient}` } },
          {
            request: {
              method: 'GET',
              url: `Patient?_id=${ids.patient}&_revinclude=Encounter:subject`,
            },
          },
        ],
      },
    })
    const statuses = (await json(res)).entry.map((e: any) => e.response.status)
    expect(statuses).toEqual(['200 OK', '403 Forbidden'])
  })

  it('policies see the decoded path: /fhir/Obs%65rvation is not under /fhir/Patient', async () => {
    expect((await get('/fhir/Obs%65rvation?_count=1')).status).toBe(403)
    expect((await get(`/fhir/P%61tient?_id=${ids.patient}`)).status).toBe(200)
  })
})

describe('an _include brings in only the types it may (and was authorised for)', () => {
  it('a stored reference to another type than the parameter allows is not followed', async () => {
    const id = uniqueId('az-client2')
    await registerClient(id, 'pw-reach-5678')
    await policy(id, { uri: '#^/fhir/(Patient|Organization)' })
    const auth = basic(id, 'pw-reach-5678')
    const obs = uniqueId('az-hidden')
    await call('PUT', `/fhir/Observation/${obs}`, {
      auth: ROOT,
      body: { resourceType: 'Observation', id: obs, status: 'final', code: { text: 'hidden' } },
    })
    const pt = uniqueId('az-offtarget')
    // Patient.managingOrganization may refer to an Organization only; this one names an Observation.
    await call('PUT', `/fhir/Patient/${pt}`, {
      auth: ROOT,
      body: {
        resourceType: 'Patient',
        id: pt,
        managingOrganization: { reference: `Observation/${obs}` },
      },
    })
    const res = await call('GET', `/fhir/Patient?_id=${pt}&_include=Patient:organization`, { auth })
    expect(res.status).toBe(200)
    expect((await json(res)).entry.map((e: any) => e.resource.resourceType)).toEqual(['Patient'])
    // Patient:* names every reference parameter, and so types this client may not search.
    expect((await call('GET', `/fhir/Patient?_id=${pt}&_include=Patient:*`, { auth })).status).toBe(
      403
    )
  })
})

describe('criteria are searches: conditional writes and references authorise what they search', () => {
  const transaction = (entry: unknown[]) =>
    call('POST', '/fhir', {
      auth: patientOnly,
      body: { resourceType: 'Bundle', type: 'transaction', entry },
    })

  it('a conditional reference to another type is 403, the same whether it would match or not (no oracle)', async () => {
    const statuses: number[] = []
    for (const value of ['gt100', 'gt200']) {
      const id = uniqueId('az-oracle')
      const res = await transaction([
        {
          resource: {
            resourceType: 'Patient',
            id,
            generalPractitioner: [
              { reference: `Observation?subject=Patient/${ids.patient}&value-quantity=${value}` },
            ],
          },
          request: { method: 'PUT', url: `Patient/${id}` },
        },
      ])
      statuses.push(res.status)
      expect((await call('GET', `/fhir/Patient/${id}`, { auth: ROOT })).status).toBe(404)
    }
    expect(statuses).toEqual([403, 403])
  })

  it('conditional update, patch, delete and If-None-Exist criteria that traverse another type are 403', async () => {
    const body = { resourceType: 'Patient', active: true }
    const criteria = `general-practitioner:Practitioner.name=Reach`
    const patch = { 'content-type': 'application/json-patch+json' }
    const answers = [
      await call('PUT', `/fhir/Patient?${criteria}`, { auth: patientOnly, body }),
      await call('PATCH', `/fhir/Patient?${criteria}`, {
        auth: patientOnly,
        body: [],
        headers: patch,
      }),
      await call('DELETE', `/fhir/Patient?${criteria}`, { auth: patientOnly }),
      await call('POST', '/fhir/Patient', {
        auth: patientOnly,
        body,
        headers: { 'if-none-exist': criteria },
      }),
      await transaction([
        {
          resource: body,
          request: {
            method: 'POST',
            url: 'Patient',
            ifNoneExist: '_has:Observation:subject:value-quantity=gt1',
          },
        },
      ]),
    ]
    expect(answers.map((r) => r.status)).toEqual([403, 403, 403, 403, 403])
  })

  it('criteria within the allowed type still work (conditional update of Patient by _id)', async () => {
    const res = await call('PUT', `/fhir/Patient?_id=${ids.patient}`, {
      auth: patientOnly,
      body: {
        resourceType: 'Patient',
        id: ids.patient,
        generalPractitioner: [{ reference: `Practitioner/${ids.practitioner}` }],
        active: true,
      },
    })
    expect(res.status).toBe(200)
  })
})
