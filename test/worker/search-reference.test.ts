// Reference search (R4 search.html#reference, #chaining, #has, compartmentdefinition.html): Type/id,
// bare id, absolute URL, :Type, :identifier; chains up to three levels; reverse chaining with _has,
// nested; compartment search under /fhir/Patient/:id/:type.

import { beforeAll, describe, expect, it } from 'vitest'
import { fixture, suffix, type Fixture } from './search-helpers.ts'
import { call, json } from './helpers.ts'

const s = suffix()
const pa = `pa-${s}`
const pb = `pb-${s}`
const pr = `pr-${s}`
const org = `org-${s}`
const parent = `orgp-${s}`
const o = (n: string) => `obs${n}-${s}`
const code = `code-${s}`
const obs = (n: string, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id: o(n),
  status: 'final',
  code: { text: 'x' },
  ...extra,
})

let f: Fixture
beforeAll(async () => {
  f = await fixture('reference')
  await f.put(
    { resourceType: 'Organization', id: parent, name: `Parentco ${s}` },
    {
      resourceType: 'Organization',
      id: org,
      name: `Acme ${s}`,
      partOf: { reference: `Organization/${parent}` },
    },
    { resourceType: 'Practitioner', id: pr, name: [{ family: `Zedlove${s}` }] },
    {
      resourceType: 'Patient',
      id: pa,
      name: [{ family: `Chainfam${s}` }],
      managingOrganization: { reference: `Organization/${org}` },
      generalPractitioner: [{ reference: `Practitioner/${pr}` }],
    },
    { resourceType: 'Patient', id: pb, name: [{ family: `Otherfam${s}` }] },
    obs('a', {
      subject: { reference: `Patient/${pa}` },
      performer: [{ reference: `Practitioner/${pr}` }],
      code: { coding: [{ system: 'urn:c', code }] },
    }),
    obs('b', { subject: { reference: `Patient/${pb}` } }),
    obs('c', { subject: { reference: `https://other.example/fhir/Patient/${pa}` } }),
    obs('d', { subject: { identifier: { system: 'urn:mrn', value: `mrn-${s}` } } }),
    obs('e', { subject: { reference: `Patient/${pa}/_history/2` } }),
    {
      resourceType: 'DiagnosticReport',
      id: `dr-${s}`,
      status: 'final',
      code: { text: 'x' },
      result: [{ reference: `Observation/${o('a')}` }],
    }
  )
})

const obsIds = (q: string) => f.ids('Observation', q)

describe('reference values (search.html#reference)', () => {
  it('Type/id matches references to that resource, a versioned one included', async () => {
    expect(await obsIds(`subject=Patient/${pa}`)).toEqual([o('a'), o('e')])
  })
  it('a bare id matches any allowed target type; :Type names the type', async () => {
    expect(await obsIds(`subject=${pa}`)).toEqual([o('a'), o('e')])
    expect(await obsIds(`subject:Patient=${pa}`)).toEqual([o('a'), o('e')])
    expect(await obsIds(`subject:Group=${pa}`)).toEqual([])
  })
  it('an absolute URL at this server is a local reference; another server’s URL matches as written', async () => {
    expect(
      await obsIds(`subject=${encodeURIComponent(`https://fhir.test/fhir/Patient/${pa}`)}`)
    ).toEqual([o('a'), o('e')])
    expect(
      await obsIds(`subject=${encodeURIComponent(`https://other.example/fhir/Patient/${pa}`)}`)
    ).toEqual([o('c')])
  })
  it(':identifier matches Reference.identifier', async () => {
    expect(await obsIds(`subject:identifier=${encodeURIComponent(`urn:mrn|mrn-${s}`)}`)).toEqual([
      o('d'),
    ])
  })
  it('patient (subject where it is a Patient) finds the same', async () => {
    expect(await obsIds(`patient=${pa}`)).toEqual([o('a'), o('e')])
  })
  it('400 for a :Type that is not a target of the parameter', async () => {
    const res = await f.get('Observation', `subject:Observation=${pa}`)
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].expression).toEqual(['subject:Observation'])
  })
})

describe('chaining (search.html#chaining)', () => {
  it('one level: subject:Patient.name', async () => {
    expect(await obsIds(`subject:Patient.name=chainfam${s}`)).toEqual([o('a'), o('e')])
  })
  it('without a type, every target type that has the parameter', async () => {
    expect(await obsIds(`subject.name=chainfam${s}`)).toEqual([o('a'), o('e')])
  })
  it('two and three levels', async () => {
    expect(await obsIds(`subject:Patient.organization.name=acme%20${s}`)).toEqual([o('a'), o('e')])
    expect(await obsIds(`subject:Patient.organization.partof.name=parentco%20${s}`)).toEqual([
      o('a'),
      o('e'),
    ])
  })
  it('a chain ending in a modifier', async () => {
    expect(await obsIds(`performer:Practitioner.name:exact=Zedlove${s}`)).toEqual([o('a')])
    expect(await obsIds(`performer:Practitioner.name:exact=zedlove${s}`)).toEqual([])
  })
  it('400 beyond three levels, and for a chain through a non-reference parameter', async () => {
    expect(
      (await f.get('Observation', `subject:Patient.organization.partof.partof.name=x`)).status
    ).toBe(400)
    expect((await f.get('Observation', 'code.name=x')).status).toBe(400)
  })
})

describe('reverse chaining with _has (search.html#has)', () => {
  it('Patients referred to by an Observation with a code', async () => {
    expect(await f.ids('Patient', `_has:Observation:subject:code=${code}`)).toEqual([pa])
    expect(await f.ids('Patient', '_has:Observation:subject:code=nothing')).toEqual([])
  })
  it('nested: Patients with an Observation that a final DiagnosticReport lists', async () => {
    expect(
      await f.ids('Patient', '_has:Observation:patient:_has:DiagnosticReport:result:status=final')
    ).toEqual([pa])
  })
  it('_has combines with a chain inside', async () => {
    expect(
      await f.ids('Patient', `_has:Observation:subject:performer:Practitioner.name=zedlove${s}`)
    ).toEqual([pa])
  })
  it('400 when the parameter does not refer to the searched type', async () => {
    expect((await f.get('Patient', '_has:Observation:code:status=final')).status).toBe(400)
  })
})

describe('compartment search (compartmentdefinition-patient)', () => {
  const get = (path: string) => call('GET', path, { auth: f.auth })
  it('GET /fhir/Patient/:id/Observation finds the Observations in that patient’s compartment', async () => {
    const res = await get(`/fhir/Patient/${pa}/Observation`)
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle.entry.map((e: any) => e.resource.id).sort()).toEqual([o('a'), o('e')])
    expect(bundle.link[0].url).toBe(`https://fhir.test/fhir/Patient/${pa}/Observation?_count=20`)
  })
  it('takes further search parameters', async () => {
    const bundle = await json(await get(`/fhir/Patient/${pa}/Observation?code=${code}`))
    expect(bundle.entry.map((e: any) => e.resource.id)).toEqual([o('a')])
  })
  it('* searches every type in the compartment', async () => {
    const bundle = await json(await get(`/fhir/Patient/${pa}/*?_tag=${encodeURIComponent(f.tag)}`))
    expect(
      bundle.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort()
    ).toEqual([`Observation/${o('a')}`, `Observation/${o('e')}`])
  })
  it('400 for a type outside the compartment or a compartment this server does not define', async () => {
    expect((await get(`/fhir/Patient/${pa}/Practitioner`)).status).toBe(400)
    const res = await get(`/fhir/Observation/${o('a')}/Patient`)
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].diagnostics).toContain('not a compartment')
  })
})
